"""Seed data shared by the pytest fixtures and the command line: an admin, a group and its access token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .state import OWNER, EmulatorState, Group, Token, User


@dataclass(frozen=True)
class Seed:
    admin: User
    admin_token: Token  # instance administrator, scope api
    group: Group
    group_token: Token  # group access token (bot user, Owner of `group`), scope api


def seed(
    state: EmulatorState, group_path: str = "ml/team", *, access_level: int = OWNER, days_valid: int = 30
) -> Seed:
    """An admin with a token and ``group_path`` (ancestors included) with a group access token.

    The group token has the Owner role because archiving and deleting projects need it on GitLab; tests that
    want Maintainer create their own with ``state.create_group_access_token``.
    """
    expires = state.today() + timedelta(days=days_valid)
    admin = state.create_user("root", name="Administrator", is_admin=True)
    admin_token = state.create_token(admin, name="admin", scopes=["api"], expires_at=expires)
    group = state.create_group_path(group_path)
    group_token = state.create_group_access_token(
        group, name="sagemaker-seeder", access_level=access_level, scopes=["api"], expires_at=expires
    )
    return Seed(admin, admin_token, group, group_token)
