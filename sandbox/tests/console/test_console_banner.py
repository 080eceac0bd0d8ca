"""`scripts/run-sandbox --keep-up` prints the console's URL first."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest


def test_keep_up_banner_leads_with_the_console_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_PYCACHE_DIR", "off")  # importing the CLI must not touch this process's cache
    main = importlib.import_module("sandbox.__main__")
    cloud = SimpleNamespace(
        console=SimpleNamespace(url="http://127.0.0.1:40001"),
        aws=SimpleNamespace(endpoint_url="http://127.0.0.1:40002", region="us-east-1"),
        gitlab_url="http://127.0.0.1:40003",
        person_token="glpat-x",
    )
    ctx = SimpleNamespace(prefix="abalone-p-0123456789ab", name="abalone", project_id="p-0123456789ab")
    ctx.project_stack = f"SC-sagemaker-project-{ctx.prefix}"
    lines = [line for line in main.access_text(cloud, ctx).splitlines() if line.strip()]
    assert lines[0] == "Console      http://127.0.0.1:40001/"
