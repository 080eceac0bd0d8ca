"""The whole sandbox lifecycle with the product's real parts, asserting each stage's real effect.

Runs scripts/package and scripts/publish, the project template, both Lambdas, both seed repos and their
.gitlab-ci.yml files unmodified, against the local AWS and the GitLab emulator. Data: $ABALONE_CSV (CI sets
it), else a download, else a synthetic set.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from contracts import names
from sandbox import data as data_module
from sandbox import lifecycle
from sandbox.cloud import GROUP_PATH, LocalCloud
from sandbox.lifecycle import observe

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lifecycle.Context]:
    """The lifecycle's cloud, with a private TMPDIR for it and every process it starts (CI jobs, Lambdas,
    pipeline steps): once the cloud has stopped, that TMPDIR must be empty — no ID-token files, emulator or
    runner directories left behind (issue 10.5)."""
    private_tmp = tmp_path_factory.mktemp("lifecycle-tmpdir")
    saved_env, saved_tempdir = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"], tempfile.tempdir = str(private_tmp), str(private_tmp)
    try:
        dataset = data_module.load(None, print)
        with LocalCloud() as cloud:
            cloud.platform_prerequisites(dataset)
            yield lifecycle.Context(cloud=cloud, dataset=dataset, log=print)
    finally:
        tempfile.tempdir = saved_tempdir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
    # uv (the CI jobs' installer) keeps an empty per-environment lock file, `uv-<hash>.lock`, in the temp dir
    # on purpose, shared by later installs into the same environment; it holds no data.
    leftovers = sorted(
        str(p.relative_to(private_tmp))
        for p in Path(private_tmp).rglob("*")
        if not (
            p.parent == private_tmp
            and p.name.startswith("uv-")
            and p.suffix == ".lock"
            and p.stat().st_size == 0
        )
    )
    assert leftovers == [], f"the lifecycle left files in its TMPDIR: {leftovers[:20]}"


def _stage(ctx: lifecycle.Context, name: str) -> dict:
    function = next(f for n, _, f in lifecycle.STAGES if n == name)
    return function(ctx)


def _booster_of(ctx: lifecycle.Context, package_arn: str) -> xgb.Booster:
    package = ctx.aws("sagemaker").describe_model_package(ModelPackageName=package_arn)
    url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, _, key = url.removeprefix("s3://").partition("/")
    archive = ctx.aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        raw = tar.extractfile("xgboost-model").read()
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return booster


def _expected_predictions(ctx: lifecycle.Context, booster: xgb.Booster) -> list[float]:
    rows = lifecycle.sample_rows(ctx)
    data = np.array([[float(v) for v in line.split(",")] for line in rows.splitlines()])
    return [round(float(p), 3) for p in booster.predict(xgb.DMatrix(data))]


def test_whole_lifecycle(ctx: lifecycle.Context) -> None:
    # 1-2. package and publish, unchanged scripts
    facts = _stage(ctx, "package")
    assert {"seeder_lambda.zip", "trigger_lambda.zip", "seed_build_repo.zip", "seed_deploy_repo.zip"} <= set(
        facts["artifacts"]
    )
    _stage(ctx, "publish")
    ssm = ctx.aws("ssm")
    assert (
        ssm.get_parameter(Name="/sagemaker-gitlab/gitlab-url")["Parameter"]["Value"] == ctx.cloud.gitlab_url
    )
    assert ssm.get_parameter(Name="/sagemaker-gitlab/gitlab-group")["Parameter"]["Value"] == GROUP_PATH

    # 3. the project, created as Studio does; the seeder made both repos with the seed code in one commit
    _stage(ctx, "create-project")
    cfn = ctx.aws("cloudformation")
    assert cfn.describe_stacks(StackName=ctx.project_stack)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    gl = ctx.cloud.gitlab_client()
    build = gl.projects.get(f"{GROUP_PATH}/{ctx.prefix}-model-build")
    deploy = gl.projects.get(f"{GROUP_PATH}/{ctx.prefix}-model-deploy")
    assert build.path == f"{ctx.prefix}-model-build"
    assert len(build.commits.list(get_all=True)) == 1
    build_files = {f["path"] for f in build.repository_tree(recursive=True, get_all=True)}
    assert {".gitlab-ci.yml", "pipelines/abalone/pipeline.py"} <= build_files
    deploy_files = {f["path"] for f in deploy.repository_tree(recursive=True, get_all=True)}
    assert {".gitlab-ci.yml", "templates/endpoint.yaml"} <= deploy_files
    deploy_variables = {v.key: v for v in deploy.variables.list(get_all=True)}
    assert {"STAGING_ROLE_ARN", "PROD_ROLE_ARN", "MODEL_PACKAGE_GROUP_NAME"} <= set(deploy_variables)
    trigger_secret = f"sagemaker-gitlab/{ctx.prefix}/deploy-trigger"
    secret = json.loads(ctx.aws("secretsmanager").get_secret_value(SecretId=trigger_secret)["SecretString"])
    assert secret["project_id"] == deploy.id

    # 4. the build repo's first pipeline ran the SageMaker pipeline locally and registered the model
    facts = _stage(ctx, "build")
    sm = ctx.aws("sagemaker")
    [summary] = sm.list_model_packages(ModelPackageGroupName=ctx.prefix)["ModelPackageSummaryList"]
    package = sm.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["CustomerMetadataProperties"]["GitCommit"] == build.commits.list()[0].id
    metrics_uri = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    bucket, _, key = metrics_uri.removeprefix("s3://").partition("/")
    metrics = json.loads(ctx.aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    mse = metrics["regression_metrics"]["mse"]["value"]
    assert 0 < mse <= 6.0  # the pipeline's default MseThreshold gate
    assert facts["test_mse"] == mse
    booster = _booster_of(ctx, package["ModelPackageArn"])

    # 5. the "awaits approval" notification reached a subscriber
    facts = _stage(ctx, "notification")
    assert package["ModelPackageArn"] in facts["message"]

    # 6. approval → trigger Lambda → deploy pipeline → staging endpoint serving this very model
    facts = _stage(ctx, "staging")
    staging = cfn.describe_stacks(StackName=f"sagemaker-{ctx.prefix}-deploy-staging")["Stacks"][0]
    assert staging["StackStatus"] == "CREATE_COMPLETE"
    assert facts["pipeline_variables"]["MODEL_PACKAGE_ARN"] == package["ModelPackageArn"]
    assert facts["jobs"] == {"resolve": "success", "deploy-staging": "success", "test-staging": "success"}
    assert facts["endpoint_name"] == names.endpoint_name(ctx.name, ctx.project_id, "staging")  # C5
    assert facts["predictions"] == _expected_predictions(ctx, booster)
    # test-staging printed how to promote: a tag naming version 1 and this pipeline, on the deployed commit
    assert facts["promotion_tag"] == f"prod-v1-p{facts['deploy_pipeline']}"
    assert ctx.facts["promotion"]["commit"] == deploy.commits.list()[0].id
    assert observe.stack_status(ctx, ctx.deploy_stack("prod")) is None  # nothing reached production yet

    # 7. a main job's token cannot reach prod; a Maintainer creates the tag → its pipeline deploys prod
    facts = _stage(ctx, "production")
    assert facts["main_token_to_prod_role"] == "AccessDenied"
    assert facts["jobs"] == {"resolve-prod": "success", "deploy-prod": "success", "test-prod": "success"}
    assert facts["endpoint_name"] == names.endpoint_name(ctx.name, ctx.project_id, "prod")  # C5
    [tag] = deploy.tags.list(get_all=True)
    assert tag.name == facts["tag"] == f"prod-v1-p{deploy.pipelines.list(source='trigger')[0].id}"
    tag_pipeline = deploy.pipelines.get(facts["tag_pipeline"])
    assert (tag_pipeline.ref, tag_pipeline.tag) == (tag.name, True)
    # GitLab skips a new tag's pipeline when its commit says [skip ci]; test-staging then said to run it
    skip_ci = "[skip ci]" in deploy.commits.get(tag.commit["id"]).message
    assert facts["tag_pipeline_run_by_hand"] is skip_ci
    assert facts["tag_pipeline_source"] == ("api" if skip_ci else "push")
    prod = cfn.describe_stacks(StackName=ctx.deploy_stack("prod"))["Stacks"][0]
    assert prod["StackStatus"] == "CREATE_COMPLETE"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in prod["Parameters"]}
    assert parameters["ModelPackageArn"] == package["ModelPackageArn"]
    assert facts["predictions"] == _expected_predictions(ctx, booster)

    # 8. a second model approved then rejected: the trigger rolls staging back to the first one
    facts = _stage(ctx, "rollback")
    v2 = facts["second_package"]
    assert v2 != package["ModelPackageArn"]
    assert sm.describe_model_package(ModelPackageName=v2)["ModelApprovalStatus"] == "Rejected"
    assert facts["rollback_variables"]["DEPLOY_REASON"] == "rollback"
    assert facts["rollback_variables"]["MODEL_PACKAGE_ARN"] == package["ModelPackageArn"]
    staging = cfn.describe_stacks(StackName=f"sagemaker-{ctx.prefix}-deploy-staging")["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in staging["Parameters"]}
    assert parameters["ModelPackageArn"] == package["ModelPackageArn"]
    assert facts["predictions"] == _expected_predictions(ctx, booster)
    assert facts["prod_serves"] == package["ModelPackageArn"]  # production is untouched by staging's story
    # while staging served v2, a tag naming v1 was refused by resolve-prod (nothing deployed)
    assert facts["stale_tag"].startswith("prod-v1-again: ")
    stale = deploy.pipelines.list(ref="prod-v1-again")[0]
    assert stale.status == "failed"
    assert {j.name: j.status for j in stale.jobs.list(get_all=True)}["resolve-prod"] == "failed"

    # 9. deleting the project: deploy stacks and endpoints gone, repos archived (default policy)
    _stage(ctx, "delete-project")
    live = {
        s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"
    }
    assert (
        not {
            ctx.project_stack,
            f"sagemaker-{ctx.prefix}-deploy-staging",
            f"sagemaker-{ctx.prefix}-deploy-prod",
        }
        & live
    )
    assert [e for e in sm.list_endpoints()["Endpoints"] if ctx.prefix in e["EndpointName"]] == []
    assert gl.projects.get(build.id).archived is True
    assert gl.projects.get(deploy.id).archived is True
    secrets = ctx.aws("secretsmanager")
    # Deleted without a recovery window (not found), or scheduled for deletion (DeletedDate).
    with contextlib.suppress(secrets.exceptions.ResourceNotFoundException):
        assert "DeletedDate" in secrets.describe_secret(SecretId=trigger_secret)
