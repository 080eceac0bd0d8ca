"""Run the emulator as a process: ``python -m sandbox.gitlab_emulator --port 0 --data-dir DIR``.

Prints the URL and tokens (this is a local sandbox: the tokens are its only credentials and exist only in
this process's memory), then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

from .pipeline_variables import GITLAB_COM, SELF_MANAGED
from .seed import seed
from .server import GitLabEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.gitlab_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0 = any free port)")
    parser.add_argument(
        "--data-dir", type=Path, help="where the bare git repositories go (default: a temp dir)"
    )
    parser.add_argument("--group", default="ml/team", help="group to create, with parents (default ml/team)")
    parser.add_argument(
        "--flavor",
        choices=(GITLAB_COM, SELF_MANAGED),
        default=SELF_MANAGED,
        help="whose defaults new projects get (ci_pipeline_variables_minimum_override_role; default self-managed)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of text")
    args = parser.parse_args(argv)

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="gitlab-emulator-"))
    emulator = GitLabEmulator(data_dir, host=args.host, port=args.port, flavor=args.flavor)
    seeded = seed(emulator.state, args.group)
    info = {
        "url": emulator.url,
        "api_url": emulator.api_url,
        "admin_token": seeded.admin_token.value,
        "group": args.group,
        "group_id": seeded.group.id,
        "group_token": seeded.group_token.value,
        "data_dir": str(data_dir),
    }
    if args.json:
        print(json.dumps(info), flush=True)
    else:
        for key, value in info.items():
            print(f"{key}: {value}", flush=True)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        if args.data_dir is None:  # a temp dir this process made: nothing of it stays behind (10.5)
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
