"""What the lifecycle reads, never changes: GitLab pipelines and jobs, stacks, the registry, the inbox."""

from __future__ import annotations

import json
from typing import Any

from sandbox.lifecycle.context import Context, StageError

TERMINAL = ("success", "failed", "canceled", "skipped", "manual")


def gitlab_project(ctx: Context, kind: str) -> Any:
    return ctx.cloud.gitlab_client().projects.get(ctx.repo_path(kind))


def finished(pipeline: Any) -> bool:
    pipeline.refresh()
    return pipeline.status in TERMINAL


def job_summary(pipeline: Any) -> dict[str, str]:
    return {job.name: job.status for job in pipeline.jobs.list(get_all=True)}


def job_seconds(pipeline: Any) -> dict[str, float]:
    """How long each finished job ran, as GitLab reports it (`duration`)."""
    return {
        job.name: round(float(job.duration), 1)
        for job in pipeline.jobs.list(get_all=True)
        if getattr(job, "duration", None) is not None
    }


def job_trace(project: Any, pipeline: Any, name: str) -> str:
    """The log of the pipeline's job ``name`` (empty when it has none)."""
    for job in pipeline.jobs.list(get_all=True):
        if job.name == name:
            return str(project.jobs.get(job.id).trace().decode("utf-8", "replace"))
    return ""


def job_failure(project: Any, pipeline: Any) -> str:
    lines = []
    for job in pipeline.jobs.list(get_all=True):
        if job.status == "failed":
            trace = project.jobs.get(job.id).trace().decode("utf-8", "replace")
            lines.append(
                f"job {job.name} failed; last lines:\n" + "\n".join(trace.strip().splitlines()[-25:])
            )
    return "\n".join(lines) or f"pipeline {pipeline.id} is {pipeline.status}"


def pipeline_variables(pipeline: Any) -> dict[str, str]:
    return {v.key: v.value for v in pipeline.variables.list(get_all=True)}


def deploy_pipelines(ctx: Context) -> list[Any]:
    """The deploy repo's pipelines started by the trigger Lambda, newest first."""
    return list(gitlab_project(ctx, "deploy").pipelines.list(source="trigger", get_all=True))


def tag_pipelines(ctx: Context, tag: str) -> list[Any]:
    """The deploy repo's pipelines for ``tag``, newest first."""
    return list(gitlab_project(ctx, "deploy").pipelines.list(ref=tag, get_all=True))


def stack_outputs(ctx: Context, name: str) -> dict[str, str]:
    stack = ctx.aws("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def stack_status(ctx: Context, name: str) -> str | None:
    cfn = ctx.aws("cloudformation")
    try:
        return str(cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"])
    except cfn.exceptions.ClientError:
        return None


def stack_reasons(ctx: Context, name: str, count: int = 3) -> list[str]:
    events = ctx.aws("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    return [e["ResourceStatusReason"] for e in events if e.get("ResourceStatusReason")][:count]


def served_package(ctx: Context, stage: str) -> str:
    """The model package the stage's deploy stack was deployed with."""
    stack = ctx.aws("cloudformation").describe_stacks(StackName=ctx.deploy_stack(stage))["Stacks"][0]
    return str(
        next(p["ParameterValue"] for p in stack["Parameters"] if p["ParameterKey"] == "ModelPackageArn")
    )


def sample_rows(ctx: Context, count: int = 3) -> str:
    """Feature rows for the endpoint, from the build's own test split (target column dropped)."""
    s3 = ctx.aws("s3")
    uri = ctx.facts["test_data_uri"]
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    key = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"][0]["Key"]
    lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().strip().splitlines()[:count]
    return "\n".join(line.split(",", 1)[1] for line in lines)


def invoke(ctx: Context, endpoint: str) -> list[float]:
    """What the endpoint predicts for ``sample_rows`` (as a client of the endpoint would call it)."""
    body = sample_rows(ctx)
    response = ctx.aws("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, ContentType="text/csv", Body=body
    )
    text = response["Body"].read().decode()
    return [round(float(v), 3) for v in text.replace(",", "\n").split()]


def notifications(ctx: Context) -> list[str]:
    """Messages that reached the inbox since the last call (each read once, as a person reads mail)."""
    sqs = ctx.aws("sqs")
    messages = sqs.receive_message(QueueUrl=ctx.facts["inbox_url"], MaxNumberOfMessages=10).get(
        "Messages", []
    )
    texts = []
    for message in messages:
        sqs.delete_message(QueueUrl=ctx.facts["inbox_url"], ReceiptHandle=message["ReceiptHandle"])
        texts.append(str(json.loads(message["Body"]).get("Message", "")))
    ctx.facts.setdefault("all_notifications", []).extend(texts)
    return texts


def repo_files(project: Any) -> list[str]:
    return [f["path"] for f in project.repository_tree(recursive=True, get_all=True) if f["type"] == "blob"]


def execution_status(ctx: Context, execution_arn: str) -> str:
    execution = ctx.aws("sagemaker").describe_pipeline_execution(PipelineExecutionArn=execution_arn)
    return str(execution["PipelineExecutionStatus"])


def step_seconds(ctx: Context, execution_arn: str) -> dict[str, float]:
    steps = ctx.aws("sagemaker").list_pipeline_execution_steps(
        PipelineExecutionArn=execution_arn, SortOrder="Ascending"
    )
    return {
        s["StepName"]: round((s["EndTime"] - s["StartTime"]).total_seconds(), 1)
        for s in steps["PipelineExecutionSteps"]
        if "EndTime" in s
    }


def newest_package(ctx: Context) -> dict[str, Any] | None:
    packages = ctx.aws("sagemaker").list_model_packages(
        ModelPackageGroupName=ctx.prefix, SortBy="CreationTime", SortOrder="Descending"
    )["ModelPackageSummaryList"]
    if not packages:
        return None
    package: dict[str, Any] = ctx.aws("sagemaker").describe_model_package(
        ModelPackageName=packages[0]["ModelPackageArn"]
    )
    return package


def reported_mse(ctx: Context, package: dict[str, Any]) -> float:
    """The MSE the build's evaluation step reported for ``package`` (its registered model metrics)."""
    metrics_uri = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    bucket, _, key = metrics_uri.removeprefix("s3://").partition("/")
    report = json.loads(ctx.aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    return float(report["regression_metrics"]["mse"]["value"])


def step_output(ctx: Context, execution_arn: str, name: str) -> str:
    """The S3 URI of the processing output ``name`` in the execution's pipeline definition."""
    definition = json.loads(
        ctx.aws("sagemaker").describe_pipeline_definition_for_execution(PipelineExecutionArn=execution_arn)[
            "PipelineDefinition"
        ]
    )
    execution_id = execution_arn.rsplit("/", 1)[-1]
    for step in definition["Steps"]:
        for output in step.get("Arguments", {}).get("ProcessingOutputConfig", {}).get("Outputs", []):
            if output["OutputName"] == name:
                uri = output["S3Output"]["S3Uri"]
                if isinstance(uri, dict):  # Std:Join of the prefix and the execution id
                    values = uri["Std:Join"]["Values"]
                    parts = [execution_id if isinstance(v, dict) else str(v) for v in values]
                    return str(uri["Std:Join"]["On"]).join(parts)
                return str(uri)
    raise StageError(f"no processing output named {name!r} in the pipeline definition")
