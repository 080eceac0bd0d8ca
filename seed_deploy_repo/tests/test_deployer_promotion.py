"""Promotion to production: the tag a Maintainer creates, and what the tag's pipeline agrees to deploy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deployer import promotion, resolve_prod, settings
from deployer.errors import DeployerError

from .conftest import PROJECT_ID, PROJECT_NAME, PROJECT_VARIABLES

STAGING_STACK = f"sagemaker-{PROJECT_NAME}-{PROJECT_ID}-deploy-staging"
# The smallest stack that carries the staging stack's ModelPackageArn parameter.
TEMPLATE = json.dumps(
    {
        "Parameters": {"ModelPackageArn": {"Type": "String"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    }
)


def project() -> settings.ProjectSettings:
    return settings.project_settings(PROJECT_VARIABLES)


def stage_staging(cloudformation: Any, arn: str) -> None:
    cloudformation.create_stack(
        StackName=STAGING_STACK,
        TemplateBody=TEMPLATE,
        Parameters=[{"ParameterKey": "ModelPackageArn", "ParameterValue": arn}],
    )


class StackIn:
    """A CloudFormation client whose staging stack is in a given state (moto's stacks settle at once)."""

    def __init__(self, status: str, arn: str = "arn:aws:sagemaker:us-east-1:1:model-package/g/1") -> None:
        self.status, self.arn = status, arn

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 (boto3's argument name)
        parameters = [{"ParameterKey": "ModelPackageArn", "ParameterValue": self.arn}]
        return {"Stacks": [{"StackName": StackName, "StackStatus": self.status, "Parameters": parameters}]}


# --- the tag -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "version"), [("prod-v3", 3), ("prod-v3-p1234", 3), ("prod-v12-hotfix", 12), (" prod-v1 ", 1)]
)
def test_a_production_tag_names_its_version(tag: str, version: int) -> None:
    assert promotion.tag_version(tag) == version


@pytest.mark.parametrize("tag", ["prod-", "prod-latest", "prod-v", "prod-v0", "prod-3", "prod-v3x", "v3", ""])
def test_a_tag_that_names_no_version_is_refused(tag: str) -> None:
    with pytest.raises(DeployerError, match=r"does not name the model package version.*prod-v<version>"):
        promotion.tag_version(tag)


def test_the_suggested_tag_is_unique_per_staging_pipeline() -> None:
    assert promotion.tag_name(3, "1234") == "prod-v3-p1234"
    assert promotion.tag_name(3) == "prod-v3"
    assert promotion.tag_version(promotion.tag_name(7, "99")) == 7


def test_instructions_name_the_package_the_tag_and_the_commit() -> None:
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:model-package/{PROJECT_NAME}-{PROJECT_ID}/3"
    env = {
        "RESOLVED_MODEL_PACKAGE_ARN": arn,
        "RESOLVED_MODEL_PACKAGE_VERSION": "3",
        "CI_PIPELINE_ID": "1234",
        "CI_COMMIT_SHA": "0123456789abcdef0123456789abcdef01234567",
        "CI_PROJECT_URL": "https://gitlab.example.com/ml/abalone-deploy",
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
        "CI_PROJECT_ID": "42",
    }
    text = "\n".join(promotion.instructions(env))
    assert "promote model package version 3 to production" in text
    assert "the tag prod-v3-p1234 on commit 0123456789abcdef0123456789abcdef01234567" in text
    assert arn in text
    assert "https://gitlab.example.com/ml/abalone-deploy/-/tags/new" in text
    assert (
        '--data "tag_name=prod-v3-p1234&ref=0123456789abcdef0123456789abcdef01234567" '
        '"https://gitlab.example.com/api/v4/projects/42/repository/tags"'
    ) in text
    assert "only Maintainers can create them" in text


@pytest.mark.parametrize(
    "message", ["Initial commit\n\n[skip ci]", "docs [CI SKIP]", "x [ci-skip]", "x [skip_ci]"]
)
def test_on_a_skip_ci_commit_the_instructions_say_to_run_the_tags_pipeline(message: str) -> None:
    env = {
        "RESOLVED_MODEL_PACKAGE_ARN": "arn:aws:sagemaker:us-east-1:1:model-package/g/2",
        "RESOLVED_MODEL_PACKAGE_VERSION": "2",
        "CI_PIPELINE_ID": "9",
        "CI_COMMIT_MESSAGE": message,
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
        "CI_PROJECT_ID": "42",
    }
    text = "\n".join(promotion.instructions(env))
    assert "GitLab creates that tag's own pipeline as skipped" in text
    assert "Run pipeline, Run for prod-v2-p9" in text
    assert '--data "ref=prod-v2-p9" "https://gitlab.example.com/api/v4/projects/42/pipeline"' in text


def test_without_skip_ci_no_extra_step() -> None:
    env = {
        "RESOLVED_MODEL_PACKAGE_ARN": "arn:aws:sagemaker:us-east-1:1:model-package/g/2",
        "RESOLVED_MODEL_PACKAGE_VERSION": "2",
        "CI_COMMIT_MESSAGE": "Skip the CI cache for ci-skip tests",  # no bracketed marker
    }
    assert promotion.RUN_PIPELINE_HINT not in "\n".join(promotion.instructions(env))


def test_instructions_need_the_resolved_package() -> None:
    with pytest.raises(DeployerError, match="RESOLVED_MODEL_PACKAGE_ARN"):
        promotion.instructions({"CI_PIPELINE_ID": "1"})


# --- resolve-prod: what staging serves, still Approved, the version the tag names -------------------------


def test_promotes_what_staging_serves(project_env: Any, model_registry: Any, cloudformation: Any) -> None:
    first, second = model_registry.register_many(2)
    stage_staging(cloudformation, first)  # staging serves version 1 although version 2 is newer

    package, lines = resolve_prod.resolve_prod(cloudformation, model_registry.client, project(), "prod-v1-p7")

    assert (package.arn, package.version) == (first, 1)
    assert f"staging stack       : {STAGING_STACK}" in lines
    assert second not in "\n".join(lines)


def test_refuses_when_the_tag_names_another_version(
    project_env: Any, model_registry: Any, cloudformation: Any
) -> None:
    _, second = model_registry.register_many(2)
    stage_staging(cloudformation, second)
    with pytest.raises(DeployerError, match=r"tag prod-v1 names version 1, but staging serves version 2"):
        resolve_prod.resolve_prod(cloudformation, model_registry.client, project(), "prod-v1")


@pytest.mark.parametrize("status", ["Rejected", "PendingManualApproval"])
def test_refuses_a_package_no_longer_approved(
    project_env: Any, model_registry: Any, cloudformation: Any, status: str
) -> None:
    arn = model_registry.register("Approved")
    stage_staging(cloudformation, arn)
    model_registry.set_status(arn, status)
    with pytest.raises(DeployerError, match=rf"approval status is now {status}, not Approved"):
        resolve_prod.resolve_prod(cloudformation, model_registry.client, project(), "prod-v1")


def test_refuses_a_package_of_another_group(
    project_env: Any, model_registry: Any, cloudformation: Any
) -> None:
    other = "other-project-p-zzzzzzzzzzzz"
    model_registry.client.create_model_package_group(ModelPackageGroupName=other)
    stage_staging(cloudformation, model_registry.register("Approved", group=other))
    with pytest.raises(DeployerError, match=rf"belongs to model package group '{other}'"):
        resolve_prod.resolve_prod(cloudformation, model_registry.client, project(), "prod-v1")


def test_refuses_when_staging_was_never_deployed(
    project_env: Any, model_registry: Any, cloudformation: Any
) -> None:
    with pytest.raises(
        DeployerError, match=rf"nothing to promote: there is no staging stack {STAGING_STACK}"
    ):
        resolve_prod.resolve_prod(cloudformation, model_registry.client, project(), "prod-v1")


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        ("UPDATE_IN_PROGRESS", "a deployment of staging is running now"),
        ("UPDATE_ROLLBACK_COMPLETE", "the last staging deployment did not complete"),
        ("ROLLBACK_COMPLETE", "the last staging deployment did not complete"),
    ],
)
def test_refuses_while_staging_is_unsettled(status: str, hint: str) -> None:
    with pytest.raises(DeployerError, match=rf"staging stack {STAGING_STACK} is {status}; {hint}"):
        resolve_prod.staging_package_arn(StackIn(status), STAGING_STACK)  # type: ignore[arg-type]


def test_refuses_without_a_tag(project_env: Any, model_registry: Any, cloudformation: Any) -> None:
    with pytest.raises(DeployerError, match="CI_COMMIT_TAG is empty"):
        resolve_prod.resolve_prod(cloudformation, model_registry.client, project(), "")


def test_the_command_writes_the_dotenv_the_prod_jobs_read(
    project_env: Any,
    model_registry: Any,
    cloudformation: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arn = model_registry.register("Approved")
    stage_staging(cloudformation, arn)
    monkeypatch.setenv("CI_COMMIT_TAG", "prod-v1-p5")
    dotenv, record = tmp_path / "resolved.env", tmp_path / "resolved.json"

    assert resolve_prod.main(["--dotenv", str(dotenv), "--json", str(record)]) == 0

    assert dotenv.read_text().splitlines() == [
        f"RESOLVED_MODEL_PACKAGE_ARN={arn}",
        "RESOLVED_MODEL_PACKAGE_VERSION=1",
        "RESOLVED_DEPLOY_REASON=promotion",
    ]
    assert json.loads(record.read_text())["tag"] == "prod-v1-p5"
    assert "Resolved the model package to promote to production" in capsys.readouterr().out


def test_the_command_fails_with_one_error_line(
    project_env: Any, model_registry: Any, cloudformation: Any, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("CI_COMMIT_TAG", "prod-latest")
    assert resolve_prod.main(["--dotenv", "/nonexistent/x", "--json", "/nonexistent/y"]) == 1
    assert capsys.readouterr().err.startswith("ERROR: tag 'prod-latest' does not name")
