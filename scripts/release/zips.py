"""Deterministic zip archives: the same files always give the same bytes.

Entries are sorted, carry a fixed timestamp (``SOURCE_DATE_EPOCH`` when set, else 1980-01-01, the
earliest a zip can hold) and normalised permissions (0644, or 0755 for executables), so two builds of
one tree are byte-identical and their sha256 can name a release.
"""

import os
import stat
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Never shipped: caches, virtualenvs, VCS data, build output and local state.
EXCLUDED_DIRS = frozenset(
    {
        "__pycache__",
        ".git",
        ".venv",
        "venv",
        ".venv-tools",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "node_modules",
        ".sandbox",
        ".gitlab-ci-local",
        "dist",
        "htmlcov",
        ".idea",
        ".vscode",
    }
)
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
EXCLUDED_NAMES = frozenset({".coverage", "coverage.xml", ".DS_Store", ".lock"})


def zip_timestamp() -> tuple[int, int, int, int, int, int]:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return ZIP_EPOCH
    try:
        moment = time.gmtime(max(int(epoch), 315532800))  # 1980-01-01: zip cannot go earlier
    except ValueError as error:
        raise ValueError(f"SOURCE_DATE_EPOCH must be an integer number of seconds, got {epoch!r}") from error
    return (moment.tm_year, moment.tm_mon, moment.tm_mday, moment.tm_hour, moment.tm_min, moment.tm_sec & ~1)


def is_excluded(relative: Path) -> bool:
    if any(part in EXCLUDED_DIRS or part.endswith(".egg-info") for part in relative.parts[:-1]):
        return True
    name = relative.name
    return name in EXCLUDED_DIRS or name in EXCLUDED_NAMES or name.endswith(EXCLUDED_SUFFIXES)


def tree_files(base: Path, prefix: str = "") -> Iterator[tuple[str, Path]]:
    """``(archive name, path)`` of every shippable file under ``base``; symlinks to files are followed."""
    for path in base.rglob("*"):
        relative = path.relative_to(base)
        if is_excluded(relative) or not path.is_file():
            continue
        yield (f"{prefix}{relative.as_posix()}", path)


def write_zip(destination: Path, entries: Iterable[tuple[str, Path]]) -> None:
    """Write ``entries`` (archive name → file) to ``destination`` deterministically."""
    ordered = sorted(entries, key=lambda entry: entry[0])
    names = [name for name, _ in ordered]
    if len(names) != len(set(names)):
        duplicates = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"{destination.name}: the same archive path comes from two files: {duplicates}")
    stamp = zip_timestamp()
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w") as archive:
        for name, path in ordered:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so that external_attr carries the permissions below
            mode = 0o755 if path.stat().st_mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
