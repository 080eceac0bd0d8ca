""".gitlab-ci.yml and its POSIX sh helpers: what runs when, OIDC wiring, and no stored keys."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY_JOBS = ("resolve", "deploy-staging", "test-staging", "deploy-prod", "test-prod")
DEV_JOBS = ("lint", "unit-tests")
ROLE_OF = {
    "resolve": "$STAGING_ROLE_ARN",
    "deploy-staging": "$STAGING_ROLE_ARN",
    "test-staging": "$STAGING_ROLE_ARN",
    "deploy-prod": "$PROD_ROLE_ARN",
    "test-prod": "$PROD_ROLE_ARN",
}


@pytest.fixture
def ci(repo_root: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((repo_root / ".gitlab-ci.yml").read_text()))


def job(ci: dict[str, Any], name: str) -> dict[str, Any]:
    """The job with `extends` applied (one level, as used here; arrays replace, hashes merge)."""
    merged: dict[str, Any] = {}
    for parent in [ci[name].get("extends")] if isinstance(ci[name].get("extends"), str) else []:
        merged.update(ci[parent])
    merged.update(ci[name])
    return merged


def test_stages_in_order(ci: dict[str, Any]) -> None:
    assert ci["stages"] == ["build", "deploy-staging", "test-staging", "deploy-prod", "test-prod"]
    assert [job(ci, name)["stage"] for name in DEPLOY_JOBS] == ["build", *ci["stages"][1:]]


def test_image_is_pinned_to_a_patch_release(ci: dict[str, Any]) -> None:
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", ci["image"])


def test_deploy_jobs_run_only_for_trigger_api_or_web_on_the_default_branch(ci: dict[str, Any]) -> None:
    for name in DEPLOY_JOBS:
        rules = job(ci, name)["rules"]
        assert len(rules) == 1, name
        condition = rules[0]["if"]
        sources = set(re.findall(r'\$CI_PIPELINE_SOURCE == "(\w+)"', condition))
        assert sources == {"trigger", "api", "web"}, name
        assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in condition
    for name in DEV_JOBS:
        sources = set(re.findall(r'\$CI_PIPELINE_SOURCE == "(\w+)"', job(ci, name)["rules"][0]["if"]))
        assert sources == {"push", "merge_request_event"}, name


def test_production_is_manual_and_blocking(ci: dict[str, Any]) -> None:
    rule = job(ci, "deploy-prod")["rules"][0]
    assert rule["when"] == "manual"
    assert rule["allow_failure"] is False
    for name in ("resolve", "deploy-staging", "test-staging", "test-prod"):
        assert "when" not in job(ci, name)["rules"][0], name


def test_prod_deploys_what_staging_tested(ci: dict[str, Any]) -> None:
    assert job(ci, "resolve")["artifacts"]["reports"]["dotenv"] == "resolved.env"
    assert job(ci, "deploy-staging")["needs"] == ["resolve"]
    assert job(ci, "test-staging")["needs"] == ["resolve", "deploy-staging"]
    assert job(ci, "deploy-prod")["needs"] == ["resolve", "test-staging"]
    assert job(ci, "test-prod")["needs"] == ["resolve", "deploy-prod"]


def test_environments_and_resource_groups(ci: dict[str, Any]) -> None:
    expected = {
        "deploy-staging": ("staging", "start", "staging"),
        "test-staging": ("staging", "verify", "staging"),
        "deploy-prod": ("production", "start", "production"),
        "test-prod": ("production", "verify", "production"),
    }
    for name, (environment, action, group) in expected.items():
        definition = job(ci, name)
        assert (definition["environment"]["name"], definition["environment"]["action"]) == (
            environment,
            action,
        )
        assert definition["resource_group"] == group


def test_every_aws_job_uses_oidc_with_its_stage_role(ci: dict[str, Any]) -> None:
    for name, role in ROLE_OF.items():
        definition = job(ci, name)
        assert definition["id_tokens"] == {"AWS_ID_TOKEN": {"aud": "sts.amazonaws.com"}}, name
        assert definition["variables"]["OIDC_ROLE_ARN"] == role, name
        assert ". ci/oidc.sh" in definition["before_script"], name
    text = yaml.safe_dump(ci)
    assert "AWS_ACCESS_KEY_ID" not in text
    assert "AWS_SECRET_ACCESS_KEY" not in text


def test_dependency_caches_are_keyed_on_the_requirement_files(ci: dict[str, Any]) -> None:
    for name in DEPLOY_JOBS:
        cache = job(ci, name)["cache"]
        assert cache["key"]["files"] == ["requirements.txt"]
        assert cache["paths"] == [".venv", ".cache/pip"]
        # a venv restored at another path must still work: deploy jobs run modules, not console scripts
        assert all(line.startswith("python -m deployer.") for line in job(ci, name)["script"]), name
        # the first job builds the venv and uploads it; the later ones only download it
        assert cache.get("policy", "pull-push") == ("pull-push" if name == "resolve" else "pull"), name
    for name in DEV_JOBS:
        cache = job(ci, name)["cache"]
        assert cache["key"]["files"] == ["requirements.txt", "requirements-dev.txt"]
        assert cache["paths"] == [".cache/pip"]
    assert ci["variables"]["PIP_CACHE_DIR"] == "$CI_PROJECT_DIR/.cache/pip"


# --- ci/oidc.sh, ci/venv.sh under POSIX sh ----------------------------------------------------------------

PRINT_ENV = 'printf "%s|%s|%s|%s|%s\\n" "$AWS_ROLE_ARN" "$(cat "$AWS_WEB_IDENTITY_TOKEN_FILE")" "${AWS_ACCESS_KEY_ID:-unset}" "${AWS_SESSION_TOKEN:-unset}" "$AWS_ROLE_SESSION_NAME"'


def run_sh(repo_root: Path, script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        ["sh", "-c", script], cwd=repo_root, env={**base, **env}, capture_output=True, text=True, check=False
    )


def test_oidc_exports_the_token_file_and_role_and_drops_stored_keys(repo_root: Path) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9qZWN0X3BhdGgifQ.c2lnbmF0dXJl"
    result = run_sh(
        repo_root,
        f". ci/oidc.sh && {PRINT_ENV}",
        {
            "AWS_ID_TOKEN": token,
            "OIDC_ROLE_ARN": "arn:aws:iam::123456789012:role/p-1-deploy-staging",
            "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS_SESSION_TOKEN": "stale",
            "CI_PROJECT_ID": "42",
            "CI_JOB_ID": "7",
            "CI_ENVIRONMENT_NAME": "staging",
        },
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "AWS credentials: the role for staging, assumed with this job's OIDC token"
    assert lines[1] == f"arn:aws:iam::123456789012:role/p-1-deploy-staging|{token}|unset|unset|gitlab-42-7"
    assert token not in lines[0] + result.stderr  # the token itself is never printed


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OIDC_ROLE_ARN": "arn:aws:iam::123456789012:role/r"}, "AWS_ID_TOKEN is empty"),
        ({"AWS_ID_TOKEN": "t"}, "set STAGING_ROLE_ARN and PROD_ROLE_ARN"),
    ],
)
def test_oidc_fails_the_job_when_something_is_missing(
    repo_root: Path, env: dict[str, str], message: str
) -> None:
    result = run_sh(repo_root, ". ci/oidc.sh && echo reached", env)
    assert result.returncode == 1
    assert message in result.stderr
    assert "reached" not in result.stdout


def test_venv_script_refuses_bad_arguments_before_touching_anything(repo_root: Path) -> None:
    usage = run_sh(repo_root, "sh ci/venv.sh", {})
    assert usage.returncode == 2
    assert "usage: sh ci/venv.sh REQUIREMENTS_FILE..." in usage.stderr
    missing = run_sh(repo_root, "sh ci/venv.sh no-such-requirements.txt", {})
    assert missing.returncode == 1
    assert "requirements file no-such-requirements.txt not found" in missing.stderr


@pytest.mark.parametrize("script", ["ci/venv.sh", "ci/oidc.sh"])
def test_helpers_are_valid_posix_sh(repo_root: Path, script: str) -> None:
    assert subprocess.run(["sh", "-n", script], cwd=repo_root, check=False).returncode == 0


def test_venv_is_built_once_and_reused_until_the_requirements_change(repo_root: Path, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("# nothing to install: exercises the venv logic offline\n")
    script = f"sh {repo_root / 'ci' / 'venv.sh'} requirements.txt"
    env = {"PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    def run() -> str:
        result = subprocess.run(
            ["sh", "-c", script],
            cwd=tmp_path,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "Installed requirements.txt into .venv" in run()
    assert (tmp_path / ".venv" / ".requirements.sha256").is_file()
    assert "Reusing the cached .venv: requirements.txt unchanged" in run()
    (tmp_path / "requirements.txt").write_text("# changed\n")
    assert "Installed requirements.txt into .venv" in run()
