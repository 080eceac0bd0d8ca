"""The CI/CD variables a job of a pipeline receives, as GitLab computes them (for the runner and workflow rules).

Predefined variables as https://docs.gitlab.com/ci/variables/predefined_variables/ lists them: a tag
pipeline has ``CI_COMMIT_TAG`` (and ``CI_COMMIT_TAG_MESSAGE``) and no ``CI_COMMIT_BRANCH``; a branch pipeline
the reverse; ``CI_COMMIT_REF_NAME`` is the branch or tag name either way.

Precedence, lowest first (later entries win): predefined variables, project variables, pipeline variables
(trigger/API). The CI file's own ``variables:`` sit between predefined and project variables; the runner
(gitlab-ci-local) applies those. Protected variables reach pipelines on protected refs only (the default
branch, ``Project.protected_branches`` and tags matching a protected tag); environment-scoped ones only jobs with a matching environment,
the most specific scope winning. Not emulated: group and instance variables, dotenv reports, ``expand``
(``raw: false`` values are passed unexpanded).
"""

from __future__ import annotations

import fnmatch
import re

from . import gitrepo, gittags
from .protected_refs import is_protected_ref
from .state import EmulatorState, Pipeline, Project, User, Variable

__all__ = ["is_protected_ref", "job_variables", "predefined_variables", "ref_slug"]


def ref_slug(ref: str) -> str:
    """CI_COMMIT_REF_SLUG: lowercased, shortened to 63 bytes, everything but 0-9 and a-z replaced with -."""
    return re.sub(r"[^a-z0-9]", "-", ref.lower())[:63].strip("-")


def predefined_variables(
    state: EmulatorState,
    project: Project,
    ref: str,
    sha: str,
    source: str,
    user: User | None,
    *,
    tag: bool = False,
) -> dict[str, str]:
    """The predefined variables the emulator knows (a subset of GitLab's)."""
    info = gitrepo.commit_info(project.repo, sha)
    full_path = state.project_full_path(project)
    host = state.base_url.split("://", 1)[-1]
    values = {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": source,
        "CI_COMMIT_REF_NAME": ref,
        "CI_COMMIT_REF_SLUG": ref_slug(ref),
        "CI_COMMIT_REF_PROTECTED": "true" if is_protected_ref(project, ref, tag=tag) else "false",
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_SHORT_SHA": sha[:8],
        "CI_COMMIT_MESSAGE": info.message,
        "CI_COMMIT_TITLE": info.message.split("\n", 1)[0],
        "CI_DEFAULT_BRANCH": project.default_branch,
        "CI_PROJECT_ID": str(project.id),
        "CI_PROJECT_NAME": project.path,
        "CI_PROJECT_PATH": full_path,
        "CI_PROJECT_NAMESPACE": full_path.rsplit("/", 1)[0],
        "CI_PROJECT_URL": f"{state.base_url}/{full_path}",
        "CI_SERVER_URL": state.base_url,
        "CI_SERVER_HOST": host.split(":")[0],
        "CI_API_V4_URL": f"{state.base_url}/api/v4",
    }
    if tag:
        found = gittags.find(project.repo, ref)
        values["CI_COMMIT_TAG"] = ref
        values["CI_COMMIT_TAG_MESSAGE"] = found.message if found else ""
    else:
        values["CI_COMMIT_BRANCH"] = ref
    if user is not None:
        values["GITLAB_USER_LOGIN"] = user.username
    return values


def _scope_rank(scope: str, environment: str | None) -> int | None:
    """None when ``scope`` does not apply; otherwise higher = more specific."""
    if scope == "*":
        return 0
    if environment is None:
        return None
    if scope == environment:
        return 2
    return 1 if fnmatch.fnmatchcase(environment, scope) else None


def job_variables(
    state: EmulatorState, project: Project, pipeline: Pipeline, environment: str | None = None
) -> list[Variable]:
    """Variables for a job of ``pipeline`` (deploying to ``environment``), lowest precedence first."""
    user = state.users.get(pipeline.user_id) if pipeline.user_id else None
    result = [
        Variable(key=k, value=v)
        for k, v in predefined_variables(
            state, project, pipeline.ref, pipeline.sha, pipeline.source, user, tag=pipeline.tag
        ).items()
    ]
    result.append(Variable(key="CI_PIPELINE_ID", value=str(pipeline.id)))
    result.append(Variable(key="CI_PIPELINE_IID", value=str(pipeline.iid)))
    protected = is_protected_ref(project, pipeline.ref, tag=pipeline.tag)
    chosen: dict[str, tuple[int, Variable]] = {}
    for variable in project.variables:
        if variable.protected and not protected:
            continue
        rank = _scope_rank(variable.environment_scope, environment)
        if rank is None:
            continue
        if variable.key not in chosen or rank > chosen[variable.key][0]:
            chosen[variable.key] = (rank, variable)
    result.extend(v for _, v in chosen.values())
    result.extend(
        Variable(key=v["key"], value=v["value"], variable_type=v.get("variable_type", "env_var"))
        for v in pipeline.variables
    )
    return result
