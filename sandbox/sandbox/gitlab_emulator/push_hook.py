"""The pre-receive hook of every emulated repository: protected tags hold for ``git push`` as for the API.

GitLab runs the same tag access check for a push as for the tags API (``Gitlab::Checks::TagCheck``,
gitlabhq ``lib/gitlab/checks/tag_check.rb``) and refuses the whole push with its message:
- creating a tag that matches a protected tag, below its create access level: "You are not allowed to create
  this tag as it is protected.";
- moving a protected tag: "Protected tags cannot be updated.";
- deleting a protected tag below Maintainer: "You are not allowed to delete protected tags from this
  project. Only a project maintainer or owner can delete a protected tag."

``git http-backend`` runs this hook with the environment ``githttp`` gives it: ``GLEMU_PUSH_POLICY`` (JSON:
the pusher's role and the project's protected tags). A push that reaches the repository any other way has
no policy and is refused, so nothing bypasses the check.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from .models import MAINTAINER
from .protected_refs import level_allows, ref_matches

POLICY_ENV = "GLEMU_PUSH_POLICY"
ZERO = "0" * 40
MESSAGES = {
    "create": "You are not allowed to create this tag as it is protected.",
    "update": "Protected tags cannot be updated.",
    "delete": (
        "You are not allowed to delete protected tags from this project. "
        "Only a project maintainer or owner can delete a protected tag."
    ),
}
_SANDBOX_ROOT = Path(__file__).resolve().parents[2]


def policy(user_level: int, protected_tags: list[tuple[str, int]]) -> str:
    """The ``GLEMU_PUSH_POLICY`` value for a push by a user with role ``user_level``."""
    return json.dumps({"user_level": user_level, "protected_tags": protected_tags})


def refusal(updates: list[tuple[str, str, str]], document: dict[str, Any]) -> str | None:
    """GitLab's message for the first update the policy refuses, or None when the push may go on."""
    user_level = int(document["user_level"])
    rules = [(str(p), int(level)) for p, level in document["protected_tags"]]
    for old, new, ref in updates:
        if not ref.startswith("refs/tags/"):
            continue
        name = ref[len("refs/tags/") :]
        matching = [level for pattern, level in rules if ref_matches(pattern, name)]
        if not matching:
            continue
        if new == ZERO:
            if user_level < MAINTAINER:
                return MESSAGES["delete"]
        elif old != ZERO:
            return MESSAGES["update"]
        elif not any(level_allows(level, user_level) for level in matching):
            return MESSAGES["create"]
    return None


def install(repo: Path) -> None:
    """Write the hook into a bare repository: a shell script (no interpreter path in a shebang, which Linux
    caps at 127 bytes) that runs this module with this interpreter."""
    hook = repo / "hooks" / "pre-receive"
    hook.parent.mkdir(parents=True, exist_ok=True)
    code = (
        f"import sys; sys.path.insert(0, {str(_SANDBOX_ROOT)!r}); "
        "from sandbox.gitlab_emulator.push_hook import main; sys.exit(main())"
    )
    hook.write_text(
        f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -c {shlex.quote(code)}\n", encoding="utf-8"
    )
    hook.chmod(0o700)


def main() -> int:
    raw = os.environ.get(POLICY_ENV)
    if raw is None:
        print(
            "GitLab: pushes reach this repository only through the emulator's HTTP endpoint", file=sys.stderr
        )
        return 1
    updates = []
    for line in sys.stdin.read().splitlines():
        old, new, ref = line.split(" ", 2)
        updates.append((old, new, ref))
    message = refusal(updates, json.loads(raw))
    if message is not None:
        print(f"GitLab: {message}", file=sys.stderr)
        return 1
    return 0
