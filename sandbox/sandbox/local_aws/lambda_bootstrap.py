"""The sandbox's Lambda runtime interface: runs ONE invocation of a handler in this fresh process.

Usage: python lambda_bootstrap.py TASK_DIR HANDLER RESULT_FILE < event.json

Like the managed python3.13 runtime: TASK_DIR (the extracted deployment package, Lambda's /var/task) is first on
sys.path, the handler gets the event and a context object, and an exception becomes the runtime's error
document ({"errorMessage", "errorType", "stackTrace"}), and the root logger has the runtime's handler, so a
function's `logging` records reach its log group as on AWS (format and level rules of awslambdaric's
`_setup_logging`, aws/aws-lambda-python-runtime-interface-client awslambdaric/bootstrap.py: text format
`[LEVEL]\t<UTC time>Z\t<request id>\t<message>`, root level from AWS_LAMBDA_LOG_LEVEL, else Python's WARNING).
Not emulated: AWS_LAMBDA_LOG_FORMAT=JSON. This file is run as a script, never imported by the sandbox: it must
depend on nothing but the standard library.
"""

from __future__ import annotations

import importlib
import json
import logging
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


class _RequestId(logging.Filter):
    """The runtime's LambdaLoggerFilter: every record carries the invocation's request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = os.environ.get("SANDBOX_LAMBDA_REQUEST_ID", "")
        return True


def setup_logging() -> None:
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
        )
    )
    handler.addFilter(_RequestId())
    root = logging.getLogger()
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "")
    if level in logging.getLevelNamesMapping():
        root.setLevel(level)
    root.addHandler(handler)


def main(argv: list[str]) -> int:
    task_dir, handler_spec, result_file = argv[1], argv[2], argv[3]
    setup_logging()
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
