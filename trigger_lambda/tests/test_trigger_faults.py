"""Failures raise (Lambda retries, then the DLQ): GitLab 5xx/429/timeouts, 401/403/404 with a clear message,
400, a rotated token, AWS-side failures. Nothing is swallowed and no error text carries the token."""

from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import boto3
import pytest

import trigger.gitlab_trigger
from trigger.config import ConfigError
from trigger.gitlab_trigger import (
    GitLabAccessError,
    GitLabRejectedError,
    GitLabUnavailableError,
    PipelineVariablesForbiddenError,
)
from trigger.handler import lambda_handler

EVENTS_DIR = Path(__file__).parent / "events"
TRIGGER = "POST /projects/:id/trigger/pipeline"


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


def approval(rig: Any) -> dict[str, Any]:
    case = load("approved_update")
    rig.make_registry(case["registry"])
    return case


def assert_clean(exc: BaseException, *tokens: str) -> None:
    text = "".join(traceback.format_exception(exc))
    for token in tokens:
        assert token not in text


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_errors_raise_and_the_retry_delivers(rig: Any, status: int) -> None:
    case = approval(rig)
    server = rig.deploy.server
    server.inject(TRIGGER, status)
    with pytest.raises(GitLabUnavailableError, match=f"GitLab answered {status}") as raised:
        lambda_handler(case["event"], None)
    assert_clean(raised.value, rig.deploy.trigger_token)
    assert server.count(TRIGGER) == 1  # no hidden in-process retries
    assert rig.deploy.pipelines() == []
    # Lambda's asynchronous retry of the same event, in the same warm container, delivers it.
    assert lambda_handler(case["event"], None)["action"] == "deploy"
    [pipeline] = rig.deploy.pipelines()
    assert pipeline["variables"] == case["expect"]["pipeline_variables"]


def test_timeout_raises(rig: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    case = approval(rig)
    monkeypatch.setattr(trigger.gitlab_trigger, "GITLAB_TIMEOUT_SECONDS", 0.3)
    # Held until the emulator stops at teardown (a stopping emulator wakes held requests): never answers in time.
    rig.deploy.server.inject(TRIGGER, 504, delay=3600)
    with pytest.raises(GitLabUnavailableError, match=r"did not answer .*ReadTimeout") as raised:
        lambda_handler(case["event"], None)
    assert_clean(raised.value, rig.deploy.trigger_token)
    assert rig.deploy.pipelines() == []


def test_slow_success_raises_and_the_retry_is_a_harmless_duplicate(
    rig: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitLab created the pipeline but answered too late: the retry starts a second one, same package."""
    case = approval(rig)
    monkeypatch.setattr(trigger.gitlab_trigger, "GITLAB_TIMEOUT_SECONDS", 0.3)
    # The emulator holds the first request 1 s (at least: Event.wait never returns early), past the 0.3 s
    # client timeout, then creates the pipeline anyway.
    rig.deploy.server.inject(TRIGGER, None, delay=1)
    with pytest.raises(GitLabUnavailableError, match="did not answer"):
        lambda_handler(case["event"], None)
    lambda_handler(case["event"], None)
    # Both requests answered (the emulator logs a request after it has done the work): no polling.
    assert rig.deploy.server.emulator.faults.wait_answered(TRIGGER, 2, timeout_s=30)
    assert rig.deploy.server.count(TRIGGER) == 2
    variables = [p["variables"] for p in rig.deploy.pipelines()]
    assert variables == [case["expect"]["pipeline_variables"]] * 2


CLEAR = "trigger token revoked or deploy project {id} gone: re-run the project's seeder by updating the project stack"


@pytest.mark.parametrize("status", [401, 403, 404])
def test_refusals_raise_with_the_fix(rig: Any, status: int) -> None:
    case = approval(rig)
    rig.deploy.server.inject(TRIGGER, status, times=None)
    with pytest.raises(GitLabAccessError) as raised:
        lambda_handler(case["event"], None)
    message = str(raised.value)
    assert f"GitLab answered {status}" in message
    assert CLEAR.format(id=rig.deploy.project_id) in message
    assert_clean(raised.value, rig.deploy.trigger_token)
    # The secret was re-read once; it had not changed, so GitLab was not asked twice.
    assert rig.deploy.server.count(TRIGGER) == 1


def test_revoked_trigger_token(rig: Any) -> None:
    case = approval(rig)
    project = rig.deploy.project
    for t in project.triggers.list(get_all=True):
        t.delete()
    with pytest.raises(GitLabAccessError, match="GitLab answered 404") as raised:
        lambda_handler(case["event"], None)
    assert CLEAR.format(id=rig.deploy.project_id) in str(raised.value)
    assert rig.deploy.pipelines() == []


def test_deploy_project_gone(rig: Any) -> None:
    case = approval(rig)
    project_id = rig.deploy.project_id
    rig.deploy.server.client().projects.delete(project_id)
    with pytest.raises(GitLabAccessError, match=f"deploy project {project_id} gone"):
        lambda_handler(case["event"], None)


def test_rotated_token_is_picked_up_by_a_warm_container(rig: Any) -> None:
    """The seeder rotated the token (stack Update) after this container cached the secret."""
    case = approval(rig)
    warm_up = load("approved_at_registration")
    lambda_handler({**warm_up["event"], "id": "warm-up"}, None)  # caches the old secret
    old_token = rig.deploy.trigger_token
    new_token = rig.rotate_token()
    rig.deploy.server.clear_log()

    result = lambda_handler(case["event"], None)

    assert result["action"] == "deploy"
    assert [(c.endpoint, c.status) for c in rig.deploy.server.requests()] == [(TRIGGER, 404), (TRIGGER, 201)]
    assert rig.deploy.pipelines()[0]["variables"] == case["expect"]["pipeline_variables"]
    assert old_token != new_token


def test_unknown_ref_is_rejected_with_a_hint(rig: Any) -> None:
    case = approval(rig)
    rig.set_secret(rig.deploy.secret(ref="release"))
    with pytest.raises(GitLabRejectedError, match="check that ref 'release' exists") as raised:
        lambda_handler(case["event"], None)
    assert "Reference not found" in str(raised.value)
    assert_clean(raised.value, rig.deploy.trigger_token)


def test_malformed_secret_raises_without_calling_gitlab(rig: Any) -> None:
    case = approval(rig)
    rig.set_secret(
        json.dumps(
            {"gitlab_url": rig.deploy.server.url, "project_id": "7", "token": rig.deploy.trigger_token}
        )
    )
    with pytest.raises(ValueError, match="project_id missing or not a positive integer") as raised:
        lambda_handler(case["event"], None)
    assert_clean(raised.value, rig.deploy.trigger_token)
    assert rig.deploy.server.count() == 0


def test_missing_secret_raises(rig: Any) -> None:
    case = approval(rig)
    boto3.client("secretsmanager", region_name="us-east-1").delete_secret(
        SecretId="sagemaker-gitlab/abalone-p-abcdefghijkl/deploy-trigger", ForceDeleteWithoutRecovery=True
    )
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        lambda_handler(case["event"], None)


def test_failed_notification_raises(rig: Any) -> None:
    case = load("rejected_last_approved_notifies")
    rig.make_registry(case["registry"])
    boto3.client("sns", region_name="us-east-1").delete_topic(TopicArn=rig.inbox.topic_arn)
    with pytest.raises(Exception, match="NotFound"):
        lambda_handler(case["event"], None)


def test_missing_environment_raises(rig: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFICATION_TOPIC_ARN")
    with pytest.raises(ConfigError, match="lacks NOTIFICATION_TOPIC_ARN"):
        lambda_handler(load("approved_update")["event"], None)


def test_failed_events_are_not_remembered_as_handled(rig: Any) -> None:
    case = approval(rig)
    rig.deploy.server.inject(TRIGGER, 503)
    with pytest.raises(GitLabUnavailableError):
        lambda_handler(case["event"], None)
    assert lambda_handler(case["event"], None)["action"] == "deploy"
    assert lambda_handler(case["event"], None)["action"] == "duplicate"


def test_pipeline_variables_refused_names_the_project_setting(rig: Any) -> None:
    """GitLab.com's default ci_pipeline_variables_minimum_override_role=no_one_allowed (since 17.7) answers
    this 400 to every trigger (gitlab issues 502382, 557381): the error must name that setting, not the ref."""
    case = approval(rig)
    body = {"message": {"base": ["Insufficient permissions to set pipeline variables"]}}
    rig.deploy.server.inject(TRIGGER, 400, body=body)
    with pytest.raises(PipelineVariablesForbiddenError) as raised:
        lambda_handler(case["event"], None)
    message = str(raised.value)
    assert "Insufficient permissions to set pipeline variables" in message
    assert 'Settings > CI/CD > Variables > "Minimum role to use pipeline variables" = Maintainer' in message
    assert (
        f"PUT /projects/{rig.deploy.project_id} with ci_pipeline_variables_minimum_override_role=maintainer"
        in message
    )
    assert "check that ref" not in message
    assert_clean(raised.value, rig.deploy.trigger_token)
    assert rig.deploy.server.count(TRIGGER) == 1
    assert rig.deploy.pipelines() == []
