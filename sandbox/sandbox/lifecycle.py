"""The lifecycle a team lives through, driven against the local cloud with the product's real code.

Stages (each a function; the first failure skips the rest, the report says why):
 1. package              scripts/package (unchanged) into the sandbox's dist/
 2. publish              scripts/publish (unchanged) against the local AWS
 3. create-project       the project stack, created as Studio would (SageMakerProjectName/Id); the seeder
                         creates both repositories in GitLab
 4. build                the build repo's first pipeline (gitlab-ci-local) runs the SageMaker pipeline
                         locally; a model is registered PendingManualApproval
 5. notification        the "awaits approval" message reaches a subscriber of the project's SNS topic
 6. staging              approve → EventBridge → trigger Lambda → deploy pipeline: staging stack,
                         smoke test; the sandbox invokes the endpoint itself too
 7. production           a person plays the manual production job (python-gitlab); prod tested
 8. rollback             a second model (retrained since stage 6) is approved (staging), then rejected →
                         the trigger rolls staging back to the first one
 9. delete-project       delete the project stack → repos per policy, deploy stacks and endpoints gone
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox import data as data_module
from sandbox.cloud import GROUP_PATH, LocalCloud
from sandbox.report import Report, Stage

ROOT = Path(__file__).resolve().parents[2]
PROJECT_NAME = "abalone"
Log = Callable[[str], None]


class StageError(Exception):
    """A stage's expectation did not hold; the message is the report's error."""


# How often the lifecycle (the "user") polls GitLab and AWS: each poll is a local HTTP request of a few ms,
# and on average half an interval is lost per wait, so keep it short (the long build wait polls less, to
# leave the CPU to its jobs).
POLL_S = 0.1


def wait_for(what: str, predicate: Callable[[], Any], timeout_s: float, interval_s: float = POLL_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise StageError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


def project_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "p-" + "".join(secrets.choice(alphabet) for _ in range(12))


@dataclass
class Context:
    cloud: LocalCloud
    dataset: data_module.Dataset
    log: Log
    name: str = PROJECT_NAME
    project_id: str = field(default_factory=project_id)
    version: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"{self.name}-{self.project_id}"

    @property
    def project_stack(self) -> str:
        return f"SC-sagemaker-project-{self.prefix}"

    def aws(self, service: str) -> Any:
        return self.cloud.aws.client(service)


# ---- helpers --------------------------------------------------------------------------------------
def run_script(ctx: Context, script: str, args: list[str], aws: bool) -> str:
    env = dict(os.environ)
    if aws:
        env.update(ctx.cloud.aws.client_env())
    process = subprocess.run(
        [str(ROOT / "scripts" / script), *args], env=env, capture_output=True, text=True, check=False
    )
    output = process.stdout + process.stderr
    log_file = ctx.cloud.workdir / f"{script}.log"
    log_file.write_text(output, encoding="utf-8")
    if process.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise StageError(f"scripts/{script} exited {process.returncode}:\n{tail}")
    return output


def gitlab_project(ctx: Context, kind: str) -> Any:
    return ctx.cloud.gitlab_client().projects.get(f"{GROUP_PATH}/{ctx.prefix}-model-{kind}")


def finished(pipeline: Any) -> bool:
    pipeline.refresh()
    return pipeline.status in ("success", "failed", "canceled", "skipped", "manual")


def job_summary(pipeline: Any) -> dict[str, str]:
    return {job.name: job.status for job in pipeline.jobs.list(get_all=True)}


def job_seconds(pipeline: Any) -> dict[str, float]:
    """How long each finished job ran, as GitLab reports it (`duration`)."""
    return {
        job.name: round(float(job.duration), 1)
        for job in pipeline.jobs.list(get_all=True)
        if getattr(job, "duration", None) is not None
    }


def job_failure(project: Any, pipeline: Any) -> str:
    lines = []
    for job in pipeline.jobs.list(get_all=True):
        if job.status == "failed":
            trace = project.jobs.get(job.id).trace().decode("utf-8", "replace")
            lines.append(
                f"job {job.name} failed; last lines:\n" + "\n".join(trace.strip().splitlines()[-25:])
            )
    return "\n".join(lines) or f"pipeline {pipeline.id} is {pipeline.status}"


def stack_outputs(ctx: Context, name: str) -> dict[str, str]:
    stack = ctx.aws("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def stack_status(ctx: Context, name: str) -> str | None:
    cfn = ctx.aws("cloudformation")
    try:
        return str(cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"])
    except cfn.exceptions.ClientError:
        return None


def sample_rows(ctx: Context, count: int = 3) -> str:
    """Feature rows for the endpoint, from the build's own test split (target column dropped)."""
    s3 = ctx.aws("s3")
    uri = ctx.facts["test_data_uri"]
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    key = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"][0]["Key"]
    lines = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().strip().splitlines()[:count]
    return "\n".join(line.split(",", 1)[1] for line in lines)


def invoke(ctx: Context, endpoint: str) -> list[float]:
    body = sample_rows(ctx)
    response = ctx.aws("sagemaker-runtime").invoke_endpoint(
        EndpointName=endpoint, ContentType="text/csv", Body=body
    )
    text = response["Body"].read().decode()
    return [round(float(v), 3) for v in text.replace(",", "\n").split()]


def notifications(ctx: Context) -> list[str]:
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


def deploy_pipelines(ctx: Context) -> list[Any]:
    return list(gitlab_project(ctx, "deploy").pipelines.list(source="trigger", get_all=True))


# ---- stages ---------------------------------------------------------------------------------------
def stage_package(ctx: Context) -> dict[str, Any]:
    dist = ctx.cloud.workdir / "dist"
    run_script(ctx, "package", ["--dist", str(dist)], aws=False)
    manifests = sorted(dist.glob("*/manifest.json"))
    if not manifests:
        raise StageError(f"scripts/package wrote no manifest under {dist}")
    manifest = json.loads(manifests[-1].read_text(encoding="utf-8"))
    ctx.version = manifests[-1].parent.name
    artifacts = manifest.get("artifacts", {})
    names = sorted(artifacts) if isinstance(artifacts, dict) else sorted(a.get("name", "") for a in artifacts)
    return {"version": ctx.version, "artifacts": names}


def stage_publish(ctx: Context) -> dict[str, Any]:
    run_script(
        ctx,
        "publish",
        [
            "--dist",
            str(ctx.cloud.workdir / "dist"),
            "--version",
            ctx.version,
            "--region",
            ctx.cloud.aws.region,
            "--gitlab-url",
            ctx.cloud.gitlab_url,
            "--gitlab-group",
            GROUP_PATH,
            "--gitlab-token-secret-arn",
            ctx.cloud.token_secret_arn,
            "--poll-seconds",
            "0.2",
        ],
        aws=True,
    )
    ssm = ctx.aws("ssm")
    bucket = ssm.get_parameter(Name="/sagemaker-gitlab/artifacts-bucket")["Parameter"]["Value"]
    ctx.facts["artifacts_bucket"] = bucket
    keys = [o["Key"] for o in ctx.aws("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]
    template_key = next((k for k in keys if k.endswith(f"{ctx.version}/template.yaml")), None)
    if template_key is None:
        raise StageError(f"publish left no {ctx.version}/template.yaml in s3://{bucket}")
    ctx.facts["template_key"] = template_key
    return {"artifacts_bucket": bucket, "objects": len(keys), "template": f"s3://{bucket}/{template_key}"}


def stage_create_project(ctx: Context) -> dict[str, Any]:
    bucket, key = ctx.facts["artifacts_bucket"], ctx.facts["template_key"]
    body = ctx.aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    cfn = ctx.aws("cloudformation")
    # Studio (through Service Catalog) passes exactly these two parameters and tags the stack.
    cfn.create_stack(
        StackName=ctx.project_stack,
        TemplateBody=body,
        Parameters=[
            {"ParameterKey": "SageMakerProjectName", "ParameterValue": ctx.name},
            {"ParameterKey": "SageMakerProjectId", "ParameterValue": ctx.project_id},
        ],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        Tags=[
            {"Key": "sagemaker:project-name", "Value": ctx.name},
            {"Key": "sagemaker:project-id", "Value": ctx.project_id},
        ],
    )
    status = wait_for(
        "the project stack",
        lambda: (s := stack_status(ctx, ctx.project_stack)) not in ("CREATE_IN_PROGRESS", None) and s,
        timeout_s=180,
    )
    if status != "CREATE_COMPLETE":
        events = cfn.describe_stack_events(StackName=ctx.project_stack)["StackEvents"]
        reasons = [e.get("ResourceStatusReason") for e in events if e.get("ResourceStatusReason")]
        raise StageError(f"project stack {status}: {reasons[:3]}")
    outputs = stack_outputs(ctx, ctx.project_stack)
    ctx.facts["outputs"] = outputs
    # A subscriber to the project's notifications (as a person's e-mail would be).
    sqs, sns = ctx.aws("sqs"), ctx.aws("sns")
    inbox = sqs.create_queue(QueueName=f"{ctx.prefix}-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=outputs["NotificationTopicArn"], Protocol="sqs", Endpoint=inbox_arn)
    ctx.facts["inbox_url"] = inbox
    build, deploy = gitlab_project(ctx, "build"), gitlab_project(ctx, "deploy")
    build_files = [
        f["path"] for f in build.repository_tree(recursive=True, get_all=True) if f["type"] == "blob"
    ]
    deploy_files = [
        f["path"] for f in deploy.repository_tree(recursive=True, get_all=True) if f["type"] == "blob"
    ]
    return {
        "stack": ctx.project_stack,
        "build_repo": build.path_with_namespace,
        "deploy_repo": deploy.path_with_namespace,
        "build_repo_files": len(build_files),
        "deploy_repo_files": len(deploy_files),
        "build_repo_variables": sorted(v.key for v in build.variables.list(get_all=True)),
    }


def stage_build(ctx: Context) -> dict[str, Any]:
    build = gitlab_project(ctx, "build")
    pipeline = wait_for("the build repo's first pipeline", lambda: build.pipelines.list(get_all=True), 60)[-1]
    wait_for(f"build pipeline {pipeline.id}", lambda: finished(pipeline), timeout_s=900, interval_s=0.25)
    if pipeline.status != "success":
        raise StageError(job_failure(build, pipeline))
    sm = ctx.aws("sagemaker")
    executions = sm.list_pipeline_executions(PipelineName=ctx.prefix)["PipelineExecutionSummaries"]
    if not executions:
        raise StageError(f"the build pipeline succeeded but SageMaker pipeline {ctx.prefix} never ran")
    execution_arn = executions[0]["PipelineExecutionArn"]
    execution = sm.describe_pipeline_execution(PipelineExecutionArn=execution_arn)
    steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=execution_arn, SortOrder="Ascending")
    step_times = {
        s["StepName"]: round((s["EndTime"] - s["StartTime"]).total_seconds(), 1)
        for s in steps["PipelineExecutionSteps"]
        if "EndTime" in s
    }
    packages = sm.list_model_packages(ModelPackageGroupName=ctx.prefix)["ModelPackageSummaryList"]
    if not packages:
        raise StageError(f"no model package registered in {ctx.prefix}")
    package = sm.describe_model_package(ModelPackageName=packages[0]["ModelPackageArn"])
    if package["ModelApprovalStatus"] != "PendingManualApproval":
        raise StageError(f"package registered as {package['ModelApprovalStatus']}, not PendingManualApproval")
    metrics_uri = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    bucket, _, key = metrics_uri.removeprefix("s3://").partition("/")
    report = json.loads(ctx.aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    mse = report["regression_metrics"]["mse"]["value"]
    ctx.facts["package_v1"] = package["ModelPackageArn"]
    ctx.facts["test_data_uri"] = _step_output(sm, execution_arn, "test")
    return {
        "gitlab_pipeline": pipeline.id,
        "jobs": job_summary(pipeline),
        "job_seconds": job_seconds(pipeline),
        "sagemaker_execution": execution_arn,
        "execution_status": execution["PipelineExecutionStatus"],
        "step_seconds": step_times,
        "test_mse": mse,
        "model_package_arn": package["ModelPackageArn"],
        "approval_status": package["ModelApprovalStatus"],
        "lineage": package.get("CustomerMetadataProperties", {}),
    }


def _step_output(sm: Any, execution_arn: str, name: str) -> str:
    definition = json.loads(
        sm.describe_pipeline_definition_for_execution(PipelineExecutionArn=execution_arn)[
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


def stage_notification(ctx: Context) -> dict[str, Any]:
    found = wait_for(
        "the 'awaits approval' notification",
        lambda: [t for t in notifications(ctx) if "awaits approval" in t],
        timeout_s=30,
    )
    return {"message": found[0]}


def stage_staging(ctx: Context) -> dict[str, Any]:
    sm = ctx.aws("sagemaker")
    arn = ctx.facts["package_v1"]
    sm.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="sandbox: metrics reviewed"
    )
    # Meanwhile the data scientist retrains (re-runs the SageMaker pipeline, as from Studio): the second
    # model version that stage 8 approves and rejects.
    ctx.facts["retrain"] = sm.start_pipeline_execution(
        PipelineName=ctx.prefix, PipelineExecutionDisplayName="retrain"
    )["PipelineExecutionArn"]
    pipeline = wait_for("the deploy pipeline started by the approval", lambda: deploy_pipelines(ctx), 60)[0]
    deploy = gitlab_project(ctx, "deploy")
    wait_for(f"deploy pipeline {pipeline.id}", lambda: finished(pipeline), timeout_s=600, interval_s=POLL_S)
    jobs = job_summary(pipeline)
    if pipeline.status == "failed" or jobs.get("test-staging") != "success":
        raise StageError(job_failure(deploy, pipeline))
    variables = {v.key: v.value for v in pipeline.variables.list(get_all=True)}
    if variables.get("MODEL_PACKAGE_ARN") != arn:
        raise StageError(f"deploy pipeline variables name {variables.get('MODEL_PACKAGE_ARN')}, not {arn}")
    stack = f"sagemaker-{ctx.prefix}-deploy-staging"
    outputs = stack_outputs(ctx, stack)
    endpoint = outputs["EndpointName"]
    ctx.facts["deploy_pipeline"] = pipeline.id
    return {
        "approved": arn,
        "deploy_pipeline": pipeline.id,
        "pipeline_variables": {k: v for k, v in variables.items() if k != "APPROVAL_EVENT_ID"},
        "jobs": jobs,
        "job_seconds": job_seconds(pipeline),
        "stack": f"{stack} {stack_status(ctx, stack)}",
        "endpoint_name": endpoint,
        "predictions": invoke(ctx, endpoint),
    }


def stage_production(ctx: Context) -> dict[str, Any]:
    deploy = gitlab_project(ctx, "deploy")
    pipeline = deploy.pipelines.get(ctx.facts["deploy_pipeline"])
    manual = [j for j in pipeline.jobs.list(get_all=True) if j.name == "deploy-prod"]
    if not manual or manual[0].status != "manual":
        raise StageError(
            f"no manual deploy-prod job waiting in pipeline {pipeline.id}: {job_summary(pipeline)}"
        )
    # A person (Maintainer) presses "play" on the production job.
    deploy.jobs.get(manual[0].id, lazy=True).play()
    wait_for(
        "the production jobs",
        lambda: (
            job_summary(pipeline).get("test-prod") in ("success", "failed", "skipped", "canceled")
            or job_summary(pipeline).get("deploy-prod") == "failed"
        ),
        timeout_s=600,
        interval_s=POLL_S,
    )
    jobs = job_summary(pipeline)
    if jobs.get("test-prod") != "success":
        raise StageError(job_failure(deploy, pipeline))
    stack = f"sagemaker-{ctx.prefix}-deploy-prod"
    endpoint = stack_outputs(ctx, stack)["EndpointName"]
    return {
        "played_by": "ml-engineer (python-gitlab)",
        "jobs": jobs,
        "stack": f"{stack} {stack_status(ctx, stack)}",
        "endpoint_name": endpoint,
        "predictions": invoke(ctx, endpoint),
    }


def staging_package(ctx: Context) -> str:
    stack = ctx.aws("cloudformation").describe_stacks(StackName=f"sagemaker-{ctx.prefix}-deploy-staging")[
        "Stacks"
    ][0]
    return str(
        next(p["ParameterValue"] for p in stack["Parameters"] if p["ParameterKey"] == "ModelPackageArn")
    )


def next_deploy_pipeline(ctx: Context, before: int, what: str) -> Any:
    pipelines = wait_for(what, lambda: (p := deploy_pipelines(ctx)) and len(p) > before and p, 60)
    pipeline = pipelines[0]
    wait_for(f"deploy pipeline {pipeline.id}", lambda: finished(pipeline), timeout_s=600, interval_s=POLL_S)
    if job_summary(pipeline).get("test-staging") != "success":
        raise StageError(job_failure(gitlab_project(ctx, "deploy"), pipeline))
    return pipeline


def stage_rollback(ctx: Context) -> dict[str, Any]:
    sm = ctx.aws("sagemaker")

    # The second model (retrained since stage 6) is approved, reaches staging...
    def retrain_status() -> str:
        execution = sm.describe_pipeline_execution(PipelineExecutionArn=ctx.facts["retrain"])
        return str(execution["PipelineExecutionStatus"])

    wait_for(
        "the retraining execution", lambda: retrain_status() != "Executing", timeout_s=600, interval_s=POLL_S
    )
    if retrain_status() != "Succeeded":
        raise StageError(f"the retraining execution {ctx.facts['retrain']} ended {retrain_status()}")
    packages = sm.list_model_packages(
        ModelPackageGroupName=ctx.prefix, SortBy="CreationTime", SortOrder="Descending"
    )
    v2 = packages["ModelPackageSummaryList"][0]["ModelPackageArn"]
    if v2 == ctx.facts["package_v1"]:
        raise StageError("the second execution registered no new model package")
    before = len(deploy_pipelines(ctx))
    sm.update_model_package(ModelPackageArn=v2, ModelApprovalStatus="Approved")
    approved = next_deploy_pipeline(ctx, before, "the deploy pipeline of the second model")
    if staging_package(ctx) != v2:
        raise StageError(f"staging serves {staging_package(ctx)} after approving {v2}")
    # ... then finds it wrong and rejects it: the trigger rolls staging back to the newest Approved one.
    sm.update_model_package(
        ModelPackageArn=v2, ModelApprovalStatus="Rejected", ApprovalDescription="regression"
    )
    rollback = next_deploy_pipeline(ctx, before + 1, "the rollback deploy pipeline")
    variables = {v.key: v.value for v in rollback.variables.list(get_all=True)}
    if (
        variables.get("DEPLOY_REASON") != "rollback"
        or variables.get("MODEL_PACKAGE_ARN") != ctx.facts["package_v1"]
    ):
        raise StageError(f"the rollback pipeline's variables are {variables}")
    serving = staging_package(ctx)
    if serving != ctx.facts["package_v1"]:
        raise StageError(f"staging serves {serving} after the rollback, not {ctx.facts['package_v1']}")
    return {
        "second_package": v2,
        "approved_pipeline": approved.id,
        "rejected": v2,
        "rollback_pipeline": rollback.id,
        "rollback_variables": {k: v for k, v in variables.items() if k != "APPROVAL_EVENT_ID"},
        "staging_serves": serving,
        "predictions": invoke(
            ctx, stack_outputs(ctx, f"sagemaker-{ctx.prefix}-deploy-staging")["EndpointName"]
        ),
    }


def stage_delete_project(ctx: Context) -> dict[str, Any]:
    cfn = ctx.aws("cloudformation")
    cfn.delete_stack(StackName=ctx.project_stack)
    wait_for(
        "the project stack deletion",
        lambda: stack_status(ctx, ctx.project_stack) in (None, "DELETE_COMPLETE", "DELETE_FAILED"),
        timeout_s=180,
    )
    if stack_status(ctx, ctx.project_stack) == "DELETE_FAILED":
        events = cfn.describe_stack_events(StackName=ctx.project_stack)["StackEvents"]
        raise StageError(f"project stack DELETE_FAILED: {events[0].get('ResourceStatusReason')}")
    left = [
        s
        for s in (f"sagemaker-{ctx.prefix}-deploy-staging", f"sagemaker-{ctx.prefix}-deploy-prod")
        if stack_status(ctx, s) not in (None, "DELETE_COMPLETE")
    ]
    if left:
        raise StageError(f"deploy stacks still exist after the project was deleted: {left}")
    endpoints = [
        e["EndpointName"]
        for e in ctx.aws("sagemaker").list_endpoints()["Endpoints"]
        if e["EndpointName"].startswith(ctx.prefix)
    ]
    if endpoints:
        raise StageError(f"endpoints still exist after the project was deleted: {endpoints}")
    client = ctx.cloud.gitlab_client()
    repos = {}
    for kind in ("build", "deploy"):
        project = client.projects.get(f"{GROUP_PATH}/{ctx.prefix}-model-{kind}")
        repos[project.path] = "archived" if project.archived else "active"
    if set(repos.values()) != {"archived"}:
        raise StageError(f"RepositoryDeletionPolicy Archive: repos should be archived, are {repos}")
    return {
        "project_stack": "DELETE_COMPLETE",
        "deploy_stacks": "deleted",
        "endpoints_left": 0,
        "repos": repos,
    }


STAGES: list[tuple[str, str, Callable[[Context], dict[str, Any]]]] = [
    ("package", "1 package the product (scripts/package)", stage_package),
    ("publish", "2 publish to the local AWS (scripts/publish)", stage_publish),
    ("create-project", "3 create a project as Studio does", stage_create_project),
    ("build", "4 build pipeline → SageMaker pipeline → registry", stage_build),
    ("notification", "5 'awaits approval' notification", stage_notification),
    ("staging", "6 approve → trigger → staging + smoke test", stage_staging),
    ("production", "7 play manual production job → prod tested", stage_production),
    ("rollback", "8 new model approved, rejected → rollback", stage_rollback),
    ("delete-project", "9 delete the project → repos, stacks, endpoints", stage_delete_project),
]


def run(ctx: Context, report: Report, until: str | None = None) -> None:
    failed = False
    for name, title, function in STAGES:
        stage = Stage(name=name, title=title)
        report.stages.append(stage)
        if failed:
            continue
        ctx.log(f"▶ {title}")
        started = time.monotonic()
        try:
            stage.facts = function(ctx)
            stage.result = "passed"
        except StageError as exc:
            stage.result, stage.error, failed = "failed", str(exc), True
        except Exception as exc:  # an unexpected error still ends in the report, with its place
            stage.result, failed = "failed", True
            stage.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"
        stage.duration_s = round(time.monotonic() - started, 2)
        ctx.log(
            f"  {stage.result} in {stage.duration_s:.1f} s"
            + (f": {stage.error.splitlines()[0]}" if stage.error else "")
        )
        if name == until:
            break
