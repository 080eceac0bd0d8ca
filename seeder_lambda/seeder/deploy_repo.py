"""Settings of the deploy repo that production safety depends on (contracts C1 and C2, issue 10.7).

* ``ci_pipeline_variables_minimum_override_role = maintainer`` (edit-project API,
  https://docs.gitlab.com/api/projects/#edit-a-project): GitLab.com gives new projects ``no_one_allowed``
  since 17.7, which refuses the approval trigger's pipeline (it carries variables; gitlab issues 502382,
  515794, 557381). The trigger token belongs to the seeder's token user (Owner/Maintainer), so
  ``maintainer`` lets the trigger through and keeps Developers from overriding variables.
* Protected tag ``prod-*``, creatable by Maintainers only (protected tags API,
  https://docs.gitlab.com/api/protected_tags/#protect-repository-tags): the prod role trusts only ID
  tokens of ``prod-*`` tag pipelines, so only Maintainers can promote to production.
* Resource groups in ``oldest_first`` process mode (resource groups API,
  https://docs.gitlab.com/api/resource_groups/#edit-an-existing-resource-group): deployments run in the
  order their pipelines were created. GitLab creates a resource group only when it creates a pipeline with
  a job using it and offers no way to create one beforehand (https://gitlab.com/gitlab-org/gitlab/-/issues/372872;
  https://docs.gitlab.com/ci/resource_groups/#process-modes). The deploy seed commit starts no pipeline,
  so a new repo has none: Create cannot set them, every Update (and a retried Create) sets those that exist.
"""

from __future__ import annotations

import logging
from typing import Any

import gitlab

from seeder import logs
from seeder.errors import SeederError
from seeder.gitlab_ops import GitLabOps, Repo

PIPELINE_VARIABLES_ROLE = "maintainer"
PROD_TAG_PATTERN = "prod-*"
MAINTAINER_ACCESS = 40
# GitLab access levels that are at least as strict as Maintainer: 0 No one, 40 Maintainer, 60 Admin.
_STRICT_LEVELS = frozenset({0, 40, 60})
# The resource_group keys of seed_deploy_repo/.gitlab-ci.yml (tests/test_contracts.py keeps them equal).
RESOURCE_GROUPS = ("staging", "production")
PROCESS_MODE = "oldest_first"


def restrict_pipeline_variables(gl: GitLabOps, repo: Repo) -> None:
    """Only Maintainers (and the trigger token's owner) may set pipeline variables."""
    setting = "ci_pipeline_variables_minimum_override_role"
    with gl.call(f"set {setting} of {repo.full_path}"):
        try:
            reply = gl.gl.projects.update(repo.id, {setting: PIPELINE_VARIABLES_ROLE})
        except gitlab.exceptions.GitlabUpdateError as exc:
            # Projects::UpdateService: only an Owner may change the setting away from no_one_allowed
            # (GitLab.com's default) or owner; GitLab answers 400 "Changing the ... is not allowed".
            if exc.response_code == 400 and "not allowed" in str(exc.error_message):
                raise SeederError(
                    f"the GitLab token needs the Owner role to set {setting} of {repo.full_path} to "
                    f"{PIPELINE_VARIABLES_ROLE} (GitLab.com's default for new projects, no_one_allowed, "
                    "refuses the approval trigger and only an Owner may change it); store a group access "
                    f"token with the Owner role in secret {gl.token_secret_arn}"
                ) from None
            raise
    echoed = reply.get(setting) if isinstance(reply, dict) else None
    if echoed is None:
        # GitLab before 17.1 has no such setting: its older default lets Developers set variables.
        logs.log("setting.unsupported", level=logging.WARNING, path=repo.full_path, setting=setting)
    elif echoed != PIPELINE_VARIABLES_ROLE:
        raise SeederError(
            f"GitLab kept {setting}={echoed} on {repo.full_path} although the seeder asked for "
            f"{PIPELINE_VARIABLES_ROLE}; the approval trigger would be refused: check the group's settings"
        )
    else:
        logs.log("setting.applied", path=repo.full_path, setting=setting, value=echoed)


def _is_strict(protected: Any) -> bool:
    levels = protected.attributes.get("create_access_levels") or []
    return bool(levels) and all(
        level.get("access_level") in _STRICT_LEVELS
        and not (level.get("user_id") or level.get("group_id") or level.get("deploy_key_id"))
        for level in levels
    )


def _existing(manager: Any) -> Any:
    try:
        return manager.get(PROD_TAG_PATTERN)
    except gitlab.exceptions.GitlabGetError:
        return None


def protect_prod_tags(gl: GitLabOps, repo: Repo, fresh: bool) -> None:
    """Protect ``prod-*`` for Maintainers; keep a protection people made stricter (or looser, with a warning)."""
    manager = gl.gl.projects.get(repo.id, lazy=True).protectedtags
    doing = f"protect tags {PROD_TAG_PATTERN} of {repo.full_path}"
    if not fresh:
        try:
            with gl.call(doing):
                existing = manager.get(PROD_TAG_PATTERN)
        except SeederError:
            existing = None  # 404 (not protected yet) and other errors: creating says which it is
        if existing is not None:
            if not _is_strict(existing):
                logs.log(
                    "tags.protection_weaker",
                    level=logging.WARNING,
                    path=repo.full_path,
                    pattern=PROD_TAG_PATTERN,
                    why="someone allowed more than Maintainers to create prod-* tags; kept as they set it",
                )
            return
    with gl.call(doing):
        try:
            manager.create({"name": PROD_TAG_PATTERN, "create_access_level": MAINTAINER_ACCESS})
        except gitlab.exceptions.GitlabCreateError as exc:
            # A retried POST whose first attempt had landed: GitLab answers 422 {"message": ["Name has
            # already been taken"]} (lib/api/protected_tags.rb). Done if the protection is there.
            if exc.response_code != 422 or _existing(manager) is None:
                raise
    logs.log("tags.protected", path=repo.full_path, pattern=PROD_TAG_PATTERN, create=MAINTAINER_ACCESS)


def order_resource_groups(gl: GitLabOps, repo: Repo) -> list[str]:
    """Put the deploy resource groups that exist in ``oldest_first`` mode; returns those still to come."""
    manager = gl.gl.projects.get(repo.id, lazy=True).resource_groups
    pending = []
    for key in RESOURCE_GROUPS:
        with gl.call(f"set the process mode of resource group {key} of {repo.full_path}"):
            try:
                manager.update(key, {"process_mode": PROCESS_MODE})
            except gitlab.exceptions.GitlabUpdateError as exc:
                if exc.response_code != 404:
                    raise
                pending.append(key)
                continue
        logs.log("resource_group.ordered", path=repo.full_path, key=key, process_mode=PROCESS_MODE)
    if pending:
        logs.log(
            "resource_group.pending",
            path=repo.full_path,
            keys=pending,
            why="GitLab creates a resource group with the first pipeline using it; the next stack update sets it",
        )
    return pending
