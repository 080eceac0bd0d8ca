"""Build a release into ``dist/<version>/``: Lambda zips, seed repo zips, rendered templates, manifest.

Usage: ``scripts/package [--version V] [--dist DIR]``. Two runs on the same tree give byte-identical files.
"""

import argparse
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from release.lambda_build import BuildError, build_lambda_zip
from release.layout import (
    LAMBDAS,
    PLATFORM_TEMPLATE,
    ROOT,
    SEED_REPOS,
    TEMPLATE,
    project_version,
    validate_version,
    version_prefix,
)
from release.manifest import build_manifest, write_manifest
from release.render import RenderError, render_file
from release.zips import tree_files, write_zip


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/package",
        description=(
            "Build the product into DIST/VERSION/: seeder_lambda.zip and trigger_lambda.zip (handler + pinned "
            "dependencies for python3.13 arm64), seed_build_repo.zip and seed_deploy_repo.zip, template.yaml "
            "and platform.yaml with this version's code location as defaults, and manifest.json (sha256 of "
            "each artifact). Reproducible: two runs on the same tree give byte-identical files "
            "(SOURCE_DATE_EPOCH sets the zip timestamps; default 1980-01-01)."
        ),
    )
    parser.add_argument(
        "--version",
        help="version to build (default: [project].version of pyproject.toml); names dist/VERSION and the "
        "S3 prefix sagemaker-gitlab/VERSION",
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output directory (default: dist/)")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="source tree to package (default: this checkout)"
    )
    return parser.parse_args(argv)


def build(root: Path, dist: Path, version: str, log: Callable[[str], None] = print) -> Path:
    """Build every artifact of ``version`` into ``dist/<version>`` and return that directory."""
    validate_version(version)
    output = dist / version
    if output.exists():
        shutil.rmtree(output)  # no stale artifact of an earlier build may survive into the manifest
    output.mkdir(parents=True)
    artifacts: list[str] = []
    for source in LAMBDAS:
        started = time.monotonic()
        build_lambda_zip(root, source, output / source.artifact)
        artifacts.append(source.artifact)
        log(f"  {source.artifact:<22} {_size(output / source.artifact)}  ({time.monotonic() - started:.1f}s)")
    for artifact, folder in SEED_REPOS:
        repo = root / folder
        if not repo.is_dir():
            raise BuildError(f"{folder}/ is missing")
        write_zip(output / artifact, tree_files(repo))
        artifacts.append(artifact)
        log(f"  {artifact:<22} {_size(output / artifact)}")
    render_file(root / "product" / TEMPLATE, output / TEMPLATE, {"ArtifactsPrefix": version_prefix(version)})
    render_file(root / "product" / PLATFORM_TEMPLATE, output / PLATFORM_TEMPLATE, {"ProductVersion": version})
    artifacts += [TEMPLATE, PLATFORM_TEMPLATE]
    log(f"  {TEMPLATE:<22} {_size(output / TEMPLATE)}")
    log(f"  {PLATFORM_TEMPLATE:<22} {_size(output / PLATFORM_TEMPLATE)}")
    write_manifest(output, build_manifest(version, output, artifacts))
    return output


def _size(path: Path) -> str:
    return f"{path.stat().st_size / 1024:>9.1f} KiB"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        version = validate_version(args.version or project_version(args.root))
        print(f"Packaging {version} into {args.dist / version}")
        output = build(args.root, args.dist, version)
    except (BuildError, RenderError, ValueError, OSError) as error:
        print(f"package: error: {error}", file=sys.stderr)
        return 1
    print(f"Done: {output}/manifest.json. Next: scripts/publish --help")
    return 0


if __name__ == "__main__":
    sys.exit(main())
