"""The sandbox's bytecode cache: where it goes, how it is turned off, and that child processes really use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import bytecode


def test_cache_dir_precedence(tmp_path: Path) -> None:
    assert bytecode.cache_dir({}) == bytecode.DEFAULT_DIR
    assert bytecode.cache_dir({"PYTHONPYCACHEPREFIX": str(tmp_path / "user")}) == tmp_path / "user"
    assert (
        bytecode.cache_dir(
            {"PYTHONPYCACHEPREFIX": str(tmp_path / "user"), "SANDBOX_PYCACHE_DIR": str(tmp_path / "s")}
        )
        == tmp_path / "s"
    )
    assert bytecode.cache_dir({"SANDBOX_PYCACHE_DIR": "off", "PYTHONPYCACHEPREFIX": str(tmp_path)}) is None


def test_child_env_off_writes_no_bytecode() -> None:
    assert bytecode.child_env({"SANDBOX_PYCACHE_DIR": "off"}) == {"PYTHONDONTWRITEBYTECODE": "1"}


def test_a_read_only_child_uses_the_cache_but_writes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "readonly_module_xyz.py").write_text("VALUE = 42\n", encoding="utf-8")
    cache = tmp_path / "cache"
    env = {"PATH": "/usr/bin:/bin", **bytecode.child_env({"SANDBOX_PYCACHE_DIR": str(cache)}, write=False)}
    subprocess.run([sys.executable, "-c", "import readonly_module_xyz"], cwd=source, env=env, check=True)
    assert not list(tmp_path.rglob("*.pyc"))
    assert env["PYTHONPYCACHEPREFIX"] == str(cache)


def test_a_child_writes_bytecode_under_the_prefix_only(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "cached_module_xyz.py").write_text("VALUE = 42\n", encoding="utf-8")
    cache = tmp_path / "cache"
    env = {"PATH": "/usr/bin:/bin", **bytecode.child_env({"SANDBOX_PYCACHE_DIR": str(cache)})}
    subprocess.run([sys.executable, "-c", "import cached_module_xyz"], cwd=source, env=env, check=True)
    assert list(cache.rglob("cached_module_xyz.*.pyc"))
    assert not list(source.rglob("*.pyc"))


def test_enable_sets_the_environment_for_children(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_PYCACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.delenv("PYTHONPYCACHEPREFIX", raising=False)  # restored after the test
    monkeypatch.setattr(sys, "pycache_prefix", sys.pycache_prefix)
    monkeypatch.setattr(sys, "dont_write_bytecode", sys.dont_write_bytecode)
    assert bytecode.enable() == tmp_path / "c"
    assert os.environ["PYTHONPYCACHEPREFIX"] == str(tmp_path / "c")
    assert "PYTHONDONTWRITEBYTECODE" not in os.environ
    assert sys.pycache_prefix == str(tmp_path / "c")
    assert (tmp_path / "c").is_dir()
