"""The processing and training jobs a pipeline runs exist in the local SageMaker, with their logs.

A Processing or Training step of a pipeline execution creates a job as SageMaker does: moto's own job model
(so DescribeProcessingJob / DescribeTrainingJob / ListProcessingJobs / ListTrainingJobs answer from moto's
handlers), InProgress while the step runs, then Completed or Failed with the real start/end times and the
FailureReason. Fields as the SageMaker API reference defines them:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeProcessingJob.html and
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeTrainingJob.html (ProcessingInputs,
ProcessingOutputConfig, ProcessingResources, AppSpecification, Environment, RoleArn, StoppingCondition,
ProcessingJobStatus, ExitMessage, FailureReason, ProcessingStartTime/EndTime; AlgorithmSpecification,
HyperParameters, InputDataConfig, OutputDataConfig, ResourceConfig, ModelArtifacts, TrainingJobStatus,
SecondaryStatus and SecondaryStatusTransitions, TrainingStartTime/EndTime, TrainingTimeInSeconds).
moto's invented values are removed: the training job's "test:dcg" metric definition and final metrics.

Logs go to CloudWatch Logs as SageMaker writes them ("Log groups and streams that SageMaker AI sends to
CloudWatch Logs", https://docs.aws.amazon.com/sagemaker/latest/dg/logging-cloudwatch.html): groups
`/aws/sagemaker/ProcessingJobs` and `/aws/sagemaker/TrainingJobs`, stream `<job name>/algo-1-<epoch seconds>`
(one instance: algo-1), which is the prefix the SageMaker Python SDK reads (`<job name>/`,
sagemaker/core/common_utils.py).
Not emulated: BillableTimeInSeconds, metrics, StopProcessingJob/StopTrainingJob of a running step, logs
streamed while the job runs (they are written when it ends).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

PROCESSING_LOG_GROUP = "/aws/sagemaker/ProcessingJobs"
TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"


def start_processing_job(backend: Any, name: str, arn: str, args: dict[str, Any], started: datetime) -> Any:
    """Create the step's processing job, InProgress."""
    from moto.sagemaker.models import FakeProcessingJob

    job: Any = FakeProcessingJob(
        app_specification=args.get("AppSpecification", {}),
        experiment_config=args.get("ExperimentConfig"),  # type: ignore[arg-type]
        network_config=args.get("NetworkConfig"),  # type: ignore[arg-type]
        processing_inputs=args.get("ProcessingInputs", []),
        processing_job_name=name,
        processing_output_config=args.get("ProcessingOutputConfig"),  # type: ignore[arg-type]
        account_id=backend.account_id,
        region_name=backend.region_name,
        role_arn=args.get("RoleArn", ""),
        tags=args.get("Tags", []),
        stopping_condition=args.get("StoppingCondition"),  # type: ignore[arg-type]
    )
    job.arn = arn
    job.processing_resources = args.get("ProcessingResources")
    job.environment = args.get("Environment")
    job.processing_job_status = "InProgress"
    job.creation_time = job.last_modified_time = job.processing_start_time = started
    del job.processing_end_time
    backend.processing_jobs[name] = job
    return job


def start_training_job(backend: Any, name: str, arn: str, args: dict[str, Any], started: datetime) -> Any:
    """Create the step's training job, InProgress (SecondaryStatus Starting)."""
    from moto.sagemaker.models import FakeTrainingJob

    algorithm = dict(args.get("AlgorithmSpecification", {}))
    job: Any = FakeTrainingJob(
        account_id=backend.account_id,
        region_name=backend.region_name,
        training_job_name=name,
        hyper_parameters={k: str(v) for k, v in (args.get("HyperParameters") or {}).items()},
        algorithm_specification=dict(algorithm),
        role_arn=args.get("RoleArn", ""),
        input_data_config=args.get("InputDataConfig", []),
        output_data_config=args.get("OutputDataConfig", {"S3OutputPath": ""}),
        resource_config=args.get("ResourceConfig"),  # type: ignore[arg-type]
        vpc_config=args.get("VpcConfig"),  # type: ignore[arg-type]
        stopping_condition=args.get("StoppingCondition"),  # type: ignore[arg-type]
        tags=args.get("Tags", []),
        enable_network_isolation=bool(args.get("EnableNetworkIsolation", False)),
        enable_inter_container_traffic_encryption=bool(
            args.get("EnableInterContainerTrafficEncryption", False)
        ),
        enable_managed_spot_training=bool(args.get("EnableManagedSpotTraining", False)),
        checkpoint_config=args.get("CheckpointConfig"),  # type: ignore[arg-type]
        debug_hook_config=args.get("DebugHookConfig"),  # type: ignore[arg-type]
        debug_rule_configurations=args.get("DebugRuleConfigurations"),  # type: ignore[arg-type]
        tensor_board_output_config=args.get("TensorBoardOutputConfig"),  # type: ignore[arg-type]
        experiment_config=args.get("ExperimentConfig"),  # type: ignore[arg-type]
    )
    job.arn = arn
    job.algorithm_specification = algorithm  # without moto's invented metric definition
    del job.final_metric_data_list
    del job.model_artifacts  # known once the model is uploaded
    del job.training_end_time
    job.training_job_status = "InProgress"
    job.secondary_status = "Starting"
    job.creation_time = job.last_modified_time = job.training_start_time = started
    job.secondary_status_transitions = [
        {"Status": "Starting", "StartTime": started, "StatusMessage": "Preparing the instances for training"}
    ]
    backend.training_jobs[name] = job
    return job


def finish_job(
    job: Any,
    *,
    ended: datetime,
    failure_reason: str | None,
    outputs: dict[str, Any],
) -> None:
    """Completed or Failed, with the end time, the reason and (training) the model artifacts."""
    status = "Failed" if failure_reason else "Completed"
    job.last_modified_time = ended
    if hasattr(job, "processing_job_status"):
        job.processing_job_status = status
        job.processing_end_time = ended
        if failure_reason:
            job.failure_reason = failure_reason
            job.exit_message = failure_reason[:1024]
        return
    job.training_job_status = status
    job.secondary_status = status
    job.training_end_time = ended
    job.training_time_in_seconds = max(1, int((ended - job.training_start_time).total_seconds()))
    transitions = job.secondary_status_transitions
    transitions[-1]["EndTime"] = ended
    message = failure_reason or "Training job completed"
    transitions.append({"Status": status, "StartTime": ended, "EndTime": ended, "StatusMessage": message})
    if failure_reason:
        job.failure_reason = failure_reason
    elif "S3ModelArtifacts" in outputs:
        job.model_artifacts = {"S3ModelArtifacts": outputs["S3ModelArtifacts"]}


def write_logs(
    account_id: str, region: str, group: str, job_name: str, started: datetime, lines: list[str]
) -> str:
    """The job's output as one CloudWatch Logs stream; returns the stream name."""
    from moto.logs.models import logs_backends

    backend = logs_backends[account_id][region]
    stream = f"{job_name}/algo-1-{int(started.timestamp())}"
    backend.ensure_log_group(group)
    backend.create_log_stream(group, stream)
    at = int(started.timestamp() * 1000)
    events = [{"timestamp": at, "message": line} for line in lines if line.strip()]
    if events:
        backend.put_log_events(group, stream, events)
    return stream
