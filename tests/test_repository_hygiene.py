"""Repository-wide promises that no single component owns: pins, CI entry point, no data, no keys."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9_.\-\[\],]+?)(?:\[[^\]]*\])?==(?P<version>[A-Za-z0-9_.+\-]+)(?:\s*;.*)?$"
)


def tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    return [ROOT / p for p in out.decode().split("\0") if p]


def requirement_files() -> list[Path]:
    return sorted(
        p for p in tracked_files() if p.name.startswith("requirements") and p.suffix == ".txt" and p.is_file()
    )


def requirement_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-", "--")):
            lines.append(line)
    return lines


def locked_versions() -> dict[str, str]:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    return {pkg["name"]: pkg["version"] for pkg in lock["package"] if "version" in pkg}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_there_are_runtime_requirement_files_to_check() -> None:
    names = {str(p.relative_to(ROOT)) for p in requirement_files()}
    assert "seeder_lambda/requirements.txt" in names
    assert "trigger_lambda/requirements.txt" in names


@pytest.mark.parametrize("path", requirement_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_requirement_is_an_exact_pin(path: Path) -> None:
    unpinned = [line for line in requirement_lines(path) if not PIN.match(line)]
    assert unpinned == [], f"{path.relative_to(ROOT)} has requirements without an exact == pin: {unpinned}"


@pytest.mark.parametrize("path", requirement_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_runtime_pins_agree_with_the_development_lock(path: Path) -> None:
    """Lambdas and seed repos must run what the test suite tested: the same version of every shared package."""
    locked = locked_versions()
    disagreements = []
    for line in requirement_lines(path):
        match = PIN.match(line)
        if not match:
            continue
        name = normalise(match["name"])
        if name in locked and locked[name] != match["version"]:
            disagreements.append(f"{name}=={match['version']} (uv.lock has {locked[name]})")
    assert disagreements == [], f"{path.relative_to(ROOT)}: {disagreements}"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in quickstart.strip().splitlines()]
    assert len(commands) == 2, "the README quickstart gives exactly two commands"
    test_command = commands[1]
    ci_lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines()]
    assert f"exec {test_command}" in ci_lines


def test_the_abalone_data_set_is_not_committed() -> None:
    for path in tracked_files():
        if not path.is_file() or path.stat().st_size < 100_000:
            continue
        head = path.read_bytes()[:200]
        assert not re.match(rb"[MFI],0\.\d+,0\.\d+", head), f"{path.relative_to(ROOT)} looks like UCI Abalone"


AWS_ACCESS_KEY = re.compile(
    rb"\b(AKIA|ASIA)(?!IOSFODNN7EXAMPLE)[A-Z0-9]{16}\b"
)  # AWS's documented example key is fine
SECRET_ASSIGNMENT = re.compile(rb"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}")


def test_no_aws_keys_anywhere() -> None:
    offenders = []
    for path in tracked_files():
        if not path.is_file() or path.suffix in {".lock"} or path.name == "package-lock.json":
            continue
        data = path.read_bytes()
        if AWS_ACCESS_KEY.search(data) or SECRET_ASSIGNMENT.search(data):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
