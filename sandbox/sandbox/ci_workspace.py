"""A pipeline's workspace for gitlab-ci-local: checkout, variables, the command line and its environment.

What a GitLab runner (shell executor) prepares before a job runs:
- a checkout of the pipeline's commit from the emulator's git repository in a temp dir (never the user's
  tree), with `origin` set to the project's URL so gitlab-ci-local derives CI_PROJECT_PATH, CI_SERVER_URL...;
  a branch pipeline on a local branch of that name, a tag pipeline on a detached HEAD;
- the group's, project's and pipeline's CI/CD variables in GitLab's precedence (pipeline over project over
  group, all over .gitlab-ci.yml variables), protected ones only on protected refs
  (https://docs.gitlab.com/ci/variables/#protect-a-cicd-variable), in a variables file outside the checkout,
  created 0600; predefined values gitlab-ci-local cannot know (CI_PIPELINE_SOURCE, CI_PIPELINE_ID/IID, the
  ref's CI_COMMIT_* values, https://docs.gitlab.com/ci/variables/predefined_variables/) as `--variable`.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sandbox.ci_plan import JobSpec
from sandbox.gitlab_emulator.civars import predefined_variables
from sandbox.gitlab_emulator.protected_refs import is_protected_ref

ROOT = Path(__file__).resolve().parents[2]
# Predefined variables about the pipeline's ref and commit that the runner passes to gitlab-ci-local (which
# would otherwise put placeholders such as "Commit Title" in the message variables).
REF_VARIABLES = (
    "CI_COMMIT_MESSAGE",
    "CI_COMMIT_TITLE",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_REF_SLUG",
    "CI_COMMIT_REF_PROTECTED",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_TAG",
    "CI_COMMIT_TAG_MESSAGE",
)
GITLAB_CI_LOCAL = ROOT / "node_modules" / ".bin" / "gitlab-ci-local"


@dataclass
class PipelineRun:
    """A pipeline's checkout and the jobs gitlab-ci-local knows for it."""

    project: Any
    pipeline: Any
    base: Path  # the pipeline's own temp dir: checkout, home, variables file; removed when it is done
    checkout: Path
    home: Path
    variables_file: Path
    variables: dict[str, str]
    cli_variables: list[str]
    masked: list[str]
    specs: dict[str, JobSpec] = field(default_factory=dict)
    jobs: dict[str, Any] = field(default_factory=dict)
    # ID tokens live in memory and reach disk only while gitlab-ci-local runs (it reads them from the
    # variables file at start): a manual job waiting to be played leaves no token behind (issue 10.5).
    tokens: dict[str, str] = field(default_factory=dict)


def prepare(
    state: Any, server_url: str, workdir: Path, group_variables: dict[str, str], project: Any, pipeline: Any
) -> PipelineRun:
    """Check out the pipeline's commit and gather its variables (nothing with secrets is written yet)."""
    base = Path(tempfile.mkdtemp(prefix=f"pipeline-{pipeline.id}-", dir=workdir))
    checkout, home = base / "checkout", base / "home"
    home.mkdir()
    project_path = state.project_full_path(project)
    git = ["git", "-c", "advice.detachedHead=false"]
    subprocess.run([*git, "clone", "--quiet", "--no-checkout", str(project.repo), str(checkout)], check=True)
    # A branch pipeline runs on a local branch of that name (gitlab-ci-local reads CI_COMMIT_BRANCH from
    # it); a tag pipeline on a detached HEAD, as a GitLab runner checks out a tag.
    target = ["--detach", pipeline.sha] if pipeline.tag else ["-B", pipeline.ref, pipeline.sha]
    subprocess.run([*git, "-C", str(checkout), "checkout", "--quiet", *target], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(checkout),
            "remote",
            "set-url",
            "origin",
            f"{server_url}/{project_path}.git",
        ],
        check=True,
    )
    subprocess.run(
        ["git", "-C", str(checkout), "remote", "set-head", "origin", project.default_branch], check=False
    )
    variables: dict[str, str] = dict(group_variables)
    masked: list[str] = []
    protected_ref = is_protected_ref(project, pipeline.ref, tag=pipeline.tag)
    for variable in project.variables:
        if variable.environment_scope not in ("*", ""):
            continue
        if variable.protected and not protected_ref:
            continue  # GitLab: protected variables reach pipelines on protected branches and tags only
        value = variable.value
        if variable.variable_type == "file":
            path = home / "variables" / variable.key
            path.parent.mkdir(exist_ok=True)
            path.write_text(value, encoding="utf-8")
            value = str(path)
        variables[variable.key] = value
        if variable.masked:
            masked.append(variable.value)
    for item in pipeline.variables:
        variables[item["key"]] = item["value"]
    variables_file = home / "variables.yml"
    # Branch or tag: the emulator's predefined ref variables win over what gitlab-ci-local derives from
    # the checkout (it knows no tags and calls every ref unprotected).
    predefined = predefined_variables(
        state, project, pipeline.ref, pipeline.sha, pipeline.source, None, tag=pipeline.tag
    )
    cli_variables = [
        f"CI_PIPELINE_SOURCE={pipeline.source}",
        f"CI_PIPELINE_ID={pipeline.id}",
        f"CI_PIPELINE_IID={pipeline.iid}",
        f"CI_PIPELINE_URL={server_url}/{project_path}/-/pipelines/{pipeline.id}",
        f"CI_PROJECT_ID={project.id}",
        f"CI_DEFAULT_BRANCH={project.default_branch}",
        f"CI_API_V4_URL={server_url}/api/v4",
        *(f"{key}={predefined[key]}" for key in REF_VARIABLES if key in predefined),
    ]
    return PipelineRun(
        project, pipeline, base, checkout, home, variables_file, variables, cli_variables, masked
    )


def write_variables(run: PipelineRun, with_tokens: bool) -> None:
    values = {**run.variables, **run.tokens} if with_tokens else dict(run.variables)
    # Created 0600 (not chmod-ed afterwards): secrets are never readable by others, even briefly.
    fd = os.open(run.variables_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(yaml.safe_dump(values, default_flow_style=False))


def command(run: PipelineRun, *extra: str) -> list[str]:
    command = [
        str(GITLAB_CI_LOCAL),
        # gitlab-ci-local resolves this path against the working directory (absolute paths are ignored).
        "--variables-file",
        os.path.relpath(run.variables_file, run.checkout),
        "--home",
        str(run.home),
        "--force-shell-executor",
        "--shell-isolation",
        "--no-color",
        "--max-job-name-padding",
        "0",
    ]
    for variable in run.cli_variables:
        command += ["--variable", variable]
    if run.pipeline.tag:
        command += ["--unset-variable", "CI_COMMIT_BRANCH"]  # a tag pipeline has no branch
    return command + list(extra)


def job_env(runner_env: dict[str, str], run: PipelineRun) -> dict[str, str]:
    env = dict(runner_env)
    env["HOME"] = str(run.home)
    env["GCL_IGNORE_PREDEFINED_VARS"] = ",".join(v.split("=", 1)[0] for v in run.cli_variables)
    return env
