"""The two seed repos stand alone once seeded, so their shared CI helpers are copies: they must agree.

Also runs the shared OIDC helper (ci/oidc.sh) in bash and POSIX sh, as the job shells do, and checks the
token file lives in a private directory that is gone when the shell exits (issues 10.4, 10.5, 13); and checks
that both repos install their CI dependencies the same way: ci/venv.sh with the pinned uv from lock files
with hashes (issue 13).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPOS = (ROOT / "seed_build_repo", ROOT / "seed_deploy_repo")
# Helpers both repos must carry byte for byte (each repo stands alone once seeded, so they are copies).
SHARED = ("ci/oidc.sh", "ci/venv.sh")
TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0X3BhdGgifQ.c2lnbmF0dXJl"


@pytest.mark.parametrize("name", SHARED)
def test_shared_ci_helpers_are_byte_identical(name: str) -> None:
    build, deploy = ((repo / name).read_bytes() for repo in REPOS)
    assert build == deploy, (
        f"{name} differs between seed_build_repo and seed_deploy_repo: copy one onto the other"
    )


def test_both_pipelines_source_the_shared_helper() -> None:
    for repo in REPOS:
        assert ". ci/oidc.sh" in (repo / ".gitlab-ci.yml").read_text(), repo.name
    assert not (ROOT / "seed_build_repo" / "ci" / "aws-oidc.sh").exists()


def _lock_files_used(repo: Path) -> set[str]:
    text = (repo / ".gitlab-ci.yml").read_text()
    return set(re.findall(r"sh ci/venv\.sh (\S+)", text))


@pytest.mark.parametrize("repo", REPOS, ids=lambda r: r.name)
def test_ci_installs_only_from_hash_locked_files_with_the_pinned_uv(repo: Path) -> None:
    locks = _lock_files_used(repo)
    assert locks, f"{repo.name}/.gitlab-ci.yml never runs ci/venv.sh"
    for lock in locks:
        assert re.fullmatch(r"requirements/[a-z]+\.txt", lock), lock
        text = (repo / lock).read_text()
        pins = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
        assert pins, lock
        assert all("==" in pin and pin.endswith(" \\") for pin in pins), lock
        source = (repo / lock).with_suffix(".in")
        assert source.is_file(), f"{repo.name}/{lock} has no {source.name} to be compiled from"
        assert f"--generate-hashes --no-annotate -o {lock}" in text.splitlines()[1], lock
    # ci/venv.sh installs with `uv pip sync --require-hashes`: nothing unpinned or unhashed gets in.
    assert "pip sync --quiet --require-hashes" in (repo / "ci" / "venv.sh").read_text()
    assert "pip install" not in (repo / ".gitlab-ci.yml").read_text()


def test_both_pipelines_pin_the_same_uv() -> None:
    versions = {re.search(r'UV_VERSION: "([0-9.]+)"', (r / ".gitlab-ci.yml").read_text()) for r in REPOS}
    found = {m.group(1) if m else None for m in versions}
    default = re.search(r"uv_version=\$\{UV_VERSION:-([0-9.]+)\}", (REPOS[0] / "ci" / "venv.sh").read_text())
    assert default is not None
    assert found == {default.group(1)}


def test_venv_refuses_a_lock_file_without_hashes(tmp_path: Path) -> None:
    """Offline: uv refuses before resolving anything (no index is contacted)."""
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "venv.sh").write_bytes((REPOS[1] / "ci" / "venv.sh").read_bytes())
    (tmp_path / "unhashed.txt").write_text("boto3==1.44.5\n")
    env = {"UV_OFFLINE": "1", "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "VIRTUAL_ENV": ""}
    result = _run("sh", "sh ci/venv.sh unhashed.txt", {**os.environ, **env}, tmp_path)
    assert result.returncode != 0
    assert "all requirements must have a hash" in result.stderr


def _run(shell: str, script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [shell, "-c", script], cwd=cwd, env={**base, **env}, capture_output=True, text=True, check=False
    )


def _job_env(project_dir: Path) -> dict[str, str]:
    return {
        "AWS_ID_TOKEN": TOKEN,
        "OIDC_ROLE_ARN": "arn:aws:iam::123456789012:role/p-1-build",
        "CI_PROJECT_DIR": str(project_dir),
        # Static credentials a runner or image might carry: each would beat the web identity in boto3.
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "stale",
        "AWS_SECURITY_TOKEN": "stale",
        "AWS_PROFILE": "admin",
        "AWS_DEFAULT_PROFILE": "admin",
        "AWS_SHARED_CREDENTIALS_FILE": "/home/runner/.aws/credentials",
        "AWS_CONFIG_FILE": "/home/runner/.aws/config",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.2/creds",
    }


STATIC = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
]
REPORT = (
    "for v in " + " ".join(STATIC) + '; do eval "printf \'%s=%s\\n\' $v \\"\\${$v-unset}\\""; done; '
    'printf "FILE=%s\\n" "$AWS_WEB_IDENTITY_TOKEN_FILE"; printf "TOKEN=%s\\n" "$(cat "$AWS_WEB_IDENTITY_TOKEN_FILE")"; '
    'printf "MODE=%s\\n" "$(stat -c %a "$(dirname "$AWS_WEB_IDENTITY_TOKEN_FILE")")"'
)


def _parse(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


@pytest.mark.parametrize("shell", ["bash", "sh"])
@pytest.mark.parametrize("repo", REPOS, ids=lambda r: r.name)
def test_oidc_clears_static_credentials_and_removes_the_token_at_exit(
    repo: Path, shell: str, tmp_path: Path
) -> None:
    project_dir = tmp_path / "builds" / "group" / "project"
    project_dir.mkdir(parents=True)
    (tmp_path / "builds" / "group" / "project.tmp").mkdir()  # GitLab Runner's per-job temp dir
    result = _run(shell, f". ci/oidc.sh && {REPORT}", _job_env(project_dir), repo)
    assert result.returncode == 0, result.stderr
    seen = _parse(result.stdout)
    assert {name: seen[name] for name in STATIC} == dict.fromkeys(STATIC, "unset")
    token_file = Path(seen["FILE"])
    assert token_file.parent.parent == tmp_path / "builds" / "group" / "project.tmp"
    assert seen["TOKEN"] == TOKEN
    assert seen["MODE"] == "700"
    assert TOKEN not in result.stderr
    assert not token_file.exists(), "token left on disk after the job"
    assert not token_file.parent.exists(), "token directory left on disk after the job"


@pytest.mark.parametrize("ending", ["false", "exit 3", "kill -TERM $$"])
@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_oidc_token_is_removed_when_the_job_fails_or_is_cancelled(
    shell: str, ending: str, tmp_path: Path
) -> None:
    env = {**_job_env(tmp_path / "nowhere"), "TMPDIR": str(tmp_path)}
    script = (
        f'set -e; . ci/oidc.sh; printf "FILE=%s\\n" "$AWS_WEB_IDENTITY_TOKEN_FILE"; {ending}; echo reached'
    )
    result = _run(shell, script, env, REPOS[1])
    assert result.returncode != 0
    assert "reached" not in result.stdout
    token_file = Path(_parse(result.stdout)["FILE"])
    assert token_file.parent.parent == tmp_path  # no $CI_PROJECT_DIR.tmp here: TMPDIR
    assert list(tmp_path.iterdir()) == [], "token directory left behind"


# --- the deploy repo spells the contracts' names itself (it cannot import contracts once seeded) ----------


def test_deploy_repo_names_agree_with_contracts() -> None:
    """Issue 13 / C5: stack names, stages, tags, deploy reasons and the endpoint name match contracts."""
    from contracts import ci_variables, names
    from deployer import resolve, settings

    project = settings.ProjectSettings(
        project_name="abalone",
        project_id="p-abcdefghijkl",
        model_package_group="abalone-p-abcdefghijkl",
        artifact_bucket="bucket",
        model_execution_role_arn="arn:aws:iam::123456789012:role/x",
        deploy_cfn_role_arn="arn:aws:iam::123456789012:role/y",
    )
    assert settings.STAGES == names.STAGES
    for stage in names.STAGES:
        assert project.stack_name(stage) == names.deploy_stack_name("abalone", "p-abcdefghijkl", stage)
        assert project.tags(stage) == [
            *names.project_tags("abalone", "p-abcdefghijkl"),
            {"Key": names.TAG_DEPLOYMENT_STAGE, "Value": stage},
        ]
    assert resolve.DEPLOY_REASONS == ci_variables.DEPLOY_REASONS
    # C5: the endpoint template names the endpoint N-I-<stage> explicitly.
    template = (ROOT / "seed_deploy_repo" / "templates" / "endpoint.yaml").read_text()
    (sub,) = re.findall(r"^\s+EndpointName: !Sub \"(.*)\"$", template, flags=re.MULTILINE)
    rendered = sub.replace("${SageMakerProjectName}", "abalone").replace(
        "${SageMakerProjectId}", "p-abcdefghijkl"
    )
    for stage in names.STAGES:
        assert rendered.replace("${StageName}", stage) == names.endpoint_name(
            "abalone", "p-abcdefghijkl", stage
        )
