"""GitLab emulator: fault injection, the request log, secrets staying out of logs, and the process mode."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import gitlab
import pytest
import requests

from sandbox.gitlab_emulator.pytest_plugin import GitLabServer
from sandbox.gitlab_emulator.server import wait_until_listening

ROOT = Path(__file__).resolve().parents[3]


def _create(gl: gitlab.Gitlab, server: GitLabServer, name: str) -> int:
    return int(gl.projects.create({"name": name, "path": name, "namespace_id": server.group.id}).id)


@pytest.mark.parametrize(
    ("status", "message"),
    [(500, "500 Internal Server Error"), (502, "502 Bad Gateway"), (503, "503 Service Unavailable")],
)
def test_5xx_for_the_next_n_calls_then_normal(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab, status: int, message: str
) -> None:
    gitlab_server.inject("POST /projects", status, times=2)
    for _ in range(2):
        with pytest.raises(gitlab.GitlabCreateError) as err:
            _create(gitlab_client, gitlab_server, "p")
        assert (err.value.response_code, err.value.error_message) == (status, message)
    assert gitlab_client.groups.get("ml/team").projects.list() == []  # failed calls did nothing
    _create(gitlab_client, gitlab_server, "p")
    assert [r.status for r in gitlab_server.requests() if r.endpoint == "POST /projects"] == [
        status,
        status,
        201,
    ]


def test_faults_match_method_and_route_template_only(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    project_id = _create(gitlab_client, gitlab_server, "p")
    gitlab_server.inject("POST /projects/:id/variables", 500, times=None)
    project = gitlab_client.projects.get("ml/team/p")  # GET /projects/:id is unaffected
    assert project.variables.list() == []  # GET of the same route template is unaffected
    for _ in range(3):
        with pytest.raises(gitlab.GitlabCreateError):
            project.variables.create({"key": "K", "value": "v"})
    gitlab_server.clear_faults()
    project.variables.create({"key": "K", "value": "v"})
    assert gitlab_server.count("POST /projects/:id/variables") == 4
    assert all(r.project_id in (project_id, None) for r in gitlab_server.requests())


def test_retry_transient_errors_recovers(gitlab_server: GitLabServer) -> None:
    gitlab_server.inject("GET /groups/:id", 502, times=2)
    retrying = gitlab_server.client(retry_transient_errors=True)
    assert retrying.groups.get("ml/team").full_path == "ml/team"
    assert [r.status for r in gitlab_server.requests()] == [502, 502, 200]


def test_429_carries_retry_after_and_python_gitlab_obeys_it(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab
) -> None:
    gitlab_server.inject("GET /groups/:id", 429, retry_after=0, times=1)
    raw = requests.get(
        f"{gitlab_server.url}/api/v4/groups/ml%2Fteam",
        headers={"PRIVATE-TOKEN": gitlab_server.token},
        timeout=5,
    )
    assert (raw.status_code, raw.json(), raw.headers["Retry-After"]) == (
        429,
        {"message": "429 Too Many Requests"},
        "0",
    )
    gitlab_server.inject("GET /groups/:id", 429, retry_after=0, times=1)
    assert gitlab_client.groups.get("ml/team").id == gitlab_server.group.id  # obey_rate_limit=True by default
    gitlab_server.inject("GET /groups/:id", 429, retry_after=0, times=1)
    with pytest.raises(gitlab.GitlabGetError) as err:
        gitlab_client.groups.get("ml/team", obey_rate_limit=False)
    assert err.value.response_code == 429


def test_delay_longer_than_client_timeout_is_a_timeout_but_the_work_happens(
    gitlab_server: GitLabServer,
) -> None:
    gitlab_server.inject("POST /projects", delay=1.0)
    impatient = gitlab_server.client(timeout=0.3)
    with pytest.raises(requests.exceptions.Timeout):
        _create(impatient, gitlab_server, "slow")
    # The emulator answers (and logs) the request once its delay is over; wait for that, not a time window.
    assert gitlab_server.emulator.faults.wait_answered("POST /projects", 1, 10)
    # Like a slow GitLab: the client gave up, the project exists anyway (a retried Create must cope).
    assert gitlab_server.client().projects.get("ml/team/slow").path == "slow"


def test_slow_failure_and_wildcards(gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab) -> None:
    gitlab_server.inject("* *", 503, delay=0.05, times=1)
    with pytest.raises(gitlab.GitlabGetError) as err:
        gitlab_client.groups.get("ml/team")
    assert err.value.response_code == 503
    assert gitlab_client.groups.get("ml/team").id == gitlab_server.group.id


def test_request_log_counts_calls_and_holds_no_secrets(
    gitlab_server: GitLabServer,
    gitlab_client: gitlab.Gitlab,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    gitlab_server.clear_log()
    _create(gitlab_client, gitlab_server, "p")
    project = gitlab_client.projects.get("ml/team/p")
    trigger = project.triggers.create({"description": "t"})
    project.variables.create({"key": "SECRET_VALUE", "value": "s3cr3t-value-123", "masked": True})
    requests.get(f"{gitlab_server.url}/api/v4/user", params={"private_token": gitlab_server.token}, timeout=5)
    gitlab_server.inject("GET /projects/:id", 500)
    with pytest.raises(gitlab.GitlabGetError):
        gitlab_client.projects.get(project.id)
    assert [r.endpoint for r in gitlab_server.requests()] == [
        "POST /projects",
        "GET /projects/:id",
        "POST /projects/:id/triggers",
        "POST /projects/:id/variables",
        "GET /user",
        "GET /projects/:id",
    ]
    assert gitlab_server.count() == 6
    out, err = capfd.readouterr()
    # The client side (urllib3) logs query strings itself; the emulator's and werkzeug's loggers must not.
    server_logs = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith(("sandbox", "werkzeug"))
    )
    everything = out + err + server_logs + repr(gitlab_server.requests())
    for secret in (gitlab_server.token, trigger.token, "s3cr3t-value-123"):
        assert secret not in everything


def test_unexpected_errors_answer_500_like_gitlab(
    gitlab_server: GitLabServer, gitlab_client: gitlab.Gitlab, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ref: str) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(gitlab_server.state, "find_group", boom)
    with pytest.raises(gitlab.GitlabGetError) as err:
        gitlab_client.groups.get("ml/team")
    assert (err.value.response_code, err.value.error_message) == (500, "500 Internal Server Error")


def test_runs_as_a_process_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "sandbox")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.gitlab_emulator",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        wait_until_listening(info["url"])
        gl = gitlab.Gitlab(info["url"], private_token=info["group_token"], timeout=5)
        assert gl.groups.get(info["group"]).id == info["group_id"]
        gl.projects.create({"name": "x", "path": "x", "namespace_id": info["group_id"]})
        admin = gitlab.Gitlab(info["url"], private_token=info["admin_token"], timeout=5)
        admin.auth()
        assert admin.user is not None
        assert admin.user.is_admin is True
        assert (tmp_path / "repos").is_dir()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
