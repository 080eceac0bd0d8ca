"""Lambda zips: the handler package plus its pinned dependencies, built for python3.13 on arm64.

Dependencies are installed with uv from the function's ``requirements.txt`` as manylinux2014 aarch64
wheels only (``--only-binary :all:``), without byte-compiling (``--no-compile``: .pyc files embed
timestamps and are rebuilt by the runtime anyway). Console scripts (``bin/``) are dropped, with their
RECORD lines, because their shebang names the build machine's interpreter.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from release.layout import SHARED_PACKAGES, LambdaSource
from release.zips import tree_files, write_zip

PYTHON_PLATFORM = "aarch64-manylinux2014"
PYTHON_VERSION = "3.13"


class BuildError(RuntimeError):
    """A build step failed; the message says what to fix."""


def uv_executable() -> str:
    uv = shutil.which("uv")
    if uv is None:
        raise BuildError("uv is not on PATH: run scripts/bootstrap (it installs the pinned uv) and retry")
    return uv


def install_command(requirements: Path, target: Path) -> list[str]:
    return [
        uv_executable(),
        "pip",
        "install",
        "--quiet",
        "--no-config",
        "--target",
        str(target),
        "--python",
        sys.executable,
        "--python-platform",
        PYTHON_PLATFORM,
        "--python-version",
        PYTHON_VERSION,
        "--only-binary",
        ":all:",
        "--no-compile",
        "--requirement",
        str(requirements),
    ]


def install_dependencies(requirements: Path, target: Path) -> None:
    result = subprocess.run(
        install_command(requirements, target), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BuildError(
            f"installing {requirements} for {PYTHON_PLATFORM} / Python {PYTHON_VERSION} failed "
            f"(every dependency needs a wheel for that platform, or a pure-Python wheel):\n{result.stderr.strip()}"
        )
    scripts = target / "bin"
    if scripts.is_dir():
        shutil.rmtree(scripts)
    for record in sorted(target.glob("*.dist-info/RECORD")):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith("bin/")), encoding="utf-8")


def build_lambda_zip(root: Path, source: LambdaSource, destination: Path) -> None:
    """Build ``destination`` from ``root/<folder>/<package>``, the shared packages (``SHARED_PACKAGES``)
    and ``root/<folder>/requirements.txt``."""
    folder = root / source.folder
    package = folder / source.package
    requirements = folder / "requirements.txt"
    handler_module = package / (source.handler.split(".")[1] + ".py")
    if not handler_module.is_file():
        raise BuildError(
            f"{handler_module.relative_to(root)} is missing: the handler {source.handler} lives there"
        )
    if not requirements.is_file():
        raise BuildError(
            f"{requirements.relative_to(root)} is missing: list the function's runtime dependencies there "
            "with exact pins (it may be empty if there are none)"
        )
    with tempfile.TemporaryDirectory(prefix=f"{source.folder}-") as staging:
        target = Path(staging)
        install_dependencies(requirements, target)
        ours = [(package, source.package)] + [
            (root / folder / name, name) for folder, name in SHARED_PACKAGES
        ]
        for _, name in ours:
            if (target / name).exists():
                raise BuildError(f"a dependency in {requirements} installs a top-level '{name}' package")
        entries = list(tree_files(target))
        for path, name in ours:
            entries.extend(tree_files(path, prefix=f"{name}/"))
        write_zip(destination, entries)
