"""One stack watcher: the release uses the deploy repo's deployer/stack_events.py and keeps no copy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from deployer import stack_events
from release import stack_progress

ROOT = Path(__file__).resolve().parents[2]
STATUS_LITERAL = re.compile(
    r"\b(?:CREATE|UPDATE|DELETE|IMPORT|ROLLBACK)_[A-Z_]*(?:COMPLETE|FAILED|IN_PROGRESS)\b"
)
# The release may name the statuses it acts on (UpdateStack's preconditions, the empty-stack cleanup), but
# the terminal and success sets live only in stack_events.
ALLOWED = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "ROLLBACK_COMPLETE",
}


def test_the_release_watches_stacks_with_the_deploy_repos_module() -> None:
    assert stack_progress.stack_events is stack_events
    assert Path(stack_events.__file__).resolve() == ROOT / "seed_deploy_repo" / "deployer" / "stack_events.py"


def test_no_release_module_keeps_its_own_status_sets() -> None:
    found = {
        (path.name, literal)
        for path in sorted((ROOT / "scripts" / "release").glob("*.py"))
        for literal in STATUS_LITERAL.findall(path.read_text(encoding="utf-8"))
        if literal not in ALLOWED
    }
    assert found == set()
    assert not hasattr(stack_progress, "SUCCESS")
    assert not hasattr(stack_progress, "FAILURE")


def test_scripts_publish_puts_the_deploy_repo_on_the_path() -> None:
    wrapper = (ROOT / "scripts" / "publish").read_text(encoding="utf-8")
    match = re.search(r'^export PYTHONPATH="([^"$]*(?:\$ROOT/[^:"$]+:?)+)', wrapper, re.M)
    assert match is not None
    entries = [entry.removeprefix("$ROOT/") for entry in match[1].split(":") if entry.startswith("$ROOT/")]
    assert "seed_deploy_repo" in entries
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / entry) for entry in entries)}
    result = subprocess.run(
        [sys.executable, "-c", "import release.stack_progress"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
