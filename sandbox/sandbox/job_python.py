"""The runner image's Python for the sandbox's CI jobs (a virtualenv with uv-backed pip, see job_pip.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def job_python_env(workdir: Path) -> Path:
    """The runner image's python3 for CI jobs: the project's Python 3.13 with pip backed by uv.

    A virtualenv layered on the project's `.venv` (its packages are importable, as in an image that ships
    them); jobs that create their own virtualenv and `pip install` pinned requirements get them from uv's
    cache, offline when cached. Nothing is ever installed into the project's `.venv`.
    """
    import sys
    import sysconfig

    uv = shutil.which("uv")
    if uv is None:
        raise RuntimeError("uv is not on PATH: run scripts/bootstrap first")
    target = workdir / "ci-python"
    if not (target / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
        purelib = sysconfig.get_paths()["purelib"]
        site = next((target / "lib").glob("python3*/site-packages"))
        (site / "_sandbox_base.pth").write_text(purelib + "\n", encoding="utf-8")
        package = site / "pip"
        package.mkdir()
        # sandbox/job_pip.py is the shim (a real module, checked by ruff and mypy); uv's path beside it.
        (package / "__init__.py").write_text(
            '"""pip for the sandbox\'s CI jobs, backed by uv (see __main__)."""\n__version__ = "25.0"\n',
            encoding="utf-8",
        )
        shutil.copyfile(Path(__file__).with_name("job_pip.py"), package / "__main__.py")
        (package / "uv_path").write_text(uv + "\n", encoding="utf-8")
        for name in ("pip", "pip3"):
            script = target / "bin" / name
            script.write_text(f'#!/bin/sh\nexec "{target}/bin/python" -m pip "$@"\n', encoding="utf-8")
            script.chmod(0o755)
    return target
