"""Tokens never appear in any log output of a run, whatever logs at DEBUG (python-gitlab, requests,
urllib3, botocore), nor on stdout/stderr, nor in the responses."""

from __future__ import annotations

import json
import logging
from typing import Any

import boto3
import pytest
from seeder_testkit import REGION, TRIGGER_SECRET, FakeContext, environment, event, properties

from seeder import lifecycle
from seeder.settings import Settings

PHYSICAL_ID = "gitlab:ml/team/churn-p-abcdefghijkl"
FAST = Settings(reserve_seconds=2.0, guard_seconds=1.0, gitlab_timeout_seconds=2.0, retry_base_seconds=0.05)


def test_no_token_in_any_log_output(
    gitlab_server: Any,
    cfn_capture: Any,
    seed_bucket: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api_token = gitlab_server.token
    sm = boto3.client("secretsmanager", region_name=REGION)
    arn = sm.create_secret(Name="gitlab-token", SecretString=json.dumps({"token": api_token}))["ARN"]
    for key, value in environment(gitlab_server.url, arn).items():
        monkeypatch.setenv(key, value)
    props = properties(RepositoryDeletionPolicy="Delete")
    caplog.set_level(logging.DEBUG)  # the root logger and everything below it
    for name in ("gitlab", "urllib3", "requests", "botocore", "boto3", "seeder"):
        caplog.set_level(logging.DEBUG, logger=name)  # restored after the test: other suites share loggers

    def run(kind: str, **kwargs: Any) -> dict[str, Any]:
        lifecycle.handle(event(kind, cfn_capture.url, props, **kwargs), FakeContext(60), settings=FAST)
        body: dict[str, Any] = cfn_capture.responses[-1].body
        return body

    gitlab_server.inject("POST /projects/:id/triggers", 503, times=1)  # retries log too
    assert run("Create")["Status"] == "SUCCESS"
    trigger_token = json.loads(sm.get_secret_value(SecretId=TRIGGER_SECRET)["SecretString"])["token"]
    assert run("Update", old=props, physical_id=PHYSICAL_ID)["Status"] == "SUCCESS"
    assert run("Delete", physical_id=PHYSICAL_ID)["Status"] == "SUCCESS"
    gitlab_server.revoke(api_token)  # a failing run: error paths log and answer too
    assert run("Create")["Status"] == "FAILED"

    out, err = capfd.readouterr()
    logged = caplog.text + "\n".join(str(r.__dict__) for r in caplog.records)
    # The capture really saw the chatty libraries at DEBUG ...
    loggers = {r.name.split(".")[0] for r in caplog.records}
    assert {"urllib3", "botocore", "seeder"} <= loggers
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    # ... and none of it, nor any response, carries a token.
    responses = json.dumps([r.body for r in cfn_capture.responses])
    for token in (api_token, trigger_token):
        assert token not in logged
        assert token not in out
        assert token not in err
        assert token not in responses
