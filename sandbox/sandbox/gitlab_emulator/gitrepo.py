"""Bare git repositories on disk, driven through the ``git`` CLI.

Everything the emulator knows about files, commits and branches comes from real git objects, so what the
REST API shows is exactly what ``git clone`` shows. Commits made through the API are built without a work
tree: blobs are written with ``git hash-object -w --stdin-paths`` (binary-safe: bytes go through files, never
through text decoding), a temporary index is filled from the parent tree, edited, turned into a tree and a
commit, and the branch moves with a compare-and-swap ``git update-ref``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

GIT = "git"
EMPTY_SHA = "0" * 40


class GitError(Exception):
    """A git command failed; ``message`` is what GitLab would answer (400 unless stated)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class FileAction:
    """One entry of ``actions`` in ``POST /projects/:id/repository/commits``."""

    action: str  # create | update | delete | move | chmod
    file_path: str
    content: bytes | None = None
    previous_path: str | None = None
    execute_filemode: bool | None = None


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_date: str
    committer_name: str
    committer_email: str
    committed_date: str
    message: str


@dataclass(frozen=True)
class TreeEntry:
    sha: str
    name: str
    type: str  # blob | tree | commit
    path: str
    mode: str


_EMPTY_CONFIG: Path | None = None
_EMPTY_CONFIG_LOCK = threading.Lock()


def empty_config() -> str:
    """An empty file to stand for the global git config (not /dev/null: a process may have replaced it)."""
    global _EMPTY_CONFIG
    with _EMPTY_CONFIG_LOCK:
        if _EMPTY_CONFIG is None or not _EMPTY_CONFIG.is_file() or _EMPTY_CONFIG.stat().st_size:
            path = Path(tempfile.mkdtemp(prefix="glemu-config-")) / "gitconfig"
            path.write_bytes(b"")
            _EMPTY_CONFIG = path
        return str(_EMPTY_CONFIG)


def release_empty_config() -> None:
    """Remove the empty config's temp dir (issue 10.5: nothing of the emulator stays in TMPDIR).

    Called when an emulator stops and at interpreter exit. Another emulator still running in the same
    process is unaffected: `empty_config()` makes a new one on its next git call, and git reads a
    GIT_CONFIG_GLOBAL that has vanished meanwhile as empty (git-config(1), FILES: missing files are
    ignored), which is what the empty file stands for.
    """
    global _EMPTY_CONFIG
    with _EMPTY_CONFIG_LOCK:
        if _EMPTY_CONFIG is not None:
            shutil.rmtree(_EMPTY_CONFIG.parent, ignore_errors=True)
            _EMPTY_CONFIG = None


atexit.register(release_empty_config)


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # A clean, deterministic environment: no user/system config leaks into the emulator's repositories.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update({"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": empty_config(), "LC_ALL": "C"})
    if extra:
        env.update(extra)
    return env


def run_git(
    repo: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> bytes:
    proc = subprocess.run(
        [GIT, "--git-dir", str(repo), *args], input=stdin, capture_output=True, env=_env(env), check=False
    )
    if check and proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed", status=500)
    return proc.stdout


def init_bare(repo: Path, default_branch: str) -> None:
    repo.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [GIT, "init", "--quiet", "--bare", f"--initial-branch={default_branch}", str(repo)],
        capture_output=True,
        env=_env(),
        check=False,
    )
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip(), status=500)
    # Allow pushes through git http-backend (it refuses receive-pack for anonymous users otherwise).
    run_git(repo, "config", "http.receivepack", "true")


def set_head(repo: Path, branch: str) -> None:
    run_git(repo, "symbolic-ref", "HEAD", f"refs/heads/{branch}")


def branches(repo: Path) -> dict[str, str]:
    out = run_git(repo, "for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/heads")
    result: dict[str, str] = {}
    for line in out.decode().splitlines():
        name, sha = line.rsplit(" ", 1)
        result[name] = sha
    return result


def has_branches(repo: Path) -> bool:
    """Whether any branch exists, read from the ref store on disk (no subprocess: project listings call it)."""
    heads = repo / "refs" / "heads"
    if heads.is_dir() and any(p.is_file() for p in heads.rglob("*")):
        return True
    packed = repo / "packed-refs"
    return packed.is_file() and " refs/heads/" in packed.read_text("utf-8", "replace")


def resolve(repo: Path, ref: str) -> str | None:
    """The commit sha of a branch, tag or sha; None when it does not exist."""
    if not ref or ref.startswith("-"):
        return None
    out = run_git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    sha = out.decode().strip()
    return sha or None


def commit_info(repo: Path, sha: str) -> CommitInfo:
    fmt = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B"
    out = run_git(repo, "show", "-s", f"--format={fmt}", sha).decode("utf-8", "replace")
    parts = out.split("\x00", 8)
    return CommitInfo(
        sha=parts[0],
        parents=tuple(parts[1].split()),
        author_name=parts[2],
        author_email=parts[3],
        authored_date=parts[4],
        committer_name=parts[5],
        committer_email=parts[6],
        committed_date=parts[7],
        message=parts[8].rstrip("\n") + "\n" if parts[8].strip() else "",
    )


def log(repo: Path, ref: str, path: str | None = None) -> list[str]:
    """Commit shas reachable from ``ref``, newest first (``git log`` order)."""
    args = ["rev-list", ref]
    if path:
        args += ["--", path]
    return run_git(repo, *args).decode().split()


def ls_tree(repo: Path, ref: str, path: str, recursive: bool) -> list[TreeEntry] | None:
    """Entries under ``path`` at ``ref``; None when ``path`` is not a directory there."""
    target = f"{ref}:{path.strip('/')}" if path.strip("/") else f"{ref}^{{tree}}"
    kind = run_git(repo, "cat-file", "-t", target, check=False).decode().strip()
    if kind != "tree":
        return None
    args = ["ls-tree", "-z", "--full-tree"]
    if recursive:
        args += ["-r", "-t"]
    prefix = path.strip("/")
    out = run_git(repo, *args, target)
    entries = []
    for record in out.decode("utf-8", "replace").split("\x00"):
        if not record:
            continue
        meta, name = record.split("\t", 1)
        mode, typ, sha = meta.split()
        full = f"{prefix}/{name}" if prefix else name
        entries.append(TreeEntry(sha=sha, name=full.rsplit("/", 1)[-1], type=typ, path=full, mode=mode))
    return entries


def blob_at(repo: Path, ref: str, path: str) -> tuple[str, str, bytes] | None:
    """(blob sha, mode, content) of the file ``path`` at ``ref``; None when absent or not a file."""
    out = run_git(repo, "ls-tree", "-z", ref, "--", path, check=False).decode("utf-8", "replace")
    record = out.split("\x00")[0]
    if not record:
        return None
    meta, name = record.split("\t", 1)
    mode, typ, sha = meta.split()
    if typ != "blob" or name != path:
        return None
    return sha, mode, run_git(repo, "cat-file", "blob", sha)


def _index_entries(repo: Path, index_env: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    out = run_git(repo, "ls-files", "-s", "-z", env=index_env).decode("utf-8", "replace")
    entries: dict[str, tuple[str, str]] = {}
    for record in out.split("\x00"):
        if record:
            meta, name = record.split("\t", 1)
            mode, sha, _stage = meta.split()
            entries[name] = (mode, sha)
    return entries


def commit_actions(
    repo: Path,
    *,
    branch: str,
    parent: str | None,
    actions: Sequence[FileAction],
    message: str,
    author: tuple[str, str],
    expected_old: str | None,
) -> str:
    """Create one commit applying ``actions`` on top of ``parent`` and move ``branch`` to it.

    Raises GitError with GitLab's messages for impossible actions, and 400 when the branch moved meanwhile.
    """
    with tempfile.TemporaryDirectory(prefix="glemu-") as tmp:
        index_env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if parent:
            run_git(repo, "read-tree", parent, env=index_env)
        else:
            run_git(repo, "read-tree", "--empty", env=index_env)
        current = _index_entries(repo, index_env)
        dirs = {p.rsplit("/", 1)[0] for p in current if "/" in p}
        # Write every blob in one git call; content goes through files so bytes stay bytes.
        blob_files: list[str] = []
        for i, act in enumerate(actions):
            if act.content is not None:
                blob_path = Path(tmp) / f"blob{i}"
                blob_path.write_bytes(act.content)
                blob_files.append(str(blob_path))
        shas = run_git(
            repo, "hash-object", "-w", "--stdin-paths", stdin="\n".join(blob_files).encode()
        ).split()
        blob_iter = iter(sha.decode() for sha in shas)
        for act in actions:
            path = act.file_path.strip("/")
            sha = next(blob_iter) if act.content is not None else None
            exists = path in current
            if act.action == "create":
                if exists or path in dirs:
                    raise GitError("A file with this name already exists")
                mode = "100755" if act.execute_filemode else "100644"
                current[path] = (mode, sha or _empty_blob(repo))
            elif act.action == "update":
                if not exists:
                    raise GitError("A file with this name doesn't exist")
                mode = current[path][0]
                if act.execute_filemode is not None:
                    mode = "100755" if act.execute_filemode else "100644"
                current[path] = (mode, sha or _empty_blob(repo))
            elif act.action == "delete":
                if not exists:
                    raise GitError("A file with this name doesn't exist")
                del current[path]
            elif act.action == "move":
                prev = (act.previous_path or "").strip("/")
                if prev not in current:
                    raise GitError("A file with this name doesn't exist")
                if exists:
                    raise GitError("A file with this name already exists")
                mode, old_sha = current.pop(prev)
                current[path] = (mode, sha or old_sha)
            elif act.action == "chmod":
                if not exists:
                    raise GitError("A file with this name doesn't exist")
                current[path] = ("100755" if act.execute_filemode else "100644", current[path][1])
            else:
                raise GitError(f"Unknown action '{act.action}'")
        run_git(repo, "read-tree", "--empty", env=index_env)
        index_info = "".join(f"{mode} {sha}\t{path}\0" for path, (mode, sha) in sorted(current.items()))
        run_git(repo, "update-index", "-z", "--index-info", stdin=index_info.encode(), env=index_env)
        tree = run_git(repo, "write-tree", env=index_env).decode().strip()
    name, email = author
    ident = {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
    }
    parent_args = ["-p", parent] if parent else []
    sha = run_git(repo, "commit-tree", tree, *parent_args, stdin=message.encode(), env=ident).decode().strip()
    proc = subprocess.run(
        [GIT, "--git-dir", str(repo), "update-ref", f"refs/heads/{branch}", sha, expected_old or EMPTY_SHA],
        capture_output=True,
        env=_env(),
        check=False,
    )
    if proc.returncode != 0:
        raise GitError("Could not update the branch: it was changed concurrently; retry the commit")
    return sha


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # git's well-known empty tree


def _empty_blob(repo: Path) -> str:
    return run_git(repo, "hash-object", "-w", "--stdin", stdin=b"").decode().strip()
