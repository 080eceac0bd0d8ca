"""A seeded local state for the console: a project stack, two GitLab repos with pipelines, a SageMaker pipeline
execution that registered a model with metrics, an endpoint serving it, and a notification.

Values are chosen by hand (durations 12.5 s / 3 s, MSE 2.25) so the tests compare against literals.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from sandbox.console import Console, Sources
from sandbox.gitlab_emulator.state import MAINTAINER

GROUP = "ml/team"
PREFIX = "abalone-p-0123456789ab"
T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
TEMPLATE = json.dumps(
    {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"{PREFIX}-notifications"}}
        },
        "Outputs": {"NotificationTopicArn": {"Value": {"Ref": "Topic"}}},
    }
)
# The container path comes as an argument: the local executor maps container paths given in the step's
# arguments to temp dirs (a literal path in the script would write to the host's /opt/ml).
EVALUATE = """
import json, os, sys
os.makedirs(sys.argv[1], exist_ok=True)
report = {"regression_metrics": {"mse": {"value": 2.25}, "rmse": {"value": 1.5}}}
json.dump(report, open(os.path.join(sys.argv[1], "evaluation.json"), "w"))
"""
OUT = {
    "Std:Join": {
        "On": "/",
        "Values": ["s3://art/runs", {"Get": "Execution.PipelineExecutionId"}, "evaluation"],
    }
}


def definition(
    ci_pipeline_url: str,
    register_model: Callable[..., dict[str, Any]],
    processing: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    return {
        "Version": "2020-12-01",
        "Parameters": [],
        "Steps": [
            {
                "Name": "Evaluate",
                "Type": "Processing",
                "Arguments": processing(
                    "sklearn",
                    "s3://art/code/evaluate.py",
                    ["/opt/ml/processing/evaluation"],
                    {"evaluation": (OUT, "/opt/ml/processing/evaluation")},
                ),
            },
            {
                "Name": "Register",
                "Type": "RegisterModel",
                "Arguments": register_model(
                    PREFIX,
                    "PendingManualApproval",
                    {"GitCommit": "abc123", "CiPipelineUrl": ci_pipeline_url},
                    "s3://art/model/model.tar.gz",
                ),
            },
        ],
    }


def model_archive() -> tuple[bytes, xgb.Booster]:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(50, 2))
    booster = xgb.train(
        {"objective": "reg:squarederror"}, xgb.DMatrix(x, label=3 * x[:, 0]), num_boost_round=3
    )
    raw = booster.save_raw(raw_format="ubj")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(bytes(raw)))
    return buffer.getvalue(), booster


@dataclass
class Seeded:
    aws: Any
    gitlab: Any
    sources: Sources
    execution_arn: str
    package_arn: str
    build_pipeline: int
    train_job: int
    booster: xgb.Booster
    topic_arn: str


def seed_gitlab(gitlab_server: Any) -> tuple[str, int, int]:
    state = gitlab_server.state
    person = state.create_user("ml-engineer", name="ML Engineer")
    state.add_member(gitlab_server.group, person, MAINTAINER)
    token = state.create_token(person, name="ml-engineer", scopes=["api"]).value
    build = state.create_project(
        name=f"{PREFIX}-model-build",
        path=f"{PREFIX}-model-build",
        namespace=gitlab_server.group,
        creator=person,
    )
    state.create_project(
        name=f"{PREFIX}-model-deploy",
        path=f"{PREFIX}-model-deploy",
        namespace=gitlab_server.group,
        creator=person,
    )
    pipeline = state.create_pipeline(
        build, ref="main", sha="a" * 40, source="push", variables=[], user=person
    )
    train = state.add_job(pipeline, name="train", stage="build")
    lint = state.add_job(pipeline, name="lint", stage="test")
    state.append_trace(train, "\x1b[32m$ python -m pipelines.run\x1b[0m\nmse 2.25 <ok>\n")
    for job in (train, lint):
        state.update_job(job, "success")
    state.update_pipeline(pipeline, "success")
    # Known durations: GitLab reports finished_at - started_at.
    train.started_at, train.finished_at = T0, T0 + timedelta(seconds=12.5)
    lint.started_at, lint.finished_at = T0, T0 + timedelta(seconds=3)
    pipeline.started_at, pipeline.finished_at = T0, T0 + timedelta(seconds=16)
    return token, pipeline.id, train.id


@pytest.fixture
def seeded(
    local_aws: Any,
    gitlab_server: Any,
    register_model: Callable[..., dict[str, Any]],
    processing: Callable[..., dict[str, Any]],
    serve_model: Callable[..., None],
) -> Seeded:
    token, pipeline_id, train_id = seed_gitlab(gitlab_server)
    cfn = local_aws.client("cloudformation")
    cfn.create_stack(
        StackName=f"SC-sagemaker-project-{PREFIX}",
        TemplateBody=TEMPLATE,
        Tags=[
            {"Key": "sagemaker:project-name", "Value": "abalone"},
            {"Key": "sagemaker:project-id", "Value": "p-0123456789ab"},
        ],
    )
    topic_arn = cfn.describe_stacks(StackName=f"SC-sagemaker-project-{PREFIX}")["Stacks"][0]["Outputs"][0][
        "OutputValue"
    ]
    local_aws.client("sns").publish(TopicArn=topic_arn, Subject="model", Message="model v1 awaits approval")
    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket="art")
    s3.put_object(Bucket="art", Key="code/evaluate.py", Body=EVALUATE)
    archive, booster = model_archive()
    s3.put_object(Bucket="art", Key="model/model.tar.gz", Body=archive)
    sm = local_aws.client("sagemaker")
    sm.create_model_package_group(ModelPackageGroupName=PREFIX)
    sm.create_pipeline(
        PipelineName=PREFIX,
        PipelineDefinition=json.dumps(
            definition(
                f"{gitlab_server.url}/{GROUP}/{PREFIX}-model-build/-/pipelines/{pipeline_id}",
                register_model,
                processing,
            )
        ),
        RoleArn="arn:aws:iam::123456789012:role/r",
    )
    execution_arn = sm.start_pipeline_execution(PipelineName=PREFIX)["PipelineExecutionArn"]
    assert local_aws.state.drain(120), "the pipeline execution did not end"
    steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=execution_arn)["PipelineExecutionSteps"]
    package_arn = next(s["Metadata"]["RegisterModel"]["Arn"] for s in steps if s["StepName"] == "Register")
    serve_model(
        sm,
        {"ModelPackageName": package_arn},
        model="staging-m",
        config="staging-c",
        endpoint=f"{PREFIX}-staging",
        Tags=[{"Key": "sagemaker:deployment-stage", "Value": "staging"}],
    )
    sources = Sources(
        aws=local_aws.client,
        gitlab=lambda: gitlab_server.client(token),
        group_path=GROUP,
        region=local_aws.region,
    )
    return Seeded(
        local_aws,
        gitlab_server,
        sources,
        execution_arn,
        package_arn,
        pipeline_id,
        train_id,
        booster,
        topic_arn,
    )


@pytest.fixture
def console(seeded: Seeded) -> Any:
    running = Console(seeded.sources).start()
    yield running
    running.stop()
