"""The emulator's state: users, tokens, groups, projects, CI/CD variables, triggers, pipelines and jobs.

Held in memory (one ``EmulatorState`` per server) behind one re-entrant lock; only git repositories live on
disk, one bare repository per project under ``<data_dir>/repos/<project id>.git`` so renames never move
files. Seed data (users, tokens, groups, memberships) is created through the Python methods here: GitLab's
admin HTTP API is not emulated.

The records themselves are in ``models.py`` (shared with ``runner.py`` without an import cycle).

Pipelines and jobs (creation and the state machine a ``PipelineRunner`` drives: ``add_job``,
``update_job``, ``append_trace``, ``update_pipeline``, ``get_pipeline``, ``get_job``) are in
``pipeline_records.py``, which ``EmulatorState`` inherits.

Not emulated: project-level memberships, personal namespaces, forks, push rules for protected
branches (any Developer may push any branch; protection only decides which pipelines see protected
variables, see ``civars.py``), persistence of this state across restarts.
"""

from __future__ import annotations

import secrets
import shutil
import threading
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

from . import gitrepo, push_hook
from .errors import ApiError, invalid, not_found
from .models import (
    ADMIN_ACCESS,
    DEVELOPER,
    FINISHED,
    GUEST,
    MAINTAINER,
    OWNER,
    PIPELINE_STATUSES,
    REPORTER,
    Group,
    Job,
    Pipeline,
    Project,
    ProtectedTag,
    Token,
    Trigger,
    User,
    Variable,
    iso,
    now,
)
from .pipeline_records import PipelineRecords
from .pipeline_variables import SELF_MANAGED, SETTING, default_role
from .runner import PipelineRunner, RecordingRunner

# The records moved to models.py; importing them from here stays supported.
__all__ = [
    "ADMIN_ACCESS",
    "DEVELOPER",
    "FINISHED",
    "GUEST",
    "MAINTAINER",
    "OWNER",
    "PIPELINE_STATUSES",
    "REPORTER",
    "EmulatorState",
    "Group",
    "Job",
    "Pipeline",
    "Project",
    "ProtectedTag",
    "Token",
    "Trigger",
    "User",
    "Variable",
    "iso",
    "now",
]


class EmulatorState(PipelineRecords):
    """All emulator data; thread-safe through ``self.lock``."""

    def __init__(
        self, data_dir: Path, runner: PipelineRunner | None = None, *, flavor: str = SELF_MANAGED
    ) -> None:
        # "gitlab.com" or "self-managed": the defaults GitLab gives new projects (pipeline_variables.py).
        self.flavor = flavor
        default_role(flavor)  # refuse an unknown flavor now, not at the first project
        self.data_dir = Path(data_dir)
        (self.data_dir / "repos").mkdir(parents=True, exist_ok=True)
        self.runner: PipelineRunner = runner or RecordingRunner()
        # "immediate": DELETE removes the project at once (GitLab without delayed deletion).
        # "delayed": GitLab >= 18 default: DELETE marks for deletion, archives and renames to
        # "<path>-deletion_scheduled-<id>"; DELETE ?permanently_remove=true&full_path=... then removes it.
        self.deletion = "immediate"
        self.lock = threading.RLock()
        self.base_url = "http://127.0.0.1"  # set by the server once the port is known
        self.today: Callable[[], date] = lambda: now().date()
        self.users: dict[int, User] = {}
        self.tokens: dict[int, Token] = {}
        self.groups: dict[int, Group] = {}
        self.projects: dict[int, Project] = {}
        self.pipelines: dict[int, Pipeline] = {}
        self.jobs: dict[int, Job] = {}
        self._ids: dict[str, int] = {}

    def next_id(self, kind: str) -> int:
        with self.lock:
            self._ids[kind] = self._ids.get(kind, 0) + 1
            return self._ids[kind]

    # ---- seed data (Python admin API) -------------------------------------------------------------
    def create_user(
        self, username: str, *, name: str = "", is_admin: bool = False, bot: bool = False
    ) -> User:
        with self.lock:
            if any(u.username == username for u in self.users.values()):
                raise ValueError(f"user {username!r} exists")
            user = User(
                self.next_id("user"), username, name or username, f"{username}@example.com", is_admin, bot
            )
            self.users[user.id] = user
            return user

    def create_token(
        self,
        user: User,
        *,
        name: str = "token",
        scopes: Iterable[str] = ("api",),
        expires_at: date | None = None,
        value: str | None = None,
    ) -> Token:
        with self.lock:
            token = Token(
                id=self.next_id("token"),
                name=name,
                value=value or "glpat-" + secrets.token_urlsafe(15),
                user_id=user.id,
                scopes=list(scopes),
                expires_at=expires_at,
                created_at=now(),
            )
            self.tokens[token.id] = token
            return token

    def create_group(
        self,
        path: str,
        *,
        name: str | None = None,
        parent: Group | None = None,
        description: str = "",
        visibility: str = "private",
    ) -> Group:
        with self.lock:
            parent_id = parent.id if parent else None
            if any(g.parent_id == parent_id and g.path.lower() == path.lower() for g in self.groups.values()):
                raise ValueError(f"group {path!r} exists")
            group = Group(
                self.next_id("namespace"), name or path, path, parent_id, description, visibility, now()
            )
            self.groups[group.id] = group
            return group

    def create_group_path(self, full_path: str) -> Group:
        """Create ``a/b/c`` (and missing ancestors); return the deepest group."""
        parent: Group | None = None
        for part in full_path.split("/"):
            existing = self.find_group(part if parent is None else f"{self.group_full_path(parent)}/{part}")
            parent = existing or self.create_group(part, parent=parent)
        assert parent is not None
        return parent

    def add_member(self, group: Group, user: User, access_level: int) -> None:
        with self.lock:
            group.members[user.id] = access_level

    def create_group_access_token(
        self,
        group: Group,
        *,
        name: str = "seeder",
        access_level: int = MAINTAINER,
        scopes: Iterable[str] = ("api",),
        expires_at: date | None = None,
    ) -> Token:
        """A group access token: a bot user that is a member of ``group`` at ``access_level``."""
        with self.lock:
            bot = self.create_user(f"group_{group.id}_bot_{secrets.token_hex(4)}", name=name, bot=True)
            self.add_member(group, bot, access_level)
            return self.create_token(bot, name=name, scopes=scopes, expires_at=expires_at)

    def revoke_token(self, token: Token) -> None:
        with self.lock:
            token.revoked = True

    # ---- lookups -------------------------------------------------------------------------------------
    def token_by_value(self, value: str) -> Token | None:
        with self.lock:
            for token in self.tokens.values():
                if secrets.compare_digest(token.value, value):
                    return token
            return None

    def group_full_path(self, group: Group) -> str:
        parts = [group.path]
        parent_id = group.parent_id
        while parent_id is not None:
            parent = self.groups[parent_id]
            parts.append(parent.path)
            parent_id = parent.parent_id
        return "/".join(reversed(parts))

    def group_ancestors(self, group: Group) -> list[Group]:
        """``group`` and its ancestors, nearest first."""
        chain = [group]
        while chain[-1].parent_id is not None:
            chain.append(self.groups[chain[-1].parent_id])
        return chain

    def find_group(self, ref: str) -> Group | None:
        return self._find(self.groups, self.group_full_path, ref)

    def project_full_path(self, project: Project) -> str:
        return f"{self.group_full_path(self.groups[project.namespace_id])}/{project.path}"

    def find_project(self, ref: str) -> Project | None:
        return self._find(self.projects, self.project_full_path, ref)

    def _find[R: (Group, Project)](
        self, records: dict[int, R], full_path: Callable[[R], str], ref: str
    ) -> R | None:
        """A group or project by id or by full path, case-insensitively, as GitLab's ``:id`` accepts either."""
        with self.lock:
            if ref.isdigit():
                return records.get(int(ref))
            return next((r for r in records.values() if full_path(r).lower() == ref.lower()), None)

    def access_level(self, user: User, group: Group) -> int:
        if user.is_admin:
            return ADMIN_ACCESS
        return max((g.members.get(user.id, 0) for g in self.group_ancestors(group)), default=0)

    def group_descendants(self, group: Group) -> list[Group]:
        result = [group]
        for candidate in list(self.groups.values()):
            if candidate.id != group.id and group in self.group_ancestors(candidate):
                result.append(candidate)
        return result

    # ---- projects ------------------------------------------------------------------------------------
    def create_project(
        self,
        *,
        name: str,
        path: str,
        namespace: Group,
        creator: User,
        description: str = "",
        visibility: str = "private",
        default_branch: str = "main",
        settings: dict[str, Any] | None = None,
    ) -> Project:
        with self.lock:
            errors: dict[str, list[str]] = {}
            siblings = [p for p in self.projects.values() if p.namespace_id == namespace.id]
            if any(p.name.lower() == name.lower() for p in siblings):
                errors["name"] = ["has already been taken"]
            if any(p.path.lower() == path.lower() for p in siblings) or any(
                g.parent_id == namespace.id and g.path.lower() == path.lower() for g in self.groups.values()
            ):
                errors["path"] = ["has already been taken"]
            if errors:
                raise invalid(errors)
            project_id = self.next_id("project")
            project = Project(
                id=project_id,
                name=name,
                path=path,
                namespace_id=namespace.id,
                description=description,
                visibility=visibility,
                default_branch=default_branch,
                created_at=now(),
                repo=self.data_dir / "repos" / f"{project_id}.git",
                creator_id=creator.id,
                settings={SETTING: default_role(self.flavor), **(settings or {})},
            )
            project.last_activity_at = project.created_at
            gitrepo.init_bare(project.repo, default_branch)
            push_hook.install(project.repo)
            self.projects[project.id] = project
            return project

    def mark_for_deletion(self, project: Project) -> None:
        with self.lock:
            project.marked_for_deletion_on = self.today()
            project.archived = True
            project.path = f"{project.path}-deletion_scheduled-{project.id}"
            project.name = f"{project.name}-deletion_scheduled-{project.id}"

    def delete_project(self, project: Project) -> None:
        with self.lock:
            self.projects.pop(project.id, None)
            for pipeline in [p for p in self.pipelines.values() if p.project_id == project.id]:
                del self.pipelines[pipeline.id]
                for job_id in pipeline.job_ids:
                    self.jobs.pop(job_id, None)
        shutil.rmtree(project.repo, ignore_errors=True)

    # ---- variables -----------------------------------------------------------------------------------
    def find_variable(self, project: Project, key: str, scope: str | None) -> Variable:
        matches = [
            v for v in project.variables if v.key == key and (scope is None or v.environment_scope == scope)
        ]
        if not matches:
            raise not_found("Variable")
        if len(matches) > 1:
            # GitLab: several variables share the key; the caller must say which environment scope.
            raise ApiError(
                409,
                {
                    "message": "There are multiple variables with provided parameters. "
                    "Please use 'filter[environment_scope]'"
                },
            )
        return matches[0]
