"""The event corpus end to end: handler -> moto (registry, secret, SNS) -> GitLab emulator, read back
through python-gitlab. Each corpus file states the registry after the change and the expected effect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from trigger.handler import lambda_handler

EVENTS_DIR = Path(__file__).parent / "events"
CASE_NAMES = sorted(p.stem for p in EVENTS_DIR.glob("*.json"))
TRIGGER = "POST /projects/:id/trigger/pipeline"


@pytest.mark.parametrize("name", CASE_NAMES)
def test_corpus_event_has_its_expected_gitlab_effect(name: str, rig: Any) -> None:
    case = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    rig.make_registry(case["registry"])
    expect = case["expect"]

    result = lambda_handler(case["event"], None)

    assert result["action"] == expect["action"]
    pipelines = rig.deploy.pipelines()
    server = rig.deploy.server
    if expect["pipeline_variables"] is None:
        assert pipelines == []
        assert server.count(TRIGGER) == 0
    else:
        assert len(pipelines) == 1
        [pipeline] = pipelines
        assert (pipeline["source"], pipeline["ref"]) == ("trigger", "main")
        assert pipeline["variables"] == expect["pipeline_variables"]
        assert result["pipeline_id"] == pipeline["id"]
    messages = rig.inbox.messages()
    assert len(messages) == (1 if expect["notification"] else 0)
    if expect["notification"]:
        assert messages[0]["Subject"].startswith("ACTION NEEDED: no Approved model left")
        assert case["event"]["detail"]["ModelPackageArn"] in messages[0]["Message"]


def test_one_gitlab_call_per_approval(rig: Any) -> None:
    case = json.loads((EVENTS_DIR / "approved_update.json").read_text())
    rig.make_registry(case["registry"])
    rig.deploy.server.clear_log()
    lambda_handler(case["event"], None)
    calls = rig.deploy.server.requests()
    assert [c.endpoint for c in calls] == [TRIGGER]
    assert calls[0].status == 201
    assert calls[0].project_id == rig.deploy.project_id


def test_one_gitlab_call_per_rollback(rig: Any) -> None:
    case = json.loads((EVENTS_DIR / "rejected_deployed_rolls_back.json").read_text())
    rig.make_registry(case["registry"])
    rig.deploy.server.clear_log()
    lambda_handler(case["event"], None)
    assert [c.endpoint for c in rig.deploy.server.requests()] == [TRIGGER]


def test_duplicate_delivery_to_a_warm_container_starts_one_pipeline(rig: Any) -> None:
    case = json.loads((EVENTS_DIR / "approved_update.json").read_text())
    rig.make_registry(case["registry"])
    first = lambda_handler(case["event"], None)
    second = lambda_handler(case["event"], None)
    assert first["action"] == "deploy"
    assert second == {"action": "duplicate", "event_id": case["event"]["id"]}
    assert len(rig.deploy.pipelines()) == 1


def test_duplicate_delivery_to_a_cold_container_is_harmless(
    rig: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another container gets the same event: a second pipeline for the *same* package, nothing else."""
    import trigger.handler

    case = json.loads((EVENTS_DIR / "approved_update.json").read_text())
    rig.make_registry(case["registry"])
    lambda_handler(case["event"], None)
    monkeypatch.setattr(trigger.handler, "_runtime", None)
    lambda_handler(case["event"], None)
    pipelines = rig.deploy.pipelines()
    assert len(pipelines) == 2
    assert pipelines[0]["variables"] == pipelines[1]["variables"] == case["expect"]["pipeline_variables"]


def test_late_approval_then_rejection_of_an_older_version_never_leaves_it_in_service(rig: Any) -> None:
    """Issue 10.7 as a sequence: v2 Approved (serving), v1 approved late, then v1 rejected. The last
    pipeline must deploy v2; before the fix the approval deployed v1 and the rejection did nothing."""
    late = json.loads((EVENTS_DIR / "approved_older_after_newer.json").read_text())
    arns = rig.make_registry(late["registry"])
    lambda_handler(late["event"], None)
    boto3.client("sagemaker", region_name="us-east-1").update_model_package(
        ModelPackageArn=arns[0], ModelApprovalStatus="Rejected"
    )
    detail = {**late["event"]["detail"], "ModelApprovalStatus": "Rejected"}
    rejection = {**late["event"], "id": "0d6d9f3c-6b0a-4a52-9d0c-1f1e2a3b4c22", "detail": detail}
    lambda_handler(rejection, None)
    deployed = [p["variables"]["MODEL_PACKAGE_ARN"] for p in rig.deploy.pipelines()]
    assert deployed == [arns[1], arns[1]]
    assert arns[1].endswith("/2")
