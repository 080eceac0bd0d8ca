"""Issue 10.5: the runner and the emulator leave no ID-token files and no temp dirs behind.

Each test gives the process a private TMPDIR (tempfile honours it, as do child processes), runs a pipeline
whose job asks for an ID token, and looks at what is on disk: while a manual job waits, and after stopping.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import gitlab
import pytest

from sandbox.ci_runner import GitlabCiLocalRunner
from sandbox.gitlab_emulator import gitrepo
from sandbox.gitlab_emulator.seed import seed
from sandbox.gitlab_emulator.server import GitLabEmulator

CI_FILE = """
stages: [build, prod]
build:
  stage: build
  id_tokens:
    AWS_ID_TOKEN:
      aud: sts.amazonaws.com
  script:
    - test -n "$AWS_ID_TOKEN"
    - echo built
prod:
  stage: prod
  id_tokens:
    PROD_ID_TOKEN:
      aud: sts.amazonaws.com
  when: manual
  script: [echo prod]
"""


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    gitrepo.release_empty_config()  # one made earlier in this process lives in the real TMPDIR
    return tmp


# Any signed JWT (header.payload.signature, both JSON parts base64url of "{"): an ID token on disk.
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def _files_with_a_jwt(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and JWT.search(p.read_bytes())]


def _start(tmp_path: Path, workdir: Path) -> tuple[GitLabEmulator, GitlabCiLocalRunner, Any]:
    node_dir = str(Path(shutil.which("node") or "/usr/bin/node").parent)
    workdir.mkdir()
    runner = GitlabCiLocalRunner(workdir, {"PATH": f"{node_dir}:/usr/bin:/bin", "LANG": "C.UTF-8"})
    server = GitLabEmulator(tmp_path / "gitlab", runner=runner).start()
    runner.attach(server.state, server.url)
    return server, runner, seed(server.state, "ml/team")


def _push_pipeline(server: GitLabEmulator, runner: GitlabCiLocalRunner, seeded: Any) -> tuple[Any, Any]:
    gl = gitlab.Gitlab(server.url, private_token=seeded.group_token.value, timeout=10)
    project = gl.projects.create({"name": "p", "path": "p", "namespace_id": seeded.group.id})
    project.commits.create(
        {
            "branch": "main",
            "commit_message": "seed",
            "actions": [{"action": "create", "file_path": ".gitlab-ci.yml", "content": CI_FILE}],
        }
    )
    [pipeline] = project.pipelines.list(get_all=True)
    assert runner.wait_idle(120), "runner still busy"
    assert not runner.errors, runner.errors
    pipeline.refresh()
    return project, pipeline


def test_no_token_on_disk_while_a_manual_job_waits_and_nothing_left_after_stop(
    tmp_path: Path, private_tmp: Path
) -> None:
    workdir = private_tmp / "ci"
    server, runner, seeded = _start(tmp_path, workdir)
    try:
        _project, pipeline = _push_pipeline(server, runner, seeded)
        jobs = {j.name: j.status for j in pipeline.jobs.list(get_all=True)}
        assert jobs == {"build": "success", "prod": "manual"}
        # The checkout stays for the manual job (artifacts, dotenv), but no file holds a token meanwhile.
        assert len(list(workdir.iterdir())) == 1
        assert _files_with_a_jwt(private_tmp) == []
    finally:
        runner.stop()
        server.stop()
    assert list(workdir.iterdir()) == []
    leftovers = [p.name for p in private_tmp.iterdir() if p != workdir]
    assert leftovers == [], f"left in TMPDIR: {leftovers}"


def test_a_finished_pipeline_removes_its_dir_at_once(tmp_path: Path, private_tmp: Path) -> None:
    workdir = private_tmp / "ci"
    server, runner, seeded = _start(tmp_path, workdir)
    try:
        project, pipeline = _push_pipeline(server, runner, seeded)
        job = next(j for j in pipeline.jobs.list(get_all=True) if j.name == "prod")
        project.jobs.get(job.id).play()
        assert runner.wait_idle(120), "runner still busy"
        assert not runner.errors, runner.errors
        pipeline.refresh()
        assert pipeline.status == "success"
        assert pipeline.id not in runner.runs
        assert list(workdir.iterdir()) == []
    finally:
        runner.stop()
        server.stop()
