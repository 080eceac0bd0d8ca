"""Issue 10.5: the runner and the emulator leave no ID-token files and no temp dirs behind.

Each test gives the process a private TMPDIR (tempfile honours it, as do child processes), runs a pipeline
whose job asks for an ID token, and looks at what is on disk: while a manual job waits, and after stopping.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from sandbox.gitlab_emulator import gitrepo

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


def test_no_token_on_disk_while_a_manual_job_waits_and_nothing_left_after_stop(
    private_tmp: Path, start_ci: Any
) -> None:
    workdir = private_tmp / "ci"
    ci = start_ci(workdir)
    _project, pipeline = ci.push_pipeline(CI_FILE)
    jobs = {j.name: j.status for j in pipeline.jobs.list(get_all=True)}
    assert jobs == {"build": "success", "prod": "manual"}
    # The checkout stays for the manual job (artifacts, dotenv), but no file holds a token meanwhile.
    assert len(list(workdir.iterdir())) == 1
    assert _files_with_a_jwt(private_tmp) == []
    ci.stop()
    assert list(workdir.iterdir()) == []
    leftovers = [p.name for p in private_tmp.iterdir() if p != workdir]
    assert leftovers == [], f"left in TMPDIR: {leftovers}"


def test_a_finished_pipeline_removes_its_dir_at_once(private_tmp: Path, start_ci: Any) -> None:
    workdir = private_tmp / "ci"
    ci = start_ci(workdir)
    project, pipeline = ci.push_pipeline(CI_FILE)
    job = next(j for j in pipeline.jobs.list(get_all=True) if j.name == "prod")
    project.jobs.get(job.id).play()
    ci.wait(pipeline)
    assert pipeline.status == "success"
    assert pipeline.id not in ci.runner.runs
    assert list(workdir.iterdir()) == []
