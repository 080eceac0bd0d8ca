"""Pipeline start: the one service the REST layer and git smart HTTP both call to create pipelines.

GitLab starts a ``push`` pipeline for a commit made through the API or pushed over git alike
(https://docs.gitlab.com/ci/pipelines/#types-of-pipelines), once ``workflow:rules`` allow it
(https://docs.gitlab.com/ci/yaml/workflow/). Creating a tag (API or push) starts a ``push`` pipeline for the
tag, whose rules see ``CI_COMMIT_TAG`` and no ``CI_COMMIT_BRANCH``
(https://docs.gitlab.com/ci/pipelines/#types-of-pipelines, "tag pipelines";
https://docs.gitlab.com/ci/variables/predefined_variables/). Kept out of the REST modules (``api_*.py``) so
that ``githttp.py`` does not import the REST routes.
"""

from __future__ import annotations

from . import gitrepo, workflow
from .civars import predefined_variables
from .protected_refs import is_protected_ref
from .state import EmulatorState, Pipeline, Project, User


def ci_config_path(project: Project) -> str:
    return str(project.settings.get("ci_config_path") or ".gitlab-ci.yml")


def workflow_allows(
    state: EmulatorState,
    project: Project,
    ref: str,
    sha: str,
    source: str,
    variables: list[dict[str, str]],
    user: User | None,
    *,
    tag: bool = False,
) -> bool:
    """Whether ``sha``'s CI config at ``ref`` creates a pipeline for ``source``: it exists, and its
    ``workflow:rules`` (evaluated with the variables a new pipeline would see) allow it."""
    blob = gitrepo.blob_at(project.repo, sha, ci_config_path(project))
    if blob is None:
        return False
    protected = is_protected_ref(project, ref, tag=tag)
    scope = {
        v.key: v.value
        for v in project.variables
        if v.environment_scope == "*" and (protected or not v.protected)
    }
    scope.update({v["key"]: v["value"] for v in variables})
    scope.update(predefined_variables(state, project, ref, sha, source, user, tag=tag))
    entries = gitrepo.ls_tree(project.repo, sha, "", recursive=True) or []
    files = [e.path for e in entries if e.type == "blob"]
    return workflow.creates_pipeline(blob[2], scope, workflow.glob_exists(files))


def start_push_pipeline(
    state: EmulatorState,
    project: Project,
    user: User | None,
    ref: str,
    sha: str,
    before: str | None = None,
    *,
    tag: bool = False,
) -> Pipeline | None:
    """A commit or push to a branch, or a new tag (``tag``), starts a ``push`` pipeline, as on GitLab: only when
    the commit has a CI config whose ``workflow:rules`` allow it; ``[skip ci]`` in the commit message records a
    ``skipped`` pipeline. A new ref (any tag) has ``before_sha`` all zeros."""
    if not workflow_allows(state, project, ref, sha, "push", [], user, tag=tag):
        return None
    return state.create_pipeline(
        project,
        ref=ref,
        sha=sha,
        source="push",
        variables=[],
        user=user,
        before_sha=before or gitrepo.EMPTY_SHA,
        skipped=workflow.skip_ci(gitrepo.commit_info(project.repo, sha).message),
        tag=tag,
    )
