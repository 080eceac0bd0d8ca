"""The Lambdas' requirements files are generated from uv.lock (scripts/lock-lambdas) and stay so."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from release import lambda_requirements  # noqa: E402

# What each zip installed when the files were still hand-copied from uv.lock (issue 13): generating them must
# not add or drop a distribution. boto3 is absent where the Lambda runtime provides it.
# requests' own closure, in every zip.
REQUESTS = {
    "requests==2.34.2",
    "urllib3==2.8.0",
    "idna==3.20",
    "charset-normalizer==3.5.2",
    "certifi==2026.10.18",
}
GITLAB = {"python-gitlab==8.6.0", "requests-toolbelt==1.0.0"}
BOTO3 = {
    "boto3==1.44.5",
    "botocore==1.44.5",
    "jmespath==1.1.0",
    "s3transfer==0.19.3",
    "python-dateutil==2.9.0.post0",
    "six==1.17.0",
}
EXPECTED = {
    "seeder_lambda": GITLAB | REQUESTS,
    "trigger_lambda": BOTO3 | GITLAB | REQUESTS,
    "token_monitor_lambda": REQUESTS,
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*==[^\s;\\]+)")
HASH = re.compile(r"^\s+--hash=sha256:[0-9a-f]{64}")

pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="uv is installed by scripts/bootstrap")


def pins(text: str) -> set[str]:
    return {match[1] for line in text.splitlines() if (match := PIN.match(line))}


def test_committed_files_equal_what_the_script_writes_now() -> None:
    assert lambda_requirements.stale_files(ROOT) == [], "run scripts/lock-lambdas and commit the result"


@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_each_zip_installs_the_same_distributions_as_before(folder: str) -> None:
    text = (ROOT / folder / "requirements.txt").read_text(encoding="utf-8")
    assert pins(text) == EXPECTED[folder]
    # Every requirement carries hashes, so an install of a tampered or different wheel fails.
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if PIN.match(line):
            assert HASH.match(lines[index + 1]), f"{folder}: {line} has no --hash"


def edited_trigger(root: Path) -> str:
    return (root / "trigger_lambda" / "requirements.txt").read_text()


def test_a_hand_edit_or_a_lock_change_is_caught(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    shutil.copy(ROOT / "uv.lock", tmp_path)
    for folder in EXPECTED:
        (tmp_path / folder).mkdir()
        shutil.copy(ROOT / folder / "requirements.txt", tmp_path / folder)
    assert lambda_requirements.stale_files(tmp_path) == []
    edited = tmp_path / "seeder_lambda" / "requirements.txt"
    edited.write_text(edited.read_text().replace("urllib3==2.8.0", "urllib3==2.7.0"))
    # A re-lock that changed six's wheel (same version, new hash) must reach the trigger's file.
    lock = tmp_path / "uv.lock"
    six_hash = re.search(r"six==1\.17\.0.*?--hash=sha256:([0-9a-f]{64})", edited_trigger(tmp_path), re.S)
    assert six_hash is not None
    lock.write_text(lock.read_text().replace(six_hash[1], "0" * 64))
    assert lambda_requirements.stale_files(tmp_path) == [
        "seeder_lambda/requirements.txt",
        "trigger_lambda/requirements.txt",
    ]
    assert lambda_requirements.write_all(tmp_path) == [
        "seeder_lambda/requirements.txt",
        "trigger_lambda/requirements.txt",
    ]
    assert "0" * 64 in edited_trigger(tmp_path)
    assert lambda_requirements.stale_files(tmp_path) == []


def test_check_mode_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    original = ROOT / "token_monitor_lambda" / "requirements.txt"
    before = original.read_bytes()
    assert lambda_requirements.main(["--check"]) == 0
    assert original.read_bytes() == before
    assert capsys.readouterr() == ("", "")
