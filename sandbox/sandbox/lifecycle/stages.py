"""The nine stages. Each acts (`actions`), waits, checks (`checks`) and returns the facts for the report."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sandbox.lifecycle import actions, checks, observe
from sandbox.lifecycle.context import POLL_S, Context, StageError, wait_for
from sandbox.lifecycle.trust import main_token_refused_by_prod_role

PIPELINE_TIMEOUT_S = 600


def stage_package(ctx: Context) -> dict[str, Any]:
    dist = ctx.cloud.workdir / "dist"
    actions.run_script(ctx, "package", ["--dist", str(dist)], aws=False)
    manifests = sorted(dist.glob("*/manifest.json"))
    checks.expect(manifests, f"scripts/package wrote no manifest under {dist}")
    manifest = json.loads(manifests[-1].read_text(encoding="utf-8"))
    ctx.version = manifests[-1].parent.name
    artifacts = manifest.get("artifacts", {})
    names = sorted(artifacts) if isinstance(artifacts, dict) else sorted(a.get("name", "") for a in artifacts)
    return {"version": ctx.version, "artifacts": names}


def stage_publish(ctx: Context) -> dict[str, Any]:
    actions.run_script(ctx, "publish", actions.publish_args(ctx), aws=True)
    bucket = ctx.aws("ssm").get_parameter(Name="/sagemaker-gitlab/artifacts-bucket")["Parameter"]["Value"]
    ctx.facts["artifacts_bucket"] = bucket
    keys = [o["Key"] for o in ctx.aws("s3").list_objects_v2(Bucket=bucket).get("Contents", [])]
    template_key = next((k for k in keys if k.endswith(f"{ctx.version}/template.yaml")), None)
    checks.expect(template_key, f"publish left no {ctx.version}/template.yaml in s3://{bucket}")
    ctx.facts["template_key"] = template_key
    return {"artifacts_bucket": bucket, "objects": len(keys), "template": f"s3://{bucket}/{template_key}"}


def stage_create_project(ctx: Context) -> dict[str, Any]:
    bucket, key = ctx.facts["artifacts_bucket"], ctx.facts["template_key"]
    actions.create_project_stack(
        ctx, ctx.aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    )
    status = wait_for(
        "the project stack",
        lambda: (s := observe.stack_status(ctx, ctx.project_stack)) not in ("CREATE_IN_PROGRESS", None) and s,
        timeout_s=180,
    )
    checks.stack_created(ctx, ctx.project_stack, status)
    outputs = observe.stack_outputs(ctx, ctx.project_stack)
    ctx.facts["outputs"] = outputs
    ctx.facts["inbox_url"] = actions.subscribe_inbox(ctx, outputs["NotificationTopicArn"])
    build, deploy = observe.gitlab_project(ctx, "build"), observe.gitlab_project(ctx, "deploy")
    return {
        "stack": ctx.project_stack,
        "build_repo": build.path_with_namespace,
        "deploy_repo": deploy.path_with_namespace,
        "build_repo_files": len(observe.repo_files(build)),
        "deploy_repo_files": len(observe.repo_files(deploy)),
        "build_repo_variables": sorted(v.key for v in build.variables.list(get_all=True)),
    }


def stage_build(ctx: Context) -> dict[str, Any]:
    build = observe.gitlab_project(ctx, "build")
    pipeline = wait_for("the build repo's first pipeline", lambda: build.pipelines.list(get_all=True), 60)[-1]
    wait_for(
        f"build pipeline {pipeline.id}", lambda: observe.finished(pipeline), timeout_s=900, interval_s=0.25
    )
    jobs = checks.pipeline_passed(build, pipeline)
    sm = ctx.aws("sagemaker")
    executions = sm.list_pipeline_executions(PipelineName=ctx.prefix)["PipelineExecutionSummaries"]
    checks.expect(executions, f"the build pipeline succeeded but SageMaker pipeline {ctx.prefix} never ran")
    execution_arn = executions[0]["PipelineExecutionArn"]
    package = observe.newest_package(ctx)
    if package is None:
        raise StageError(f"no model package registered in {ctx.prefix}")
    status = package["ModelApprovalStatus"]
    checks.expect(
        status == "PendingManualApproval", f"package registered as {status}, not PendingManualApproval"
    )
    ctx.facts["package_v1"] = package["ModelPackageArn"]
    ctx.facts["test_data_uri"] = observe.step_output(ctx, execution_arn, "test")
    # The Model Monitor baselines registered with the model (issue 14): what its endpoints are judged against.
    baselines = {
        kind: {part: source["S3Uri"] for part, source in sources.items()}
        for kind, sources in package.get("DriftCheckBaselines", {}).items()
    }
    checks.expect(
        {"ModelDataQuality", "ModelQuality"} <= set(baselines),
        f"package registered without data- and model-quality DriftCheckBaselines (has {sorted(baselines)})",
    )
    return {
        "gitlab_pipeline": pipeline.id,
        "jobs": jobs,
        "job_seconds": observe.job_seconds(pipeline),
        "sagemaker_execution": execution_arn,
        "execution_status": observe.execution_status(ctx, execution_arn),
        "step_seconds": observe.step_seconds(ctx, execution_arn),
        "test_mse": observe.reported_mse(ctx, package),
        "model_package_arn": package["ModelPackageArn"],
        "approval_status": status,
        "lineage": package.get("CustomerMetadataProperties", {}),
        "drift_check_baselines": baselines,
    }


def stage_notification(ctx: Context) -> dict[str, Any]:
    found = wait_for(
        "the 'awaits approval' notification",
        lambda: [t for t in observe.notifications(ctx) if "awaits approval" in t],
        timeout_s=30,
    )
    return {"message": found[0]}


def finished_deploy_pipeline(ctx: Context, before: int, what: str) -> Any:
    """The next pipeline the trigger starts (there were ``before``), once it has finished."""
    pipelines = wait_for(what, lambda: (p := observe.deploy_pipelines(ctx)) and len(p) > before and p, 60)
    pipeline = pipelines[0]
    wait_for(f"deploy pipeline {pipeline.id}", lambda: observe.finished(pipeline), PIPELINE_TIMEOUT_S)
    return pipeline


def stage_staging(ctx: Context) -> dict[str, Any]:
    arn = ctx.facts["package_v1"]
    actions.set_approval(ctx, arn, "Approved", "sandbox: metrics reviewed")
    # Meanwhile the data scientist retrains: the second model version that stage 8 approves and rejects.
    ctx.facts["retrain"] = actions.retrain(ctx)
    pipeline = finished_deploy_pipeline(ctx, 0, "the deploy pipeline started by the approval")
    deploy = observe.gitlab_project(ctx, "deploy")
    jobs = checks.pipeline_passed(deploy, pipeline, "resolve", "deploy-staging", "test-staging")
    variables = observe.pipeline_variables(pipeline)
    checks.expect(
        variables.get("MODEL_PACKAGE_ARN") == arn,
        f"deploy pipeline variables name {variables.get('MODEL_PACKAGE_ARN')}, not {arn}",
    )
    checks.serves(ctx, "staging", arn, "its approval")
    ctx.facts["promotion"] = offer = checks.promotion_offer(
        observe.job_trace(deploy, pipeline, "test-staging")
    )
    stack = ctx.deploy_stack("staging")
    endpoint = observe.stack_outputs(ctx, stack)["EndpointName"]
    return {
        "approved": arn,
        "deploy_pipeline": pipeline.id,
        "pipeline_variables": {k: v for k, v in variables.items() if k != "APPROVAL_EVENT_ID"},
        "jobs": jobs,
        "job_seconds": observe.job_seconds(pipeline),
        "stack": f"{stack} {observe.stack_status(ctx, stack)}",
        "endpoint_name": endpoint,
        "predictions": observe.invoke(ctx, endpoint),
        "promotion_tag": offer["tag"],
    }


def promote(ctx: Context, tag: str, message: str) -> Any:
    """Create the tag as test-staging said and, if it said the tag's own pipeline is skipped ([skip ci]
    commit), run the tag's pipeline too; returns the finished pipeline that ran the tag's jobs."""
    offer = ctx.facts["promotion"]
    actions.create_tag(ctx, tag, offer["commit"], message)
    pipeline = wait_for(f"the pipeline of tag {tag}", lambda: observe.tag_pipelines(ctx, tag), 60)[0]
    if offer["run_pipeline"]:
        wait_for(f"tag pipeline {pipeline.id}", lambda: observe.finished(pipeline), PIPELINE_TIMEOUT_S)
        checks.expect(
            pipeline.status == "skipped", f"tag {tag}'s own pipeline is {pipeline.status}, not skipped"
        )
        pipeline = actions.run_pipeline(ctx, tag)
    wait_for(f"tag pipeline {pipeline.id}", lambda: observe.finished(pipeline), PIPELINE_TIMEOUT_S, POLL_S)
    return pipeline


def stage_production(ctx: Context) -> dict[str, Any]:
    deploy = observe.gitlab_project(ctx, "deploy")
    # Before anyone promotes: a job on main cannot reach production (its token is refused by the prod role).
    refusal = main_token_refused_by_prod_role(ctx, deploy)
    # A Maintainer creates the tag test-staging printed, on the commit it names.
    tag, commit = ctx.facts["promotion"]["tag"], ctx.facts["promotion"]["commit"]
    pipeline = promote(ctx, tag, f"Promote {ctx.facts['package_v1']} to production")
    jobs = checks.pipeline_passed(deploy, pipeline, "resolve-prod", "deploy-prod", "test-prod")
    checks.serves(ctx, "prod", ctx.facts["package_v1"], f"tag {tag}")
    stack = ctx.deploy_stack("prod")
    endpoint = observe.stack_outputs(ctx, stack)["EndpointName"]
    return {
        "main_token_to_prod_role": refusal,
        "tag": tag,
        "tag_commit": commit,
        "created_by": "ml-engineer, Maintainer (python-gitlab)",
        "tag_pipeline": pipeline.id,
        "tag_pipeline_source": pipeline.source,
        "tag_pipeline_run_by_hand": ctx.facts["promotion"]["run_pipeline"],
        "jobs": jobs,
        "job_seconds": observe.job_seconds(pipeline),
        "stack": f"{stack} {observe.stack_status(ctx, stack)}",
        "endpoint_name": endpoint,
        "predictions": observe.invoke(ctx, endpoint),
    }


def stale_tag_refused(ctx: Context, deploy: Any) -> str:
    """A Maintainer tags version 1 again while staging serves version 2: resolve-prod refuses, prod keeps v1."""
    tag = "prod-v1-again"
    pipeline = promote(ctx, tag, "Promote version 1 again")
    summary = observe.job_summary(pipeline)
    trace = observe.job_trace(deploy, pipeline, "resolve-prod")
    refusal = "tag prod-v1-again names version 1, but staging serves version 2"
    checks.expect(
        pipeline.status == "failed" and summary.get("resolve-prod") == "failed" and refusal in trace,
        f"tag {tag} (staging serves version 2) should fail resolve-prod with {refusal!r}; "
        f"jobs {summary}, resolve-prod log:\n{trace[-1500:]}",
    )
    checks.expect("deploy-prod" not in summary or summary["deploy-prod"] != "success", "deploy-prod ran")
    checks.serves(ctx, "prod", ctx.facts["package_v1"], f"the refused tag {tag}")
    return f"{tag}: {summary}"


def stage_rollback(ctx: Context) -> dict[str, Any]:
    # The second model (retrained since stage 6) is approved and reaches staging...
    retrain = ctx.facts["retrain"]
    wait_for(
        "the retraining execution",
        lambda: observe.execution_status(ctx, retrain) != "Executing",
        timeout_s=PIPELINE_TIMEOUT_S,
    )
    status = observe.execution_status(ctx, retrain)
    checks.expect(status == "Succeeded", f"the retraining execution {retrain} ended {status}")
    newest = observe.newest_package(ctx)
    v2 = newest["ModelPackageArn"] if newest else ""
    checks.expect(
        v2 and v2 != ctx.facts["package_v1"], "the second execution registered no new model package"
    )
    deploy = observe.gitlab_project(ctx, "deploy")
    before = len(observe.deploy_pipelines(ctx))
    actions.set_approval(ctx, v2, "Approved")
    approved = finished_deploy_pipeline(ctx, before, "the deploy pipeline of the second model")
    checks.pipeline_passed(deploy, approved, "test-staging")
    checks.serves(ctx, "staging", v2, f"approving {v2}")
    stale = stale_tag_refused(ctx, deploy)
    # ... then finds it wrong and rejects it: the trigger rolls staging back to the newest Approved one.
    actions.set_approval(ctx, v2, "Rejected", "regression")
    rollback = finished_deploy_pipeline(ctx, before + 1, "the rollback deploy pipeline")
    checks.pipeline_passed(deploy, rollback, "test-staging")
    variables = observe.pipeline_variables(rollback)
    checks.expect(
        variables.get("DEPLOY_REASON") == "rollback"
        and variables.get("MODEL_PACKAGE_ARN") == ctx.facts["package_v1"],
        f"the rollback pipeline's variables are {variables}",
    )
    checks.serves(ctx, "staging", ctx.facts["package_v1"], "the rollback")
    return {
        "second_package": v2,
        "approved_pipeline": approved.id,
        "rejected": v2,
        "rollback_pipeline": rollback.id,
        "rollback_variables": {k: v for k, v in variables.items() if k != "APPROVAL_EVENT_ID"},
        "stale_tag": stale,
        "staging_serves": observe.served_package(ctx, "staging"),
        "prod_serves": observe.served_package(ctx, "prod"),
        "predictions": observe.invoke(
            ctx, observe.stack_outputs(ctx, ctx.deploy_stack("staging"))["EndpointName"]
        ),
    }


def stage_delete_project(ctx: Context) -> dict[str, Any]:
    actions.delete_project_stack(ctx)
    wait_for(
        "the project stack deletion",
        lambda: observe.stack_status(ctx, ctx.project_stack) in (None, "DELETE_COMPLETE", "DELETE_FAILED"),
        timeout_s=180,
    )
    if observe.stack_status(ctx, ctx.project_stack) == "DELETE_FAILED":
        raise StageError(f"project stack DELETE_FAILED: {observe.stack_reasons(ctx, ctx.project_stack, 1)}")
    checks.nothing_left(ctx)
    repos = {}
    for kind in ("build", "deploy"):
        project = observe.gitlab_project(ctx, kind)
        repos[project.path] = "archived" if project.archived else "active"
    checks.expect(
        set(repos.values()) == {"archived"},
        f"RepositoryDeletionPolicy Archive: repos should be archived, are {repos}",
    )
    return {
        "project_stack": "DELETE_COMPLETE",
        "deploy_stacks": "deleted",
        "endpoints_left": 0,
        "repos": repos,
    }


StageFunction = Callable[[Context], dict[str, Any]]
STAGES: list[tuple[str, str, StageFunction]] = [
    ("package", "1 package the product (scripts/package)", stage_package),
    ("publish", "2 publish to the local AWS (scripts/publish)", stage_publish),
    ("create-project", "3 create a project as Studio does", stage_create_project),
    ("build", "4 build pipeline → SageMaker pipeline → registry", stage_build),
    ("notification", "5 'awaits approval' notification", stage_notification),
    ("staging", "6 approve → trigger → staging + smoke test", stage_staging),
    ("production", "7 Maintainer tags prod-v1-… → prod tested", stage_production),
    ("rollback", "8 new model approved, rejected → rollback", stage_rollback),
    ("delete-project", "9 delete the project → repos, stacks, endpoints", stage_delete_project),
]
