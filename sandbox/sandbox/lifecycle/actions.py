"""What the people and the platform do in the lifecycle: every call here changes something.

Each action is what a real actor would do with the real interfaces: the platform team runs scripts/package
and scripts/publish; Studio creates the project stack with the two parameters it passes; a data scientist
approves, rejects and retrains in the model registry; a Maintainer creates the production tag with
python-gitlab (GitLab's REST API, as "Code > Tags > New tag" does); a person deletes the project.
"""

from __future__ import annotations

import os
import subprocess
from typing import Any

from sandbox.lifecycle.context import ROOT, Context, StageError
from sandbox.lifecycle.observe import gitlab_project

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


def run_script(ctx: Context, script: str, args: list[str], aws: bool) -> str:
    """Run ``scripts/<script>`` unchanged; its output goes to the workdir, its last lines into the error."""
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


def publish_args(ctx: Context) -> list[str]:
    return [
        "--dist",
        str(ctx.cloud.workdir / "dist"),
        "--version",
        ctx.version,
        "--region",
        ctx.cloud.aws.region,
        "--gitlab-url",
        ctx.cloud.gitlab_url,
        "--gitlab-group",
        ctx.repo_path("build").rsplit("/", 1)[0],
        "--gitlab-token-secret-arn",
        ctx.cloud.token_secret_arn,
        "--poll-seconds",
        "0.2",
    ]


def create_project_stack(ctx: Context, template_body: str) -> None:
    """Studio (through Service Catalog) passes exactly these two parameters and tags the stack."""
    ctx.aws("cloudformation").create_stack(
        StackName=ctx.project_stack,
        TemplateBody=template_body,
        Parameters=[
            {"ParameterKey": "SageMakerProjectName", "ParameterValue": ctx.name},
            {"ParameterKey": "SageMakerProjectId", "ParameterValue": ctx.project_id},
        ],
        Capabilities=CAPABILITIES,
        Tags=[
            {"Key": "sagemaker:project-name", "Value": ctx.name},
            {"Key": "sagemaker:project-id", "Value": ctx.project_id},
        ],
    )


def subscribe_inbox(ctx: Context, topic_arn: str) -> str:
    """A subscriber to the project's notifications (as a person's e-mail would be): an SQS queue."""
    sqs, sns = ctx.aws("sqs"), ctx.aws("sns")
    inbox = str(sqs.create_queue(QueueName=f"{ctx.prefix}-inbox")["QueueUrl"])
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)
    return inbox


def set_approval(ctx: Context, package_arn: str, status: str, description: str = "") -> None:
    """A data scientist changes the package's status in the model registry (Studio does this call)."""
    extra = {"ApprovalDescription": description} if description else {}
    ctx.aws("sagemaker").update_model_package(
        ModelPackageArn=package_arn, ModelApprovalStatus=status, **extra
    )


def retrain(ctx: Context) -> str:
    """Re-run the SageMaker pipeline, as from Studio; returns the execution's ARN."""
    return str(
        ctx.aws("sagemaker").start_pipeline_execution(
            PipelineName=ctx.prefix, PipelineExecutionDisplayName="retrain"
        )["PipelineExecutionArn"]
    )


def create_tag(ctx: Context, tag: str, commit: str, message: str) -> Any:
    """A Maintainer creates a tag on the deploy repo (``POST /projects/:id/repository/tags``)."""
    return gitlab_project(ctx, "deploy").tags.create({"tag_name": tag, "ref": commit, "message": message})


def run_pipeline(ctx: Context, ref: str) -> Any:
    """A Maintainer runs a pipeline for ``ref`` (Build > Pipelines > Run pipeline; ``POST /projects/:id/pipeline``)."""
    return gitlab_project(ctx, "deploy").pipelines.create({"ref": ref})


def delete_project_stack(ctx: Context) -> None:
    ctx.aws("cloudformation").delete_stack(StackName=ctx.project_stack)
