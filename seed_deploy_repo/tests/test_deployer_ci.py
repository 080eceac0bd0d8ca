""".gitlab-ci.yml and its POSIX sh helpers: what runs when, OIDC wiring, and no stored keys."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

STAGING_JOBS = ("resolve", "deploy-staging", "test-staging")
PROD_JOBS = ("resolve-prod", "deploy-prod", "test-prod")
DEPLOY_JOBS = STAGING_JOBS + PROD_JOBS
DEV_JOBS = ("lint", "unit-tests")
ROLE_OF = {
    "resolve": "$STAGING_ROLE_ARN",
    "deploy-staging": "$STAGING_ROLE_ARN",
    "test-staging": "$STAGING_ROLE_ARN",
    "resolve-prod": "$PROD_ROLE_ARN",
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


# --- GitLab's rule expressions, evaluated for the handful of forms this file uses -----------------------
# (https://docs.gitlab.com/ci/jobs/job_rules/#cicd-variable-expressions: ==, =~ /regex/, &&, ||, parentheses,
# a bare variable is true when set and non-empty.)


def _expression(text: str, env: dict[str, str]) -> bool:
    def value(token: str) -> str | None:
        token = token.strip()
        if token.startswith("$"):
            return env.get(token[1:]) or None
        return token.strip('"')

    def atom(part: str) -> bool:
        part = part.strip()
        if "=~" in part:
            left, pattern = part.split("=~")
            found = value(left)
            return found is not None and re.search(pattern.strip().strip("/"), found) is not None
        if "==" in part:
            left, right = part.split("==")
            return value(left) == value(right)
        return value(part) is not None

    def disjunction(part: str) -> bool:
        return any(conjunction(piece) for piece in _split(part, "||"))

    def conjunction(part: str) -> bool:
        return all(unit(piece) for piece in _split(part, "&&"))

    def unit(part: str) -> bool:
        part = part.strip()
        if part.startswith("(") and part.endswith(")"):
            return disjunction(part[1:-1])
        return atom(part)

    return disjunction(text)


def _split(text: str, operator: str) -> list[str]:
    pieces, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text.startswith(operator, index):
            pieces.append(text[start:index])
            start = index + len(operator)
    return [*pieces, text[start:]]


def _first_match(rules: list[dict[str, Any]], env: dict[str, str]) -> dict[str, Any] | None:
    return next((rule for rule in rules if "if" not in rule or _expression(rule["if"], env)), None)


def jobs_of(ci: dict[str, Any], env: dict[str, str]) -> list[str] | None:
    """The jobs a pipeline with these predefined variables runs (None: the workflow creates no pipeline)."""
    workflow = _first_match(ci["workflow"]["rules"], env)
    if workflow is None or workflow.get("when") == "never":
        return None
    names = []
    for name in (*DEV_JOBS, *DEPLOY_JOBS):
        rule = _first_match(job(ci, name)["rules"], env)
        if rule is not None and rule.get("when") != "never":
            names.append(name)
    return names


MAIN = {"CI_DEFAULT_BRANCH": "main", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main"}


def tag(name: str) -> dict[str, str]:
    # GitLab: a tag pipeline has CI_COMMIT_TAG and no CI_COMMIT_BRANCH; its source is push (or api/web).
    return {"CI_DEFAULT_BRANCH": "main", "CI_COMMIT_TAG": name, "CI_COMMIT_REF_NAME": name}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({**MAIN, "CI_PIPELINE_SOURCE": "trigger"}, list(STAGING_JOBS)),
        ({**MAIN, "CI_PIPELINE_SOURCE": "api"}, list(STAGING_JOBS)),
        ({**MAIN, "CI_PIPELINE_SOURCE": "web"}, list(STAGING_JOBS)),
        ({**MAIN, "CI_PIPELINE_SOURCE": "push"}, list(DEV_JOBS)),
        (
            {"CI_DEFAULT_BRANCH": "main", "CI_COMMIT_BRANCH": "feature", "CI_PIPELINE_SOURCE": "trigger"},
            [],
        ),
        (
            {"CI_DEFAULT_BRANCH": "main", "CI_COMMIT_BRANCH": "feature", "CI_PIPELINE_SOURCE": "push"},
            DEV_JOBS,
        ),
        ({"CI_DEFAULT_BRANCH": "main", "CI_PIPELINE_SOURCE": "merge_request_event"}, list(DEV_JOBS)),
        ({**tag("prod-v3-p12"), "CI_PIPELINE_SOURCE": "push"}, list(PROD_JOBS)),
        ({**tag("prod-v3"), "CI_PIPELINE_SOURCE": "web"}, list(PROD_JOBS)),
        ({**tag("v1.0"), "CI_PIPELINE_SOURCE": "push"}, None),
        ({**tag("release-prod-1"), "CI_PIPELINE_SOURCE": "push"}, None),
    ],
    ids=[
        "main-trigger",
        "main-api",
        "main-web",
        "main-push",
        "branch-trigger",
        "branch-push",
        "merge-request",
        "prod-tag-push",
        "prod-tag-web",
        "other-tag",
        "tag-containing-prod",
    ],
)
def test_which_jobs_run_in_which_pipeline(
    ci: dict[str, Any], env: dict[str, str], expected: list[str] | tuple[str, ...] | None
) -> None:
    assert jobs_of(ci, env) == (list(expected) if expected is not None else None)


def test_stages_in_order(ci: dict[str, Any]) -> None:
    assert ci["stages"] == ["build", "deploy-staging", "test-staging", "deploy-prod", "test-prod"]
    assert [job(ci, name)["stage"] for name in STAGING_JOBS] == ["build", "deploy-staging", "test-staging"]
    assert [job(ci, name)["stage"] for name in PROD_JOBS] == ["build", "deploy-prod", "test-prod"]


def test_image_is_pinned_to_a_patch_release(ci: dict[str, Any]) -> None:
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-\w+", ci["image"])


def test_nothing_waits_for_a_manual_play(ci: dict[str, Any]) -> None:
    """Production is the tag, not a button: no job is manual (a manual job on main would run on main's token)."""
    for name in DEPLOY_JOBS:
        assert all("when" not in rule for rule in job(ci, name)["rules"]), name


def test_each_stage_deploys_what_its_resolve_job_decided(ci: dict[str, Any]) -> None:
    for name in ("resolve", "resolve-prod"):
        assert job(ci, name)["artifacts"]["reports"]["dotenv"] == "resolved.env"
    assert job(ci, "deploy-staging")["needs"] == ["resolve"]
    assert job(ci, "test-staging")["needs"] == ["resolve", "deploy-staging"]
    assert job(ci, "deploy-prod")["needs"] == ["resolve-prod"]
    assert job(ci, "test-prod")["needs"] == ["resolve-prod", "deploy-prod"]
    assert job(ci, "resolve-prod")["script"] == [
        ".venv-ci/bin/python -m deployer.resolve_prod --dotenv resolved.env --json resolved-model-package.json"
    ]


def test_staging_prints_how_to_promote_after_its_smoke_test(ci: dict[str, Any]) -> None:
    assert job(ci, "test-staging")["script"] == [
        ".venv-ci/bin/python -m deployer.smoke_test --stage staging",
        ".venv-ci/bin/python -m deployer.promotion",
    ]


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


def test_dependencies_come_from_the_hash_locked_files(ci: dict[str, Any]) -> None:
    for name in DEPLOY_JOBS:
        definition = job(ci, name)
        assert definition["before_script"][0] == "sh ci/venv.sh requirements/deploy.txt", name
        assert definition["cache"]["key"]["files"] == ["requirements/deploy.txt"], name
        assert definition["cache"]["paths"] == [".cache/"], name
        assert all(line.startswith(".venv-ci/bin/python -m deployer.") for line in definition["script"]), name
    for name in DEV_JOBS:
        definition = job(ci, name)
        assert definition["before_script"] == ["sh ci/venv.sh requirements/dev.txt"], name
        assert definition["cache"]["key"]["files"] == ["requirements/dev.txt"], name
    assert ci["variables"]["UV_VERSION"] == "0.13.8"


@pytest.mark.parametrize("lock", ["deploy", "dev"])
def test_lock_files_pin_every_package_with_hashes(repo_root: Path, lock: str) -> None:
    text = (repo_root / "requirements" / f"{lock}.txt").read_text()
    requirements = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    assert requirements, lock
    for line in requirements:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[^ ]+ \\", line), line
    assert "--hash=sha256:" in text
    direct = [
        line.split("==")[0].split("[")[0].lower()
        for line in (repo_root / "requirements" / f"{lock}.in").read_text().splitlines()
        if "==" in line
    ]
    locked = {line.split("==")[0].lower() for line in requirements}
    assert set(direct) <= locked, lock


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


def test_venv_script_refuses_to_run_without_a_lock_file(repo_root: Path) -> None:
    usage = run_sh(repo_root, "sh ci/venv.sh", {})
    assert usage.returncode != 0
    assert "usage: sh ci/venv.sh requirements/<name>.txt" in usage.stderr


@pytest.mark.parametrize("script", ["ci/venv.sh", "ci/oidc.sh"])
def test_helpers_are_valid_posix_sh(repo_root: Path, script: str) -> None:
    assert subprocess.run(["sh", "-n", script], cwd=repo_root, check=False).returncode == 0
