"""The emulator's records: users, tokens, groups, CI/CD variables, triggers, pipelines, jobs and projects.

Plain dataclasses with no behaviour beyond their own fields, so that ``runner.py`` (the pipeline hook) and
``state.py`` (the store) both depend on this module and not on each other. Role levels as GitLab's
``Gitlab::Access`` (https://docs.gitlab.com/api/members/#roles).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50
ADMIN_ACCESS = 60
PIPELINE_STATUSES = frozenset(
    {
        "created",
        "waiting_for_resource",
        "preparing",
        "pending",
        "running",
        "success",
        "failed",
        "canceled",
        "skipped",
        "manual",
        "scheduled",
    }
)
FINISHED = frozenset({"success", "failed", "canceled", "skipped"})


def now() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime | None) -> str | None:
    """GitLab's timestamp format: ``2026-11-23T03:00:52.123Z``."""
    if ts is None:
        return None
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


@dataclass
class User:
    id: int
    username: str
    name: str
    email: str
    is_admin: bool = False
    bot: bool = False


@dataclass
class Token:
    """A personal, group or project access token (GitLab treats them alike on the API)."""

    id: int
    name: str
    value: str
    user_id: int
    scopes: list[str]
    expires_at: date | None
    created_at: datetime
    revoked: bool = False
    last_used_at: datetime | None = None

    def expired(self, today: date) -> bool:
        # GitLab: a token expires at 00:00 UTC on its expires_at date.
        return self.expires_at is not None and today >= self.expires_at


@dataclass
class Group:
    id: int
    name: str
    path: str
    parent_id: int | None
    description: str
    visibility: str
    created_at: datetime
    members: dict[int, int] = field(default_factory=dict)  # user id -> access level


@dataclass
class Variable:
    key: str
    value: str
    variable_type: str = "env_var"
    protected: bool = False
    masked: bool = False
    hidden: bool = False
    raw: bool = False
    environment_scope: str = "*"
    description: str | None = None


@dataclass
class Trigger:
    id: int
    token: str
    description: str
    owner_id: int
    created_at: datetime
    updated_at: datetime
    last_used: datetime | None = None


@dataclass
class ProtectedTag:
    """A protected tag name or wildcard (``prod-*``) and the role needed to create matching tags.

    ``create_access_level`` as GitLab's ``ProtectedRefAccess``: 0 no one, 30 Developers + Maintainers,
    40 Maintainers, 60 administrators (https://docs.gitlab.com/api/protected_tags/#valid-access-levels).
    """

    id: int
    name: str
    create_access_level: int
    access_id: int


@dataclass
class Job:
    id: int
    pipeline_id: int
    project_id: int
    name: str
    stage: str
    status: str
    when: str
    allow_failure: bool
    created_at: datetime
    user_id: int | None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    trace: bytearray = field(default_factory=bytearray)


@dataclass
class Pipeline:
    id: int
    iid: int
    project_id: int
    ref: str
    sha: str
    before_sha: str
    source: str  # push | api | trigger | web
    status: str
    variables: list[dict[str, str]]
    user_id: int | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    job_ids: list[int] = field(default_factory=list)
    # A pipeline for a tag (``ref`` is the tag name): GitLab's ``Ci::Pipeline#tag``.
    tag: bool = False


@dataclass
class Project:
    id: int
    name: str
    path: str
    namespace_id: int
    description: str
    visibility: str
    default_branch: str
    created_at: datetime
    repo: Path
    creator_id: int
    archived: bool = False
    marked_for_deletion_on: date | None = None
    last_activity_at: datetime | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    variables: list[Variable] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    # key -> resource_groups.ResourceGroup, made by the first pipeline using the key (Any: no import cycle)
    resource_groups: dict[str, Any] = field(default_factory=dict)
    pipeline_iid: int = 0
    # Branches protected besides the default one (GitLab protects the default branch out of the box).
    protected_branches: set[str] = field(default_factory=set)
    protected_tags: list[ProtectedTag] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
