"""No token in any log output: all loggers at DEBUG (urllib3, python-gitlab, botocore, ours) and the
process's stdout/stderr, across success, token rotation, refusals, server errors, timeouts and drops."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

import trigger.gitlab_trigger
from trigger.handler import lambda_handler

EVENTS_DIR = Path(__file__).parent / "events"
TRIGGER = "POST /projects/:id/trigger/pipeline"


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


def test_no_token_in_any_log_output(
    rig: Any,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger, as AWS_LAMBDA_LOG_LEVEL=DEBUG would set it
    for name in ("urllib3", "gitlab", "requests"):
        caplog.set_level(logging.DEBUG, logger=name)
    monkeypatch.setattr(trigger.gitlab_trigger, "GITLAB_TIMEOUT_SECONDS", 0.3)
    server = rig.deploy.server
    old_token = rig.deploy.trigger_token
    results: list[Any] = []

    def run(name: str, event_id: str) -> None:
        case = load(name)
        event = {**case["event"], "id": event_id}
        try:
            results.append(lambda_handler(event, None))
        except Exception as exc:
            results.append(repr(exc))
            logging.getLogger("test").exception("handler raised")  # what Lambda prints for a failure

    rig.make_registry(["Approved", "Approved", "Rejected"])
    run("approved_update", "ok-1")
    server.inject(TRIGGER, 500)
    run("approved_update", "fault-500")
    server.inject(TRIGGER, 401, times=None)
    run("approved_update", "fault-401")
    server.clear_faults()
    server.inject(TRIGGER, 504, delay=2)
    run("approved_update", "timeout")
    run("rejected_deployed_rolls_back", "rollback")
    run("other_group", "drop")
    # Rotation: a new token replaces the old one while this container holds the old secret.
    new_token = rig.rotate_token()
    run("approved_update", "after-rotation")

    assert [r["action"] if isinstance(r, dict) else r.split("(")[0] for r in results] == [
        "deploy",
        "GitLabUnavailableError",
        "GitLabAccessError",
        "GitLabUnavailableError",
        "deploy",
        "dropped",
        "deploy",
    ]
    # The capture really saw the HTTP libraries' DEBUG output.
    loggers = {r.name for r in caplog.records}
    assert "urllib3.connectionpool" in loggers
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    out, err = capfd.readouterr()
    everything = caplog.text + out + err + json.dumps(results)
    for token in (old_token, new_token):
        assert token not in everything
        assert token[4:] not in everything  # nor its secret part without the glptt- prefix
