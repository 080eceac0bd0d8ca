"""pytest fixtures for the GitLab emulator (registered by the root conftest.py).

``gitlab_server``  a running emulator (function scope, ~10 ms) with group ``ml/team`` and tokens; a
                   ``GitLabServer`` (see below).
``gitlab_client``  ``gitlab.Gitlab`` bound to it with the group token, ``retry_transient_errors=False``,
                   ``timeout=5``.
``run_git``        the git CLI as the tests drive it (no prompts, no system config, ``HOME`` in ``cwd``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import gitlab
import pytest
from gitlab.v4.objects import Project

from .faults import Fault, LoggedRequest
from .seed import Seed, seed
from .server import GitLabEmulator
from .state import EmulatorState, Group, Token


@dataclass
class GitLabServer:
    """A running emulator plus its seed data and test helpers."""

    emulator: GitLabEmulator
    seed: Seed

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234`` (what python-gitlab and git take)."""
        return self.emulator.url

    @property
    def state(self) -> EmulatorState:
        return self.emulator.state

    @property
    def group(self) -> Group:
        """The seeded group ``ml/team``."""
        return self.seed.group

    @property
    def group_path(self) -> str:
        return self.state.group_full_path(self.seed.group)

    @property
    def token(self) -> str:
        """Group access token of ``ml/team`` (Owner role, scope api, expires in 30 days)."""
        return self.seed.group_token.value

    @property
    def admin_token(self) -> str:
        return self.seed.admin_token.value

    def client(self, token: str | None = None, **kwargs: Any) -> gitlab.Gitlab:
        """A python-gitlab client; ``token`` defaults to the group token, no retries, 5 s timeout."""
        options: dict[str, Any] = {"retry_transient_errors": False, "timeout": 5}
        options.update(kwargs)
        return gitlab.Gitlab(self.url, private_token=token or self.token, **options)

    def create_project(self, name: str, client: gitlab.Gitlab | None = None, **extra: Any) -> Project:
        """A project ``name`` (name and path) in ``ml/team`` through the REST API, read back in full."""
        gl = client or self.client()
        created = gl.projects.create({"name": name, "path": name, "namespace_id": self.group.id, **extra})
        return gl.projects.get(created.id)

    def make_token(
        self,
        *,
        access_level: int = 40,
        scopes: tuple[str, ...] = ("api",),
        expires_at: date | None = None,
        group: Group | None = None,
    ) -> Token:
        """Another group access token (default Maintainer) for permission and expiry tests."""
        return self.state.create_group_access_token(
            group or self.group, access_level=access_level, scopes=scopes, expires_at=expires_at
        )

    def revoke(self, token: str) -> None:
        found = self.state.token_by_value(token)
        assert found is not None, "unknown token"
        self.state.revoke_token(found)

    def expire(self, token: str) -> None:
        """Make ``token`` expired (its expires_at becomes today)."""
        found = self.state.token_by_value(token)
        assert found is not None, "unknown token"
        found.expires_at = self.state.today()

    def inject(
        self,
        endpoint: str,
        status: int | None = None,
        *,
        times: int | None = 1,
        delay: float = 0.0,
        retry_after: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Fail the next ``times`` calls to ``endpoint`` (``"POST /projects"``, ``"* *"``; None = forever).

        ``status``: 500/502/503/429/...; ``delay``: seconds before answering (timeouts); ``retry_after``: seconds.
        """
        self.emulator.faults.inject(endpoint, Fault(status, delay, body, retry_after), times)

    def clear_faults(self) -> None:
        self.emulator.faults.clear()

    def requests(self) -> list[LoggedRequest]:
        """The request log: method, route template, status, project id (never paths or tokens)."""
        return self.emulator.faults.requests()

    def count(self, endpoint: str | None = None) -> int:
        """Requests answered for ``"METHOD /route/template"`` (or all)."""
        return self.emulator.faults.count(endpoint)

    def clear_log(self) -> None:
        self.emulator.faults.clear_log()


@pytest.fixture
def gitlab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitLabServer]:
    data_dir: Path = tmp_path_factory.mktemp("gitlab")
    emulator = GitLabEmulator(data_dir).start()
    try:
        yield GitLabServer(emulator, seed(emulator.state, "ml/team"))
    finally:
        emulator.stop()


@pytest.fixture
def gitlab_client(gitlab_server: GitLabServer) -> gitlab.Gitlab:
    return gitlab_server.client()


def run_git(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """``git args`` with no prompt for credentials, no system config, and ``HOME`` in ``cwd`` (so the user's
    own git config and credential helpers stay out of the test)."""
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "HOME": str(cwd or Path.cwd()),
    }
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env, check=False)
