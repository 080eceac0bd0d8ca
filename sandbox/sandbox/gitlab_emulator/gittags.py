"""Tags in the bare repositories, driven through the ``git`` CLI (the git side of the tags API).

A tag with a message is an annotated tag object (``git tag -a``), one without is lightweight, as GitLab's
``Repository#add_tag`` does (https://docs.gitlab.com/api/tags/#create-a-new-tag: "Specifying a message
creates an annotated tag"). Tag names are checked with ``git check-ref-format`` like GitLab's
``Gitlab::GitRefValidator``.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .gitrepo import EMPTY_SHA, GIT, GitError, run_git


@dataclass(frozen=True)
class TagInfo:
    name: str
    target: str  # the tag object's sha (annotated) or the commit's (lightweight), as GitLab's `target`
    commit: str
    message: str  # "" for a lightweight tag
    created_at: str | None  # the tagger date of an annotated tag; GitLab reports null for lightweight ones


def valid_name(name: str) -> bool:
    """Gitlab::GitRefValidator.validate: a valid ref name that cannot be mistaken for a sha or option."""
    if not name or name.startswith(("-", "refs/")) or name == "HEAD":
        return False
    proc = subprocess.run([GIT, "check-ref-format", f"refs/tags/{name}"], capture_output=True, check=False)
    return proc.returncode == 0


def tags(repo: Path) -> list[TagInfo]:
    """Every tag, newest commit first (GitLab's default order: ``updated`` descending)."""
    fmt = "%(refname:strip=2)%00%(objectname)%00%(*objectname)%00%(objecttype)%00%(taggerdate:iso-strict)%00%(contents)%01"
    out = run_git(repo, "for-each-ref", "--sort=-creatordate", f"--format={fmt}", "refs/tags")
    result = []
    for record in out.decode("utf-8", "replace").split("\x01"):
        record = record.lstrip("\n")
        if not record:
            continue
        name, obj, peeled, kind, tagger_date, contents = record.split("\x00", 5)
        annotated = kind == "tag"
        result.append(
            TagInfo(
                name=name,
                target=obj,
                commit=peeled if annotated else obj,
                message=contents.strip() if annotated else "",
                created_at=(tagger_date or None) if annotated else None,
            )
        )
    return result


def find(repo: Path, name: str) -> TagInfo | None:
    return next((t for t in tags(repo) if t.name == name), None)


def create(repo: Path, name: str, sha: str, message: str, tagger: tuple[str, str]) -> None:
    """Create ``refs/tags/<name>`` at commit ``sha`` (annotated when ``message``); GitError if it exists."""
    target = sha
    if message:
        tag_object = (
            f"object {sha}\ntype commit\ntag {name}\n"
            f"tagger {tagger[0]} <{tagger[1]}> {int(time.time())} +0000\n\n{message.strip()}\n"
        )
        target = run_git(repo, "mktag", stdin=tag_object.encode()).decode().strip()
    # Compare-and-swap against "no such ref" (all zeros): the second of two concurrent creates fails.
    try:
        run_git(repo, "update-ref", f"refs/tags/{name}", target, EMPTY_SHA)
    except GitError as exc:
        raise GitError(f"Tag {name} already exists") from exc


def delete(repo: Path, name: str) -> None:
    run_git(repo, "update-ref", "-d", f"refs/tags/{name}")
