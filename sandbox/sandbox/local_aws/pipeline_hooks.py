"""Extension: StartPipelineExecution executes the definition (pipeline_executor) in the background.

moto records an execution as Succeeded at once and never runs anything. The sandbox marks it Executing, runs
the definition that was current when the execution started, and keeps moto's execution object up to date
(status, FailureReason, LastModifiedTime). Added: ListPipelineExecutionSteps (absent from moto), with
SageMaker's default SortOrder Descending (newest step first) and NextToken pagination.
Also corrected: DescribePipelineExecution's FailureReason (moto: always "") and ListPipelineExecutions'
PipelineExecutionFailureReason (moto: the text "None").
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any, cast

from sandbox.local_aws import sagemaker_jobs
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.pipeline_executor import Executor, execution_variables
from sandbox.local_aws.pipeline_expressions import ExpressionError, parameter_values
from sandbox.local_aws.pipeline_storage import Storage
from sandbox.local_aws.state import LocalAwsState

_PAGE_SIZE = 20


class Registry:
    """The executor's access to the local SageMaker control plane (in-process: same backend)."""

    def __init__(self, backend: Any, execution_arn: str) -> None:
        self.backend = backend
        self.execution_arn = execution_arn
        self.jobs: dict[str, tuple[str, Any]] = {}

    def job_started(self, kind: str, name: str, arn: str, args: dict[str, Any], started: Any) -> None:
        start = (
            sagemaker_jobs.start_processing_job if kind == "processing" else sagemaker_jobs.start_training_job
        )
        self.jobs[name] = (kind, start(self.backend, name, arn, args, started))

    def job_ended(
        self,
        name: str,
        *,
        started: Any,
        ended: Any,
        failure_reason: str | None,
        properties: dict[str, Any],
        logs: list[str],
    ) -> None:
        kind, job = self.jobs.pop(name)
        outputs = dict(properties.get("ModelArtifacts") or {})
        sagemaker_jobs.finish_job(job, ended=ended, failure_reason=failure_reason, outputs=outputs)
        group = (
            sagemaker_jobs.PROCESSING_LOG_GROUP if kind == "processing" else sagemaker_jobs.TRAINING_LOG_GROUP
        )
        sagemaker_jobs.write_logs(
            self.backend.account_id, self.backend.region_name, group, name, started, logs
        )

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:sagemaker:{self.backend.region_name}:{self.backend.account_id}:{kind}/{name.lower()}"

    def create_model_package(self, args: dict[str, Any]) -> str:
        metadata = dict(args.get("MetadataProperties") or {})
        # SageMaker records which execution registered the package.
        metadata.setdefault("GeneratedBy", self.execution_arn)
        arn: str = self.backend.create_model_package(
            model_package_name=args.get("ModelPackageName"),
            model_package_group_name=args.get("ModelPackageGroupName"),
            model_package_description=args.get("ModelPackageDescription"),
            inference_specification=args.get("InferenceSpecification"),
            validation_specification=args.get("ValidationSpecification"),
            source_algorithm_specification=args.get("SourceAlgorithmSpecification"),
            certify_for_marketplace=bool(args.get("CertifyForMarketplace", False)),
            tags=args.get("Tags"),
            model_approval_status=args.get("ModelApprovalStatus"),
            metadata_properties=metadata,
            model_metrics=args.get("ModelMetrics"),
            client_token=None,
            customer_metadata_properties=args.get("CustomerMetadataProperties"),
            drift_check_baselines=args.get("DriftCheckBaselines"),
            domain=args.get("Domain"),
            task=args.get("Task"),
            sample_payload_url=args.get("SamplePayloadUrl"),
            additional_inference_specifications=args.get("AdditionalInferenceSpecifications"),
        )
        return arn

    def create_model(self, name: str, args: dict[str, Any]) -> str:
        model = self.backend.create_model(
            model_name=name,
            execution_role_arn=args.get("ExecutionRoleArn", ""),
            primary_container=args.get("PrimaryContainer"),
            vpc_config=args.get("VpcConfig"),
            containers=args.get("Containers"),
            tags=args.get("Tags"),
        )
        return str(model.arn)


def _run(state: LocalAwsState, backend: Any, pipeline: Any, execution: Any, workdir: Path) -> None:
    import boto3

    from sandbox.local_aws.lambda_hooks import role_credentials

    # The steps' work (processing, training, reading and writing S3) runs as the pipeline's role, as
    # SageMaker runs it (https://docs.aws.amazon.com/sagemaker/latest/dg/build-and-manage-access.html).
    credentials = role_credentials(
        backend.account_id, backend.region_name, str(pipeline.role_arn), f"pipeline-{pipeline.pipeline_name}"
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=state.endpoint_url,
        region_name=backend.region_name,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
    )
    aws_env = {
        "AWS_ENDPOINT_URL": state.endpoint_url,
        "AWS_REGION": backend.region_name,
        "AWS_DEFAULT_REGION": backend.region_name,
        **credentials,
    }
    executor = Executor(
        definition=json.loads(execution.pipeline_definition_for_execution),
        overrides=execution.pipeline_parameters,
        execution=execution_variables(pipeline.pipeline_name, pipeline.arn, execution.arn),
        storage=Storage(s3),
        registry=Registry(backend, execution.arn),
        aws_env=aws_env,
        workdir=workdir,
    )
    execution.sandbox_executor = executor
    try:
        executor.run()
    finally:
        from moto.core.utils import utcnow

        execution.pipeline_execution_failure_reason = executor.failure_reason
        execution.pipeline_execution_status = executor.status
        execution.last_modified_time = utcnow()


def list_steps(execution: Any, sort_order: str, next_token: str | None) -> dict[str, Any]:
    executor = getattr(execution, "sandbox_executor", None)
    records = list(executor.records) if executor else []
    items = [r.summary() for r in records]
    if sort_order != "Ascending":
        items.reverse()
    start = int(next_token or 0)
    page = items[start : start + _PAGE_SIZE]
    result: dict[str, Any] = {"PipelineExecutionSteps": page}
    if start + _PAGE_SIZE < len(items):
        result["NextToken"] = str(start + _PAGE_SIZE)
    return result


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.core.responses import ActionResult
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse
    from moto.sagemaker.utils import get_pipeline_execution_from_arn

    workdir = Path(tempfile.mkdtemp(prefix="sandbox-pipelines-"))
    state.cleanups.append(lambda: shutil.rmtree(workdir, ignore_errors=True))
    original_start = SageMakerModelBackend.start_pipeline_execution
    original_describe = SageMakerModelBackend.describe_pipeline_execution
    original_list = SageMakerModelBackend.list_pipeline_executions

    def start_pipeline_execution(
        self: Any,
        pipeline_name: str,
        display_name: str,
        pipeline_parameters: list[dict[str, str]] | None,
        *args: Any,
    ) -> dict[str, str]:
        from moto.sagemaker.exceptions import ValidationError

        pipeline = self.pipelines.get(pipeline_name)
        if pipeline is None:
            pipeline = next((p for p in self.pipelines.values() if p.arn == pipeline_name), None)
        if pipeline is not None:
            # SageMaker validates the parameters before it creates the execution.
            try:
                parameter_values(json.loads(pipeline.pipeline_definition), pipeline_parameters)
            except (ExpressionError, ValueError) as exc:
                raise ValidationError(message=str(exc)) from exc
        result: dict[str, str] = original_start(
            self, pipeline_name, display_name, cast(Any, pipeline_parameters), *args
        )
        assert pipeline is not None
        execution = pipeline.pipeline_executions[result["PipelineExecutionArn"]]
        execution.pipeline_execution_status = "Executing"
        state.background(
            f"pipeline-{execution.arn.rsplit('/', 1)[-1]}",
            lambda: _run(state, self, pipeline, execution, workdir),
        )
        return result

    def describe_pipeline_execution(self: Any, pipeline_execution_arn: str) -> dict[str, Any]:
        response: dict[str, Any] = original_describe(self, pipeline_execution_arn)
        execution = get_pipeline_execution_from_arn(self.pipelines, pipeline_execution_arn)
        if execution.pipeline_execution_failure_reason:
            response["FailureReason"] = execution.pipeline_execution_failure_reason
        else:
            response.pop("FailureReason", None)
        return response

    def list_pipeline_executions(self: Any, pipeline_name: str) -> dict[str, Any]:
        response: dict[str, Any] = original_list(self, pipeline_name)
        for summary in response["PipelineExecutionSummaries"]:
            if summary.get("PipelineExecutionFailureReason") in ("None", "", None):
                summary.pop("PipelineExecutionFailureReason", None)
        return response

    def list_pipeline_execution_steps(self: Any) -> Any:
        arn = self._get_param("PipelineExecutionArn")
        execution = get_pipeline_execution_from_arn(self.sagemaker_backend.pipelines, arn)
        return ActionResult(
            list_steps(execution, self._get_param("SortOrder") or "Descending", self._get_param("NextToken"))
        )

    patches.set(SageMakerModelBackend, "start_pipeline_execution", start_pipeline_execution)
    patches.set(SageMakerModelBackend, "describe_pipeline_execution", describe_pipeline_execution)
    patches.set(SageMakerModelBackend, "list_pipeline_executions", list_pipeline_executions)
    patches.set(SageMakerResponse, "list_pipeline_execution_steps", list_pipeline_execution_steps)
