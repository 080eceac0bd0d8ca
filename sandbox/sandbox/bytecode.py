"""A bytecode cache for the host interpreter's processes, kept outside every source tree.

Why: the project's `.venv` may hold no `.pyc` files at all (uv does not compile at install time, and an
environment with `PYTHONDONTWRITEBYTECODE=1` never writes them), so every fresh process the sandbox starts, a
Lambda invocation or a pipeline step, compiled pandas, scikit-learn, xgboost and boto3 from source again:
about 3 s per processing step and 0.3 s per Lambda invocation on a 2-core machine. The real images ship those
packages compiled (pip compiles at install). Python's `PYTHONPYCACHEPREFIX` keeps `.pyc` files in a separate
tree, so nothing is written next to any source (what `PYTHONDONTWRITEBYTECODE` protects), and later
processes and later runs read them.

The directory is `$SANDBOX_PYCACHE_DIR`, else `$PYTHONPYCACHEPREFIX` when the user set one, else
`.sandbox/pycache` in the repository; `SANDBOX_PYCACHE_DIR=off` disables it (processes then run as before,
without writing bytecode). CI jobs are not affected: their runner environment is built separately.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / ".sandbox" / "pycache"
DISABLED = "off"


def cache_dir(environ: dict[str, str] | None = None) -> Path | None:
    """Where bytecode goes, or None when the user turned the cache off."""
    env = os.environ if environ is None else environ
    configured = env.get("SANDBOX_PYCACHE_DIR", "").strip()
    if configured == DISABLED:
        return None
    if configured:
        return Path(configured).expanduser().resolve()
    if env.get("PYTHONPYCACHEPREFIX"):
        return Path(env["PYTHONPYCACHEPREFIX"]).expanduser().resolve()
    return DEFAULT_DIR


def child_env(environ: dict[str, str] | None = None, *, write: bool = True) -> dict[str, str]:
    """Variables for a child Python process: the shared cache, or no bytecode written when it is off.

    `write=False` (Lambda invocations): read what the cache holds for the host's packages, write nothing, so
    the function's own code, extracted to a new temp dir each time, is compiled at each cold start as in
    Lambda and leaves no bytecode behind.
    """
    directory = cache_dir(environ)
    if directory is None:
        return {"PYTHONDONTWRITEBYTECODE": "1"}
    if not write:
        return {"PYTHONPYCACHEPREFIX": str(directory), "PYTHONDONTWRITEBYTECODE": "1"}
    return {"PYTHONPYCACHEPREFIX": str(directory)}


def enable() -> Path | None:
    """Use the cache in this process and in every child that inherits its environment."""
    directory = cache_dir()
    if directory is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["PYTHONPYCACHEPREFIX"] = str(directory)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # Both are read at each import, so modules imported from now on use the cache.
    sys.pycache_prefix = str(directory)
    sys.dont_write_bytecode = False
    return directory
