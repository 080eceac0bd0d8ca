"""Unit tests: the seeder's environment (C3), CloudFormation's response hosts, and the deploy repo settings
(C1, C2, issue 10.7) against a python-gitlab stand-in where the emulator has no route yet."""

from __future__ import annotations

from typing import Any

import gitlab
import pytest

from seeder import deploy_repo, environment, event_guard
from seeder.errors import SeederError
from seeder.gitlab_ops import GitLabOps, Repo

GOOD = {
    "GITLAB_URL": "https://gitlab.example.com/",
    "GITLAB_TOKEN_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gitlab-AbCdEf",
    "GITLAB_GROUP_PATH": "/ml/team/",
    "SAGEMAKER_PROJECT_NAME": "churn",
    "SAGEMAKER_PROJECT_ID": "p-abcdefghijkl",
    "PROJECT_STACK_ID": "arn:aws:cloudformation:eu-west-1:123456789012:stack/SC-1-pp-x/0a1b-2c3d",
    "AWS_REGION": "eu-west-1",
}


def test_environment_is_read_and_normalised() -> None:
    env = environment.read(GOOD)
    assert (env.gitlab_url, env.group_path, env.region) == (
        "https://gitlab.example.com",
        "ml/team",
        "eu-west-1",
    )
    assert (env.project_name, env.project_id) == ("churn", "p-abcdefghijkl")


def test_environment_names_every_problem() -> None:
    bad = {**GOOD, "GITLAB_URL": "gitlab.example.com", "SAGEMAKER_PROJECT_ID": "abcdefghijkl"}
    del bad["PROJECT_STACK_ID"]
    with pytest.raises(SeederError) as err:
        environment.read(bad)
    assert str(err.value) == (
        "the seeder function's environment is incomplete (GITLAB_URL 'gitlab.example.com' is not an http(s) "
        "URL such as https://gitlab.example.com; SAGEMAKER_PROJECT_ID 'abcdefghijkl' is not a SageMaker "
        "project id; PROJECT_STACK_ID is not set); the project template sets these variables: update the "
        "project stack with the current template"
    )


@pytest.mark.parametrize(
    ("region", "url"),
    [
        (
            "us-east-1",
            "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/arn%3Ax?sig=1",
        ),
        ("eu-west-1", "https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/a"),
        ("eu-west-1", "https://cloudformation-custom-resource-response-euwest1.s3.eu-west-1.amazonaws.com/a"),
        ("ap-northeast-1", "https://CloudFormation-Custom-Resource-Response-APNORTHEAST1.s3.amazonaws.com/a"),
        (
            "cn-north-1",
            "https://cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn/a",
        ),
    ],
)
def test_cloudformations_response_urls_are_accepted(region: str, url: str) -> None:
    assert event_guard.response_url_problem(url, region) is None


def test_a_foreign_response_url_is_named_in_the_refusal() -> None:
    problem = event_guard.response_url_problem("https://evil.example/x", "us-east-1")
    assert problem == (
        "the ResponseURL host 'evil.example' is not CloudFormation's response bucket for us-east-1 "
        "(cloudformation-custom-resource-response-useast1)"
    )
    assert event_guard.response_url_problem(None, "us-east-1") == "the event has no ResponseURL"
    assert event_guard.response_url_problem("https://[::1", "us-east-1") == "the ResponseURL is not a URL"


# --- deploy repo settings against a python-gitlab stand-in ------------------------------------------

REPO = Repo(7, "ml/team/churn-p-abcdefghijkl-model-deploy", "", "", "", False, False)


class FakeProjects:
    def __init__(self, echo: dict[str, Any]) -> None:
        self.echo = echo
        self.updates: list[tuple[int, dict[str, Any]]] = []

    def update(self, id: int, data: dict[str, Any]) -> dict[str, Any]:
        self.updates.append((id, data))
        return {"id": id, **self.echo}


class FakeGitLab:
    def __init__(self, echo: dict[str, Any]) -> None:
        self.projects = FakeProjects(echo)


def _ops(echo: dict[str, Any]) -> GitLabOps:
    ops = GitLabOps.__new__(GitLabOps)  # only .gl and .call are used; no HTTP session needed
    ops.url, ops._secret_arn, ops._role = "https://gitlab.example.com", "arn:secret", "Owner"
    ops.token_secret_arn = "arn:secret"
    ops.gl = FakeGitLab(echo)  # type: ignore[assignment]
    return ops


def test_pipeline_variables_are_restricted_to_maintainers() -> None:
    ops = _ops({"ci_pipeline_variables_minimum_override_role": "maintainer"})
    deploy_repo.restrict_pipeline_variables(ops, REPO)
    assert ops.gl.projects.updates == [(7, {"ci_pipeline_variables_minimum_override_role": "maintainer"})]  # type: ignore[attr-defined]


def test_a_gitlab_that_keeps_another_role_fails_clearly() -> None:
    ops = _ops({"ci_pipeline_variables_minimum_override_role": "no_one_allowed"})
    with pytest.raises(SeederError) as err:
        deploy_repo.restrict_pipeline_variables(ops, REPO)
    assert str(err.value) == (
        "GitLab kept ci_pipeline_variables_minimum_override_role=no_one_allowed on "
        "ml/team/churn-p-abcdefghijkl-model-deploy although the seeder asked for maintainer; "
        "the approval trigger would be refused: check the group's settings"
    )


def test_a_refused_setting_names_the_missing_permission() -> None:
    ops = _ops({})

    def refuse(id: int, data: dict[str, Any]) -> dict[str, Any]:
        raise gitlab.exceptions.GitlabUpdateError("403 Forbidden", response_code=403)

    ops.gl.projects.update = refuse  # type: ignore[attr-defined]
    with pytest.raises(
        SeederError, match=r"lacks permission to set ci_pipeline_variables_minimum_override_role"
    ):
        deploy_repo.restrict_pipeline_variables(ops, REPO)
