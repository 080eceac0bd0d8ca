"""The sandbox's Lambda runtime interface: runs ONE invocation of a handler in this fresh process.

Usage: python lambda_bootstrap.py TASK_DIR HANDLER RESULT_FILE < event.json

Like the managed python3.13 runtime: TASK_DIR (the extracted deployment package, Lambda's /var/task) is first on
sys.path, the handler gets the event and a context object, and an exception becomes the runtime's error
document ({"errorMessage", "errorType", "stackTrace"}). This file is run as a script, never imported by the
sandbox: it must depend on nothing but the standard library.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes and method of the managed runtime's context object that handlers use."""

    def __init__(self, deadline_ms: int) -> None:
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ.get("SANDBOX_LAMBDA_FUNCTION_ARN", "")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.aws_request_id = os.environ.get("SANDBOX_LAMBDA_REQUEST_ID", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def main(argv: list[str]) -> int:
    task_dir, handler_spec, result_file = argv[1], argv[2], argv[3]
    sys.path.insert(0, task_dir)
    os.chdir(task_dir)
    deadline_ms = int(os.environ["SANDBOX_LAMBDA_DEADLINE_MS"])
    event = json.loads(sys.stdin.read() or "{}")
    module_name, _, function_name = handler_spec.rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        result: Any = handler(event, LambdaContext(deadline_ms))
        document: dict[str, Any] = {"ok": True, "payload": result}
    except Exception as exc:  # every handler failure becomes Lambda's error document
        document = {
            "ok": False,
            "payload": {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            },
        }
        traceback.print_exc()
    with open(result_file, "w", encoding="utf-8") as fh:
        json.dump(document, fh, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
