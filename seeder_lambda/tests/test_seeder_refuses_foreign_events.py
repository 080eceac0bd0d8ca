"""Issue 12.1: the seeder acts only for its own stack and project, with its own platform values, and answers
only CloudFormation. Each test is an attack a principal with ``lambda:InvokeFunction`` could try."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from seeder_testkit import (
    ACCOUNT,
    BASE,
    PROJECT_ID,
    REGION,
    RESPONSE_URL,
    TRIGGER_SECRET,
    FakeContext,
    environment,
    event,
    properties,
)

from seeder import lifecycle
from seeder.settings import Settings

FAST = Settings(reserve_seconds=2.0, guard_seconds=1.0, gitlab_timeout_seconds=2.0, retry_base_seconds=0.05)


class Recorder:
    """An attacker's HTTP server: records every request it receives (headers included)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                recorder.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": self.rfile.read(length),
                    }
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_DELETE = _any  # noqa: N815 - http.server's method names

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def attacker() -> Iterator[Recorder]:
    recorder = Recorder()
    try:
        yield recorder
    finally:
        recorder.server.shutdown()
        recorder.server.server_close()


@pytest.fixture
def seeder_env(gitlab_server: Any, seed_bucket: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The function's environment as the template sets it; returns the platform token secret's ARN."""
    sm = boto3.client("secretsmanager", region_name=REGION)
    arn: str = sm.create_secret(Name="platform/gitlab-token", SecretString=gitlab_server.token)["ARN"]
    for key, value in environment(gitlab_server.url, arn).items():
        monkeypatch.setenv(key, value)
    return arn


def _secret_exists(name: str) -> bool:
    sm = boto3.client("secretsmanager", region_name=REGION)
    try:
        sm.describe_secret(SecretId=name)
    except sm.exceptions.ResourceNotFoundException:
        return False
    return True


def test_platform_values_in_the_event_are_never_used(
    gitlab_server: Any, cfn_capture: Any, seeder_env: str, attacker: Recorder
) -> None:
    # The attacker names their own GitLab, their own secret (holding a token of theirs) and group.
    sm = boto3.client("secretsmanager", region_name=REGION)
    theirs = sm.create_secret(Name="attacker/token", SecretString="glpat-attacker-0000000000")["ARN"]
    props = properties(GitLabUrl=attacker.url, GitLabTokenSecretArn=theirs, GitLabGroupPath="evil/group")
    lifecycle.handle(event("Create", cfn_capture.url, props), FakeContext(60), settings=FAST)

    body = cfn_capture.only().body
    assert body["Status"] == "SUCCESS", body["Reason"]
    assert attacker.requests == [], "no request (least of all one carrying the platform token) left for it"
    # The work happened where the environment says: the platform GitLab, its group, its token.
    gl = gitlab_server.client(gitlab_server.admin_token)
    assert gl.projects.get(f"ml/team/{BASE}-model-deploy").id == int(body["Data"]["DeployRepoId"])
    secret = json.loads(sm.get_secret_value(SecretId=TRIGGER_SECRET)["SecretString"])
    assert secret["gitlab_url"] == gitlab_server.url


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/someone-else/99999999-0000"},
            f"refused: this seeder serves stack arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/SC-{ACCOUNT}"
            f"-pp-x/11111111-2222 only, not arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/someone-else/"
            "99999999-0000; each project stack has its own seeder function",
        ),
        (
            {"ResourceProperties": properties(ProjectId="p-zzzzzzzzzzzz")},
            f"refused: property ProjectId 'p-zzzzzzzzzzzz' is not this project's '{PROJECT_ID}'; "
            "ProjectName and ProjectId cannot change on an existing project, create a new project instead",
        ),
        (
            {"ResourceProperties": properties(ProjectName="other")},
            "refused: property ProjectName 'other' is not this project's 'churn'; "
            "ProjectName and ProjectId cannot change on an existing project, create a new project instead",
        ),
    ],
)
@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_an_event_for_another_stack_or_project_is_refused_and_touches_nothing(
    gitlab_server: Any,
    cfn_capture: Any,
    seeder_env: str,
    request_type: str,
    change: dict[str, Any],
    reason: str,
) -> None:
    ev = event(request_type, cfn_capture.url, properties(), properties(), f"gitlab:ml/team/{BASE}")
    ev.update(change)
    gitlab_server.clear_log()
    lifecycle.handle(ev, FakeContext(60), settings=FAST)
    body = cfn_capture.only().body
    assert (body["Status"], body["Reason"]) == ("FAILED", reason)
    assert body["StackId"] == ev["StackId"]
    assert gitlab_server.count() == 0
    assert not _secret_exists(TRIGGER_SECRET)


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example/cfn?X-Amz-Signature=abc",
        "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",  # not https
        "https://cloudformation-custom-resource-response-uswest2.s3.amazonaws.com/x",  # another Region
        "https://cloudformation-custom-resource-response-us-east-1.s3.amazonaws.com/x",  # dashes: not AWS's
        "https://s3.amazonaws.com/cloudformation-custom-resource-response-useast1/x",  # path style
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.evil.example/x",
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com@evil.example/x",
        "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com:8443/x",
        "https://evil-cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
        "",
    ],
)
def test_a_foreign_response_url_gets_nothing_and_nothing_is_done(
    gitlab_server: Any, cfn_capture: Any, seeder_env: str, url: str
) -> None:
    gitlab_server.clear_log()
    ev = event("Create", url, properties())
    lifecycle.handle(ev, FakeContext(60), settings=FAST)  # returns: no retry would help
    assert cfn_capture.attempted == [], "nothing may be sent to a URL that is not CloudFormation's"
    assert gitlab_server.count() == 0
    assert not _secret_exists(TRIGGER_SECRET)


def test_a_foreign_response_url_gets_nothing_even_for_a_foreign_stack(
    gitlab_server: Any, cfn_capture: Any, seeder_env: str, attacker: Recorder
) -> None:
    ev = event("Create", attacker.url + "/cfn", properties())
    ev["StackId"] = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/someone-else/1"
    lifecycle.handle(ev, FakeContext(60), settings=FAST)
    assert cfn_capture.attempted == []
    assert attacker.requests == []


def test_the_regional_response_host_forms_are_answered(cfn_capture: Any, seeder_env: str) -> None:
    import urllib.parse

    # The same request delivered on S3's Regional endpoint forms (event_guard's docstring names the sources).
    hosts = (
        "cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com",
        "cloudformation-custom-resource-response-useast1.s3-us-east-1.amazonaws.com",
    )
    for host in hosts:
        url = urllib.parse.urlunsplit(urllib.parse.urlsplit(RESPONSE_URL)._replace(netloc=host))
        lifecycle.handle(event("Create", url, properties(SeedCodeBucket="")), FakeContext(30), settings=FAST)
    assert [(r.host, r.body["Status"]) for r in cfn_capture.responses] == [(h, "FAILED") for h in hosts]


def test_an_incomplete_environment_is_answered_with_the_fix(
    cfn_capture: Any, seeder_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITLAB_URL")
    monkeypatch.setenv("GITLAB_GROUP_PATH", "/")
    lifecycle.handle(event("Create", cfn_capture.url, properties()), FakeContext(30), settings=FAST)
    body = cfn_capture.only().body
    assert body["Status"] == "FAILED"
    assert body["Reason"] == (
        "the seeder function's environment is incomplete (GITLAB_URL is not set; GITLAB_GROUP_PATH is not set); "
        "the project template sets these variables: update the project stack with the current template"
    )
