"""Which refs are protected, and who may create a protected tag: the rules the API, git pushes and CI share.

Sources:
- wildcards: GitLab's ``RefMatcher`` (app/models/concerns/protected_ref.rb, lib/gitlab/.../ref_matcher.rb):
  a name with ``*`` matches when each ``*`` stands for any characters (``\\A...\\z``), else names match
  exactly (https://docs.gitlab.com/user/project/protected_tags/#wildcard-protected-tags);
- who may create: ``Gitlab::UserAccess#can_create_tag?`` — when protected tags match the name, any of their
  create access levels that the user satisfies allows it (``ProtectedRefAccess#check_access``: 0 "No one"
  allows nobody, 60 administrators only, otherwise the user's role must be at least the level); an
  unprotected name needs the ``admin_tag`` ability (Developer);
- protected refs for CI: the default branch, the project's protected branches and every tag matching a
  protected tag (``CI_COMMIT_REF_PROTECTED``, https://docs.gitlab.com/ci/variables/predefined_variables/).
"""

from __future__ import annotations

import re

from .models import ADMIN_ACCESS, DEVELOPER, Project, ProtectedTag

NO_ACCESS = 0
PROTECTED_TAG_LEVELS = {
    NO_ACCESS: "No one",
    DEVELOPER: "Developers + Maintainers",
    40: "Maintainers",
    ADMIN_ACCESS: "Administrators",
}


def ref_matches(pattern: str, name: str) -> bool:
    if "*" not in pattern:
        return pattern == name
    regex = "".join(".*?" if part == "*" else re.escape(part) for part in re.split(r"(\*)", pattern))
    return re.fullmatch(regex, name) is not None


def matching_protected_tags(project: Project, name: str) -> list[ProtectedTag]:
    return [p for p in project.protected_tags if ref_matches(p.name, name)]


def is_protected_tag(project: Project, name: str) -> bool:
    return bool(matching_protected_tags(project, name))


def is_protected_ref(project: Project, ref: str, *, tag: bool = False) -> bool:
    if tag:
        return is_protected_tag(project, ref)
    return ref == project.default_branch or ref in project.protected_branches


def may_create_tag(project: Project, name: str, user_level: int) -> bool:
    """Whether a user with role ``user_level`` (ADMIN_ACCESS for administrators) may create tag ``name``."""
    rules = matching_protected_tags(project, name)
    if not rules:
        return user_level >= DEVELOPER
    return any(level_allows(rule.create_access_level, user_level) for rule in rules)


def level_allows(level: int, user_level: int) -> bool:
    if level == NO_ACCESS:
        return False
    if level == ADMIN_ACCESS:
        return user_level >= ADMIN_ACCESS
    return user_level >= level
