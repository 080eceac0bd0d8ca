"""``dist/<version>/manifest.json``: the version and the sha256 and size of every artifact."""

import hashlib
import json
from pathlib import Path
from typing import Any

from release.layout import MANIFEST, PRODUCT_NAME, version_prefix


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_manifest(version: str, directory: Path, artifacts: list[str]) -> dict[str, Any]:
    return {
        "product": PRODUCT_NAME,
        "version": version,
        "s3_prefix": version_prefix(version),
        "artifacts": {
            name: {"sha256": sha256_of(directory / name), "size": (directory / name).stat().st_size}
            for name in sorted(artifacts)
        },
    }


def write_manifest(directory: Path, manifest: dict[str, Any]) -> Path:
    path = directory / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run scripts/package first")
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def verify_manifest(directory: Path, manifest: dict[str, Any]) -> list[str]:
    """Problems found comparing the files in ``directory`` with ``manifest`` (empty when all match)."""
    problems = []
    for name, facts in sorted(manifest["artifacts"].items()):
        path = directory / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256_of(path) != facts["sha256"]:
            problems.append(f"{name} changed since it was packaged")
    return problems
