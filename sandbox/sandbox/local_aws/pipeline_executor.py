"""Executes a SageMaker pipeline definition on the host (what SageMaker Pipelines does with containers).

Step types:
- Processing: the step's S3 inputs are downloaded into a temp dir per container `LocalPath`, outputs get a temp
  dir each; every argument, entrypoint element and environment value that starts with a container path is
  rewritten to its temp dir; `python3`/`python` is the host interpreter (the sandbox's virtualenv has what
  the scikit-learn and XGBoost images provide: pandas, numpy, scikit-learn, xgboost). Outputs are uploaded
  to their S3Uri at the end (EndOfJob), PropertyFiles are read from the output dirs.
- Training: the built-in XGBoost algorithm image (see xgboost_container), channels downloaded from S3,
  model.tar.gz uploaded to `<S3OutputPath>/<job name>/output/model.tar.gz` (ModelArtifacts.S3ModelArtifacts).
- Condition (IfSteps/ElseSteps; Outcome "True"/"False"), Fail (execution Failed, the step's ErrorMessage as
  FailureReason), RegisterModel (CreateModelPackage in the local registry, so the registry emits its event),
  Model (CreateModel).
Execution: steps run one at a time in dependency order (data references and DependsOn); a failed step stops
the steps that depend on it and fails the execution. Step statuses with Start/End times, FailureReason and
Metadata (job ARNs, Condition outcome, registered package ARN) feed ListPipelineExecutionSteps.
- QualityCheck (SkipCheck true): the Model Monitor analyzer's baselining job (model_monitor_container), its
  Calculated*/BaselineUsedForDriftCheck* properties.
Not emulated: Transform, Tuning, Lambda, Callback, EMR, ClarifyCheck and other step types (they fail with a
clear reason); QualityCheck drift checks (SkipCheck false); step caching, retry policies, parallelism limits,
StopPipelineExecution, Processing S3InputMode Pipe and ManifestFile inputs, script-mode training images, instance types and counts
(everything runs once, on this machine).
"""

from __future__ import annotations

import json
import os
import re
import string
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandbox import bytecode
from sandbox.local_aws import model_monitor_container, xgboost_container
from sandbox.local_aws.pipeline_expressions import (
    ExpressionError,
    Scope,
    condition,
    parameter_values,
    resolve,
)
from sandbox.local_aws.pipeline_storage import StepError, Storage, map_container_paths

_STEP_REF = re.compile(r"Steps\.([A-Za-z0-9_\-]+)")
_SUPPORTED = {"Processing", "Training", "Condition", "Fail", "RegisterModel", "Model", "QualityCheck"}


@dataclass
class StepRecord:
    name: str
    step_type: str
    display_name: str | None = None
    status: str = "Starting"
    start: datetime | None = None
    end: datetime | None = None
    failure_reason: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    job_name: str | None = None  # the processing/training job the step created (sagemaker_jobs)

    def summary(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "StepName": self.name,
            "StepStatus": self.status,
            "AttemptCount": 1,
            "Metadata": self.metadata,
        }
        if self.display_name:
            item["StepDisplayName"] = self.display_name
        if self.start:
            item["StartTime"] = self.start
        if self.end:
            item["EndTime"] = self.end
        if self.failure_reason:
            item["FailureReason"] = self.failure_reason
        return item


def flatten_steps(definition: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """All steps (conditions' branches included) and, for branch steps, the condition that owns them."""
    steps: list[dict[str, Any]] = []
    owner: dict[str, str] = {}

    def visit(items: list[dict[str, Any]], parent: str | None) -> None:
        for step in items:
            steps.append(step)
            if parent:
                owner[step["Name"]] = parent
            if step["Type"] == "Condition":
                args = step.get("Arguments", {})
                visit(args.get("IfSteps", []), step["Name"])
                visit(args.get("ElseSteps", []), step["Name"])

    visit(definition.get("Steps", []), None)
    return steps, owner


def dependencies(step: dict[str, Any], owner: dict[str, str], names: set[str]) -> set[str]:
    """Steps that must finish first: data references, DependsOn, the owning condition."""
    args = dict(step.get("Arguments", {}))
    if step["Type"] == "Condition":
        args.pop("IfSteps", None)
        args.pop("ElseSteps", None)
    refs = set(_STEP_REF.findall(json.dumps(args))) | set(step.get("DependsOn", []))
    if step["Name"] in owner:
        refs.add(owner[step["Name"]])
    refs.discard(step["Name"])
    return {r for r in refs if r in names}


def job_name(execution_id: str, step_name: str) -> str:
    """A job name like SageMaker's `pipelines-<execution id>-<step>-<random>` (max 63 chars)."""
    import secrets

    suffix = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(10))
    cleaned = re.sub(r"[^A-Za-z0-9-]", "-", step_name)[:26]
    return f"pipelines-{execution_id}-{cleaned}-{suffix}"[:63]


class Executor:
    """Runs one pipeline execution; `records` is what ListPipelineExecutionSteps reports."""

    def __init__(
        self,
        *,
        definition: dict[str, Any],
        overrides: list[dict[str, str]] | None,
        execution: dict[str, Any],
        storage: Storage,
        registry: Any,
        aws_env: dict[str, str],
        workdir: Path,
    ) -> None:
        self.definition = definition
        self.overrides = overrides
        self.storage = storage
        self.registry = registry
        self.aws_env = aws_env
        self.workdir = workdir
        self.execution_id = str(execution["PipelineExecutionId"])
        self.scope = Scope(parameters={}, execution=execution, json_reader=storage.read_json)
        self.records: list[StepRecord] = []
        self.status = "Executing"
        self.failure_reason: str | None = None

    # ---- orchestration ---------------------------------------------------------------------
    def run(self) -> None:
        try:
            self.scope.parameters = parameter_values(self.definition, self.overrides)
        except ExpressionError as exc:
            self._finish("Failed", str(exc))
            return
        steps, owner = flatten_steps(self.definition)
        names = {s["Name"] for s in steps}
        deps = {s["Name"]: dependencies(s, owner, names) for s in steps}
        chosen: set[str] = {s["Name"] for s in steps if s["Name"] not in owner}
        done: dict[str, str] = {}
        failures: list[str] = []
        progress = True
        while progress:
            progress = False
            for step in steps:
                name = step["Name"]
                if name in done or name not in chosen:
                    continue
                if any(done.get(d) is None for d in deps[name]):
                    continue
                progress = True
                if any(done[d] != "Succeeded" for d in deps[name]):
                    done[name] = "NotRun"
                    continue
                record = self._run_step(step)
                done[name] = record.status
                if record.status == "Failed":
                    failures.append(record.failure_reason or name)
                if step["Type"] == "Condition" and record.status == "Succeeded":
                    outcome = record.metadata["Condition"]["Outcome"] == "True"
                    branch = step["Arguments"].get("IfSteps" if outcome else "ElseSteps", [])
                    chosen.update(s["Name"] for s in branch)
        if failures:
            fail_messages = [
                r.failure_reason for r in self.records if r.step_type == "Fail" and r.failure_reason
            ]
            self._finish(
                "Failed", fail_messages[0] if fail_messages else "Step failure: One or multiple steps failed."
            )
        else:
            self._finish("Succeeded", None)

    def _finish(self, status: str, reason: str | None) -> None:
        self.failure_reason = reason
        self.status = status

    def _run_step(self, step: dict[str, Any]) -> StepRecord:
        record = StepRecord(name=step["Name"], step_type=step["Type"], display_name=step.get("DisplayName"))
        record.start = datetime.now(UTC)
        record.status = "Executing"
        self.records.append(record)
        try:
            if step["Type"] not in _SUPPORTED:
                raise StepError(f"Sandbox: step type {step['Type']} is not emulated (see sandbox README)")
            handler = getattr(self, f"_step_{step['Type'].lower()}")
            properties = handler(step, record)
            self.scope.steps[step["Name"]] = properties
            record.status = "Succeeded"
        except (StepError, ExpressionError, xgboost_container.ContainerError) as exc:
            record.status = "Failed"
            record.failure_reason = str(exc)
        except Exception as exc:  # an emulation bug must still end the step, with its cause visible
            record.status = "Failed"
            record.failure_reason = f"InternalServerError: {exc}"
            record.logs.append(traceback.format_exc())
        record.end = datetime.now(UTC)
        if record.job_name:
            self.registry.job_ended(
                record.job_name,
                started=record.start,
                ended=record.end,
                failure_reason=record.failure_reason if record.status == "Failed" else None,
                properties=self.scope.steps.get(step["Name"], {}),
                logs=record.logs,
            )
        return record

    # ---- step types --------------------------------------------------------------------------
    def _step_processing(
        self, step: dict[str, Any], record: StepRecord, container: Callable[..., None] | None = None
    ) -> dict[str, Any]:
        """A processing job; ``container`` stands in for an image that runs in-process (no entrypoint)."""
        args = resolve(step["Arguments"], self.scope)
        name = job_name(self.execution_id, step["Name"])
        arn = self.registry.arn("processing-job", name)
        record.metadata = {"ProcessingJob": {"Arn": arn}}
        record.job_name = name
        self.registry.job_started("processing", name, arn, args, record.start)
        with tempfile.TemporaryDirectory(prefix="processing-", dir=self.workdir) as tmp:
            root = Path(tmp)
            mapping: dict[str, Path] = {}
            for i, item in enumerate(args.get("ProcessingInputs", [])):
                s3_input = item.get("S3Input")
                if not s3_input:
                    raise StepError(f"Sandbox: processing input {item.get('InputName')} is not an S3Input")
                if s3_input.get("S3DataType", "S3Prefix") != "S3Prefix":
                    raise StepError("Sandbox: only S3Prefix processing inputs are emulated")
                local = root / f"in{i}"
                self.storage.download_prefix(s3_input["S3Uri"], local)
                mapping[s3_input["LocalPath"]] = local
            outputs = args.get("ProcessingOutputConfig", {}).get("Outputs", [])
            for i, item in enumerate(outputs):
                local = root / f"out{i}"
                local.mkdir()
                mapping[item["S3Output"]["LocalPath"]] = local
            app = args.get("AppSpecification", {})
            if container is not None:
                container(args.get("Environment") or {}, mapping, record.logs)
                for i, item in enumerate(outputs):
                    self.storage.upload_dir(root / f"out{i}", item["S3Output"]["S3Uri"])
                return {
                    "ProcessingJobName": name,
                    "ProcessingJobArn": arn,
                    "ProcessingOutputConfig": {"Outputs": outputs},
                }
            command = [map_container_paths(str(v), mapping) for v in app.get("ContainerEntrypoint", [])]
            command += [map_container_paths(str(v), mapping) for v in app.get("ContainerArguments", [])]
            if not command:
                raise StepError("Sandbox: the processing image's default entrypoint is not emulated")
            if Path(command[0]).name in ("python3", "python"):
                command[0] = sys.executable
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(root),
                "LANG": "C.UTF-8",
                # Compiled packages, as in the processing image (see sandbox.bytecode).
                **bytecode.child_env(),
                **self.aws_env,
            }
            for key, value in (args.get("Environment") or {}).items():
                env[key] = map_container_paths(str(value), mapping)
            completed = subprocess.run(
                command, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=3600
            )
            record.logs.extend((completed.stdout + completed.stderr).splitlines())
            if completed.returncode != 0:
                tail = " | ".join(line for line in record.logs[-5:] if line.strip())
                raise StepError(f"AlgorithmError: exit code {completed.returncode}. Last output: {tail}")
            for i, item in enumerate(outputs):
                self.storage.upload_dir(root / f"out{i}", item["S3Output"]["S3Uri"])
            for prop in step.get("PropertyFiles", []):
                index = next(
                    (i for i, o in enumerate(outputs) if o["OutputName"] == prop["OutputName"]), None
                )
                if index is None:
                    raise StepError(
                        f"PropertyFile {prop['PropertyFileName']}: no output {prop['OutputName']}"
                    )
                path = root / f"out{index}" / prop["FilePath"]
                if not path.is_file():
                    raise StepError(
                        f"PropertyFile {prop['PropertyFileName']}: {prop['FilePath']} was not written"
                    )
                self.scope.property_files[f"{step['Name']}.{prop['PropertyFileName']}"] = json.loads(
                    path.read_text(encoding="utf-8")
                )
        return {
            "ProcessingJobName": name,
            "ProcessingJobArn": arn,
            "ProcessingJobStatus": "Completed",
            "ProcessingInputs": args.get("ProcessingInputs", []),
            "ProcessingOutputConfig": args.get("ProcessingOutputConfig", {}),
            "AppSpecification": app,
        }

    def _step_qualitycheck(self, step: dict[str, Any], record: StepRecord) -> dict[str, Any]:
        """A Model Monitor baselining job, then the step's baseline properties (see model_monitor_container)."""
        fields = {key: resolve(step.get(key), self.scope) for key in model_monitor_container.STEP_FIELDS}
        model_monitor_container.check_step(step, fields)
        job = self._step_processing(step, record, container=model_monitor_container.run_baseline)
        properties = model_monitor_container.step_properties(job["ProcessingOutputConfig"], fields)
        record.metadata = {
            "QualityCheck": {
                "CheckType": step.get("CheckType"),
                "CheckJobArn": job["ProcessingJobArn"],
                **properties,
            }
        }
        return properties

    def _step_training(self, step: dict[str, Any], record: StepRecord) -> dict[str, Any]:
        args = resolve(step["Arguments"], self.scope)
        name = job_name(self.execution_id, step["Name"])
        arn = self.registry.arn("training-job", name)
        record.metadata = {"TrainingJob": {"Arn": arn}}
        record.job_name = name
        self.registry.job_started("training", name, arn, args, record.start)
        image = args.get("AlgorithmSpecification", {}).get("TrainingImage", "")
        hyperparameters = {k: str(v) for k, v in (args.get("HyperParameters") or {}).items()}
        if "sagemaker-xgboost" not in image or "sagemaker_program" in hyperparameters:
            raise StepError(
                f"Sandbox: only the built-in XGBoost algorithm is trained locally (image {image or 'none'})"
            )
        with tempfile.TemporaryDirectory(prefix="training-", dir=self.workdir) as tmp:
            root = Path(tmp)
            channels: dict[str, Path] = {}
            configs: dict[str, dict[str, str]] = {}
            mode = args.get("AlgorithmSpecification", {}).get("TrainingInputMode", "File")
            for channel in args.get("InputDataConfig", []):
                source = channel["DataSource"]["S3DataSource"]
                local = root / "input" / "data" / channel["ChannelName"]
                self.storage.download_prefix(source["S3Uri"], local)
                channels[channel["ChannelName"]] = local
                configs[channel["ChannelName"]] = {
                    "TrainingInputMode": channel.get("InputMode", mode),
                    "S3DistributionType": source.get("S3DataDistributionType", "FullyReplicated"),
                    **({"ContentType": channel["ContentType"]} if "ContentType" in channel else {}),
                }
            model_dir = root / "model"
            record.logs.extend(xgboost_container.train(hyperparameters, channels, model_dir, configs))
            artifact = xgboost_container.package_model(model_dir)
        output_path = str(args["OutputDataConfig"]["S3OutputPath"]).rstrip("/")
        model_uri = f"{output_path}/{name}/output/model.tar.gz"
        self.storage.put(model_uri, artifact)
        return {
            "TrainingJobName": name,
            "TrainingJobArn": arn,
            "TrainingJobStatus": "Completed",
            "ModelArtifacts": {"S3ModelArtifacts": model_uri},
            "HyperParameters": hyperparameters,
            "AlgorithmSpecification": args.get("AlgorithmSpecification", {}),
            "OutputDataConfig": args.get("OutputDataConfig", {}),
        }

    def _step_condition(self, step: dict[str, Any], record: StepRecord) -> dict[str, Any]:
        conditions = step["Arguments"].get("Conditions", [])
        outcome = all(condition(c, self.scope) for c in conditions)
        record.metadata = {"Condition": {"Outcome": "True" if outcome else "False"}}
        return {"Outcome": "True" if outcome else "False"}

    def _step_fail(self, step: dict[str, Any], record: StepRecord) -> dict[str, Any]:
        message = str(resolve(step["Arguments"].get("ErrorMessage", ""), self.scope))
        record.metadata = {"Fail": {"ErrorMessage": message}}
        raise StepError(message)

    def _step_registermodel(self, step: dict[str, Any], record: StepRecord) -> dict[str, Any]:
        args = resolve(step["Arguments"], self.scope)
        arn = self.registry.create_model_package(args)
        record.metadata = {"RegisterModel": {"Arn": arn}}
        return {"ModelPackageArn": arn}

    def _step_model(self, step: dict[str, Any], record: StepRecord) -> dict[str, Any]:
        args = resolve(step["Arguments"], self.scope)
        name = job_name(self.execution_id, step["Name"])
        arn = self.registry.create_model(name, args)
        record.metadata = {"Model": {"Arn": arn}}
        return {"ModelName": name}


def execution_variables(pipeline_name: str, pipeline_arn: str, execution_arn: str) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "PipelineExecutionId": execution_arn.rsplit("/", 1)[-1],
        "PipelineExecutionArn": execution_arn,
        "PipelineName": pipeline_name,
        "PipelineArn": pipeline_arn,
        "StartDateTime": now,
        "CurrentDateTime": now,
    }
