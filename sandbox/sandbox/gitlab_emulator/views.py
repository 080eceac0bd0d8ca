"""JSON representations, shaped like GitLab's API entities (the fields clients read; not every field)."""

from __future__ import annotations

from typing import Any

from . import gitrepo
from .state import EmulatorState, Group, Job, Pipeline, Project, Token, Trigger, User, Variable, iso


def user_json(state: EmulatorState, user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": "active",
        "locked": False,
        "avatar_url": None,
        "web_url": f"{state.base_url}/{user.username}",
        "bot": user.bot,
        "is_admin": user.is_admin,
        "email": user.email,
    }


def token_json(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "revoked": token.revoked,
        "created_at": iso(token.created_at),
        "description": None,
        "scopes": token.scopes,
        "user_id": token.user_id,
        "last_used_at": iso(token.last_used_at),
        "active": not token.revoked,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


def group_json(state: EmulatorState, group: Group, with_projects: bool = False) -> dict[str, Any]:
    full_path = state.group_full_path(group)
    chain = list(reversed(state.group_ancestors(group)))
    result: dict[str, Any] = {
        "id": group.id,
        "name": group.name,
        "path": group.path,
        "description": group.description,
        "visibility": group.visibility,
        "full_name": " / ".join(g.name for g in chain),
        "full_path": full_path,
        "parent_id": group.parent_id,
        "web_url": f"{state.base_url}/groups/{full_path}",
        "avatar_url": None,
        "created_at": iso(group.created_at),
    }
    if with_projects:
        result["projects"] = [
            project_json(state, p) for p in list(state.projects.values()) if p.namespace_id == group.id
        ]
        result["shared_projects"] = []
    return result


def namespace_json(state: EmulatorState, group: Group) -> dict[str, Any]:
    full_path = state.group_full_path(group)
    return {
        "id": group.id,
        "name": group.name,
        "path": group.path,
        "kind": "group",
        "full_path": full_path,
        "parent_id": group.parent_id,
        "avatar_url": None,
        "web_url": f"{state.base_url}/groups/{full_path}",
    }


def project_json(state: EmulatorState, project: Project) -> dict[str, Any]:
    group = state.groups[project.namespace_id]
    full_path = state.project_full_path(project)
    web_url = f"{state.base_url}/{full_path}"
    host = state.base_url.split("://", 1)[-1]
    empty = not gitrepo.has_branches(project.repo)
    marked = project.marked_for_deletion_on.isoformat() if project.marked_for_deletion_on else None
    result: dict[str, Any] = {
        "id": project.id,
        "description": project.description,
        "name": project.name,
        "name_with_namespace": " / ".join(
            [*(g.name for g in reversed(state.group_ancestors(group))), project.name]
        ),
        "path": project.path,
        "path_with_namespace": full_path,
        "created_at": iso(project.created_at),
        "default_branch": None if empty else project.default_branch,
        "tag_list": [],
        "topics": [],
        "ssh_url_to_repo": f"git@{host.split(':')[0]}:{full_path}.git",
        "http_url_to_repo": f"{web_url}.git",
        "web_url": web_url,
        "readme_url": None,
        "avatar_url": None,
        "forks_count": 0,
        "star_count": 0,
        "last_activity_at": iso(project.last_activity_at),
        "namespace": namespace_json(state, group),
        "empty_repo": empty,
        "archived": project.archived,
        "visibility": project.visibility,
        "creator_id": project.creator_id,
        "ci_config_path": project.settings.get("ci_config_path") or None,
        "marked_for_deletion_at": marked,
        "marked_for_deletion_on": marked,
        "_links": {
            "self": f"{state.base_url}/api/v4/projects/{project.id}",
            "repo_branches": f"{state.base_url}/api/v4/projects/{project.id}/repository/branches",
        },
    }
    for key, value in project.settings.items():
        result.setdefault(key, value)
        if key in {"ci_config_path"}:
            result[key] = value or None
    return result


def variable_json(variable: Variable) -> dict[str, Any]:
    return {
        "variable_type": variable.variable_type,
        "key": variable.key,
        # GitLab never returns the value of a hidden variable.
        "value": None if variable.hidden else variable.value,
        "protected": variable.protected,
        "masked": variable.masked,
        "hidden": variable.hidden,
        "raw": variable.raw,
        "environment_scope": variable.environment_scope,
        "description": variable.description,
    }


def trigger_json(state: EmulatorState, trigger: Trigger, viewer: User | None) -> dict[str, Any]:
    owner = state.users.get(trigger.owner_id)
    # GitLab shows the full token to its owner only; others see its first 4 characters.
    visible = viewer is not None and viewer.id == trigger.owner_id
    return {
        "id": trigger.id,
        "description": trigger.description,
        "created_at": iso(trigger.created_at),
        "updated_at": iso(trigger.updated_at),
        "last_used": iso(trigger.last_used),
        "token": trigger.token if visible else trigger.token[:4],
        "owner": user_json(state, owner) if owner else None,
        "expires_at": None,
    }


def commit_json(state: EmulatorState, project: Project, info: gitrepo.CommitInfo) -> dict[str, Any]:
    title = info.message.split("\n", 1)[0]
    return {
        "id": info.sha,
        "short_id": info.sha[:8],
        "created_at": info.committed_date,
        "parent_ids": list(info.parents),
        "title": title,
        "message": info.message,
        "author_name": info.author_name,
        "author_email": info.author_email,
        "authored_date": info.authored_date,
        "committer_name": info.committer_name,
        "committer_email": info.committer_email,
        "committed_date": info.committed_date,
        "trailers": {},
        "extended_trailers": {},
        "web_url": f"{state.base_url}/{state.project_full_path(project)}/-/commit/{info.sha}",
    }


def pipeline_json(state: EmulatorState, pipeline: Pipeline, detailed: bool = True) -> dict[str, Any]:
    project = state.projects[pipeline.project_id]
    result: dict[str, Any] = {
        "id": pipeline.id,
        "iid": pipeline.iid,
        "project_id": pipeline.project_id,
        "sha": pipeline.sha,
        "ref": pipeline.ref,
        "status": pipeline.status,
        "source": pipeline.source,
        "created_at": iso(pipeline.created_at),
        "updated_at": iso(pipeline.updated_at),
        "web_url": f"{state.base_url}/{state.project_full_path(project)}/-/pipelines/{pipeline.id}",
    }
    if detailed:
        user = state.users.get(pipeline.user_id) if pipeline.user_id else None
        duration = None
        if pipeline.started_at and pipeline.finished_at:
            duration = int((pipeline.finished_at - pipeline.started_at).total_seconds())
        result.update(
            {
                "before_sha": pipeline.before_sha,
                "tag": pipeline.tag,
                "yaml_errors": None,
                "user": user_json(state, user) if user else None,
                "started_at": iso(pipeline.started_at),
                "finished_at": iso(pipeline.finished_at),
                "committed_at": None,
                "duration": duration,
                "queued_duration": None,
                "coverage": None,
                "detailed_status": {
                    "group": pipeline.status,
                    "text": pipeline.status,
                    "label": pipeline.status,
                },
            }
        )
    return result


def job_json(state: EmulatorState, job: Job) -> dict[str, Any]:
    pipeline = state.pipelines[job.pipeline_id]
    project = state.projects[job.project_id]
    user = state.users.get(job.user_id) if job.user_id else None
    duration = None
    if job.started_at and job.finished_at:
        duration = (job.finished_at - job.started_at).total_seconds()
    return {
        "id": job.id,
        "name": job.name,
        "stage": job.stage,
        "status": job.status,
        "ref": pipeline.ref,
        "tag": pipeline.tag,
        "allow_failure": job.allow_failure,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "duration": duration,
        "user": user_json(state, user) if user else None,
        "commit": {"id": pipeline.sha, "short_id": pipeline.sha[:8]},
        "pipeline": {
            "id": pipeline.id,
            "project_id": pipeline.project_id,
            "ref": pipeline.ref,
            "sha": pipeline.sha,
            "status": pipeline.status,
        },
        "web_url": f"{state.base_url}/{state.project_full_path(project)}/-/jobs/{job.id}",
        "artifacts": [],
    }
