"""pip for the sandbox's CI jobs, backed by uv (the runner image's package installer).

Copied by ``job_python.job_python_env`` as ``pip/__main__.py`` into the jobs' interpreter, next to a
``uv_path`` file naming the uv binary, so it must import nothing of the sandbox. Installs with uv's cache
(offline when the pinned wheels are cached, else from the index), into the interpreter given by --python
or into this one. Only the subcommands CI scripts use are provided.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SUPPORTED = ("install", "uninstall", "freeze", "list", "show")
DROP = {"--no-input", "--disable-pip-version-check", "--no-cache-dir", "--upgrade-strategy=only-if-needed"}


def uv_command() -> str:
    return Path(__file__).with_name("uv_path").read_text(encoding="utf-8").strip()


def main(argv: list[str]) -> int:
    python = sys.executable
    args = list(argv)
    while args and args[0].startswith("--python"):
        python = args[0].split("=", 1)[1] if "=" in args[0] else args[1]
        args = args[1:] if "=" in args[0] else args[2:]
    if not args or args[0] not in SUPPORTED:
        print("sandbox pip supports: " + ", ".join(SUPPORTED), file=sys.stderr)
        return 2
    command = [uv_command(), "pip", args[0], "--python", python] + [a for a in args[1:] if a not in DROP]
    if args[0] == "uninstall":
        command = [a for a in command if a not in ("-y", "--yes")]
    if args[0] == "install":
        offline = subprocess.run([*command, "--offline"], env=os.environ, capture_output=True, text=True)
        if offline.returncode == 0:
            sys.stdout.write(offline.stdout)
            sys.stderr.write(offline.stderr)
            return 0
    return subprocess.run(command, env=os.environ).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
