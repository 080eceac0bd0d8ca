"""Fixtures for the sandbox's tests.

``local_aws``      one moto server + extensions per test (cheap, ~0.1 s); ``make_function`` a Lambda in it.
``start_ci``       starts a GitLab emulator whose pipelines gitlab-ci-local runs (``CiGitLab``), stopped at
                   teardown unless the test stopped it; ``ci_gitlab`` one such started in ``tmp_path``.
``register_model``, ``processing`` the ``Arguments`` of a pipeline definition's RegisterModel and Processing
                   steps; ``serve_model`` a model behind an endpoint of one instance.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gitlab
import pytest

from sandbox.ci_runner import GitlabCiLocalRunner
from sandbox.gitlab_emulator.seed import Seed, seed
from sandbox.gitlab_emulator.server import GitLabEmulator
from sandbox.local_aws.server import LocalAws


@pytest.fixture
def local_aws() -> Iterator[LocalAws]:
    with LocalAws() as aws:
        yield aws


def lambda_zip(source: str, module: str = "app") -> bytes:
    """A deployment package holding one module."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def create_function(aws: LocalAws, name: str, source: str, **extra: Any) -> str:
    iam = aws.client("iam")
    try:
        role = iam.get_role(RoleName="lambda-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    response = aws.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": lambda_zip(source)},
        **extra,
    )
    return str(response["FunctionArn"])


@pytest.fixture
def make_function(local_aws: LocalAws) -> Any:
    def make(name: str, source: str, **extra: Any) -> str:
        return create_function(local_aws, name, source, **extra)

    return make


@dataclass
class CiGitLab:
    """A GitLab emulator (group ``ml/team`` seeded) whose pipelines a ``GitlabCiLocalRunner`` runs."""

    server: GitLabEmulator
    runner: GitlabCiLocalRunner
    seeded: Seed
    stopped: bool = field(default=False)

    def client(self) -> gitlab.Gitlab:
        return gitlab.Gitlab(self.server.url, private_token=self.seeded.group_token.value, timeout=10)

    def project(self, name: str = "p") -> Any:
        return self.client().projects.create(
            {"name": name, "path": name, "namespace_id": self.seeded.group.id}
        )

    def commit_ci_file(self, project: Any, ci_file: str, message: str = "seed") -> None:
        """Commit ``.gitlab-ci.yml`` to ``main``: the commit API starts the push pipeline before it answers."""
        project.commits.create(
            {
                "branch": "main",
                "commit_message": message,
                "actions": [{"action": "create", "file_path": ".gitlab-ci.yml", "content": ci_file}],
            }
        )

    def wait(self, pipeline: Any = None) -> None:
        """Wait for the runner's threads (joined, no polling), check it recorded no error, refresh ``pipeline``."""
        assert self.runner.wait_idle(120), "runner still busy"
        assert not self.runner.errors, self.runner.errors
        if pipeline is not None:
            pipeline.refresh()

    def push_pipeline(self, ci_file: str, message: str = "seed") -> tuple[Any, Any]:
        """A new project ``p`` with ``ci_file`` committed, and its push pipeline once the runner is done."""
        project = self.project()
        self.commit_ci_file(project, ci_file, message)
        [pipeline] = project.pipelines.list(get_all=True)
        self.wait(pipeline)
        return project, pipeline

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.runner.stop()
            self.server.stop()


@pytest.fixture
def start_ci(tmp_path: Path) -> Iterator[Callable[..., CiGitLab]]:
    started: list[CiGitLab] = []

    def start(workdir: Path | None = None, group_variables: dict[str, str] | None = None) -> CiGitLab:
        workdir = workdir or tmp_path / "ci"
        workdir.mkdir()
        node_dir = str(Path(shutil.which("node") or "/usr/bin/node").parent)
        runner = GitlabCiLocalRunner(
            workdir, {"PATH": f"{node_dir}:/usr/bin:/bin", "LANG": "C.UTF-8"}, group_variables=group_variables
        )
        server = GitLabEmulator(tmp_path / "gitlab", runner=runner).start()
        runner.attach(server.state, server.url)
        started.append(CiGitLab(server, runner, seed(server.state, "ml/team")))
        return started[-1]

    try:
        yield start
    finally:
        for ci in started:
            ci.stop()


@pytest.fixture
def ci_gitlab(start_ci: Callable[..., CiGitLab]) -> CiGitLab:
    return start_ci()


def _register_model(
    group: str, approval: Any, metadata: dict[str, str], model_data_url: Any
) -> dict[str, Any]:
    """A RegisterModel step's ``Arguments`` as the seed pipeline writes them (CreateModelPackage's request,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModelPackage.html): model quality
    statistics from the ``Evaluate`` step's ``evaluation`` output, one XGBoost container, CSV in and out."""
    evaluation = "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"
    return {
        "ModelPackageGroupName": group,
        "ModelApprovalStatus": approval,
        "CustomerMetadataProperties": metadata,
        "ModelMetrics": {
            "ModelQuality": {
                "Statistics": {
                    "ContentType": "application/json",
                    "S3Uri": {"Std:Join": {"On": "/", "Values": [{"Get": evaluation}, "evaluation.json"]}},
                }
            }
        },
        "InferenceSpecification": {
            "Containers": [{"Image": "xgboost", "ModelDataUrl": model_data_url}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    }


@pytest.fixture
def register_model() -> Callable[..., dict[str, Any]]:
    return _register_model


def _processing(
    image: str,
    code: str,
    arguments: list[Any],
    outputs: dict[str, tuple[Any, str]],
    inputs: dict[str, tuple[Any, str]] | None = None,
) -> dict[str, Any]:
    """A Processing step's ``Arguments`` (CreateProcessingJob's request,
    https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateProcessingJob.html): ``python3`` runs
    the script at S3 URI ``code`` (the last input, ``code``) with ``arguments``; ``inputs`` and ``outputs`` map
    a name to (S3 URI, container path), uploaded at the end of the job."""
    code_dir = "/opt/ml/processing/input/code"
    channels = {**(inputs or {}), "code": (code, code_dir)}
    return {
        "AppSpecification": {
            "ImageUri": image,
            "ContainerEntrypoint": ["python3", f"{code_dir}/{code.rsplit('/', 1)[-1]}"],
            "ContainerArguments": arguments,
        },
        "ProcessingInputs": [
            {"InputName": name, "S3Input": {"S3Uri": uri, "LocalPath": path, "S3DataType": "S3Prefix"}}
            for name, (uri, path) in channels.items()
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": name,
                    "S3Output": {"S3Uri": uri, "LocalPath": path, "S3UploadMode": "EndOfJob"},
                }
                for name, (uri, path) in outputs.items()
            ]
        },
    }


@pytest.fixture
def processing() -> Callable[..., dict[str, Any]]:
    return _processing


def _serve_model(
    sm: Any, container: dict[str, Any], *, model: str, config: str, endpoint: str, **endpoint_extra: Any
) -> None:
    """CreateModel (``container``), CreateEndpointConfig (one ``AllTraffic`` ml.m5.large instance) and
    CreateEndpoint, as a deployment does (https://docs.aws.amazon.com/sagemaker/latest/APIReference/)."""
    sm.create_model(
        ModelName=model, ExecutionRoleArn="arn:aws:iam::123456789012:role/r", PrimaryContainer=container
    )
    variant = {"VariantName": "AllTraffic", "ModelName": model, "InstanceType": "ml.m5.large"}
    sm.create_endpoint_config(
        EndpointConfigName=config, ProductionVariants=[{**variant, "InitialInstanceCount": 1}]
    )
    sm.create_endpoint(EndpointName=endpoint, EndpointConfigName=config, **endpoint_extra)


@pytest.fixture
def serve_model() -> Callable[..., None]:
    return _serve_model


@pytest.fixture
def pipeline_helpers() -> tuple[Any, Any]:
    """(create_pipeline, finished_execution) for tests that run pipeline definitions."""
    return create_pipeline, finished_execution


def finished_execution(sm: Any, arn: str) -> dict[str, Any]:
    """The pipeline execution once it stopped Executing (polled as a client does; it runs in a thread)."""
    import time

    for _ in range(600):
        execution: dict[str, Any] = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        if execution["PipelineExecutionStatus"] != "Executing":
            return execution
        time.sleep(0.1)
    raise AssertionError(f"pipeline execution {arn} still Executing after 60 s")


def create_pipeline(aws: LocalAws, definition: dict[str, Any], bucket: str, objects: dict[str, str]) -> Any:
    """Pipeline p-1 with ``definition``, model package group p-1 and ``objects`` in ``bucket``; its client."""
    import json

    s3 = aws.client("s3")
    s3.create_bucket(Bucket=bucket)
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    sm = aws.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName="p-1")
    sm.create_pipeline(
        PipelineName="p-1",
        PipelineDefinition=json.dumps(definition),
        RoleArn="arn:aws:iam::123456789012:role/r",
    )
    return sm
