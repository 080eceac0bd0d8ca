"""Run a Lambda function's deployed code on the host, one fresh process per invocation.

moto stores the function's deployment package (from a ZipFile or from S3, as CloudFormation or CreateFunction
gave it) but can only run it in Docker, which this machine does not have. The sandbox extracts that package
into a temp dir and runs `lambda_bootstrap.py` with the host's Python 3.13 (the python3.13 runtime's
version), so the product's real Lambda code runs unmodified.

Emulated: the handler import from the package root, the event, a context with `get_remaining_time_in_millis`,
`aws_request_id`, `function_name`, `invoked_function_arn`; the function's environment variables; temporary
credentials of the function's execution role (STS AssumeRole in the local AWS); the runtime's reserved
variables (AWS_REGION, AWS_LAMBDA_FUNCTION_NAME, ...); the timeout ("Task timed out after N seconds"); the
error document of an unhandled exception; logs in CloudWatch Logs `/aws/lambda/<name>`.
Added for the sandbox: AWS_ENDPOINT_URL points at the local AWS (as a runner's configuration would), and the
process's network is the sandbox's: HTTPS goes through the emulated network edge (HTTPS_PROXY, SSL_CERT_FILE;
see cfn_response_edge), which routes CloudFormation's response bucket host to the local cloud and refuses every
other outside host; local endpoints (127.0.0.1) are reached directly.
Not emulated: memory limits, layers, reserved concurrency, warm starts (every invocation is a
cold start), the arm64 architecture: compiled extension modules that the package ships for another
architecture are removed so the host's installed (same-version, pinned) builds are imported instead.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import bytecode

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
_HOST_MACHINE = os.uname().machine


@dataclass(frozen=True)
class FunctionSpec:
    """What an invocation needs to know about a deployed function."""

    name: str
    arn: str
    handler: str
    role_arn: str
    timeout_s: int
    memory_mb: int
    environment: dict[str, str]
    code_zip: bytes


@dataclass(frozen=True)
class InvocationResult:
    """The Invoke API's view of one run: payload text, whether it is an error document, and the log tail."""

    payload: str
    errored: bool
    logs: str
    request_id: str


def extract_package(code_zip: bytes, target: Path) -> None:
    """Unzip a deployment package and drop extension modules built for another CPU architecture."""
    with zipfile.ZipFile(io.BytesIO(code_zip)) as archive:
        archive.extractall(target)
    foreign = "aarch64" if _HOST_MACHINE == "x86_64" else "x86_64"
    for so_file in target.rglob(f"*{foreign}*.so"):
        so_file.unlink()


def runtime_environment(
    spec: FunctionSpec,
    *,
    endpoint_url: str,
    region: str,
    credentials: dict[str, str],
    request_id: str,
    deadline_ms: int,
    home: Path,
    network_env: dict[str, str] | None = None,
) -> dict[str, str]:
    """The process environment of one invocation: reserved runtime variables, then the function's own."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(home),
        # Compiled host packages, as the runtime image ships boto3 compiled (see sandbox.bytecode).
        **bytecode.child_env(write=False),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": f"sandbox/{request_id}",
        "_HANDLER": spec.handler,
        "AWS_ENDPOINT_URL": endpoint_url,
        "SANDBOX_LAMBDA_FUNCTION_ARN": spec.arn,
        "SANDBOX_LAMBDA_REQUEST_ID": request_id,
        "SANDBOX_LAMBDA_DEADLINE_MS": str(deadline_ms),
        **(network_env or {}),
        **credentials,
    }
    # The function's variables come last but may not override the reserved ones (Lambda rejects those).
    for key, value in spec.environment.items():
        if key not in env:
            env[key] = str(value)
    return env


def invoke(
    spec: FunctionSpec,
    event: Any,
    *,
    endpoint_url: str,
    region: str,
    credentials: dict[str, str],
    network_env: dict[str, str] | None = None,
) -> InvocationResult:
    """Run one invocation to completion (or timeout) and return what the Invoke API would return."""
    request_id = str(uuid.uuid4())
    with tempfile.TemporaryDirectory(prefix=f"lambda-{spec.name[:20]}-") as tmp:
        task_dir = Path(tmp) / "task"
        home = Path(tmp) / "tmp"
        home.mkdir()
        extract_package(spec.code_zip, task_dir)
        result_file = Path(tmp) / "result.json"
        deadline_ms = int(time.time() * 1000) + spec.timeout_s * 1000
        env = runtime_environment(
            spec,
            endpoint_url=endpoint_url,
            region=region,
            credentials=credentials,
            request_id=request_id,
            deadline_ms=deadline_ms,
            home=home,
            network_env=network_env,
        )
        try:
            completed = subprocess.run(
                [sys.executable, str(BOOTSTRAP), str(task_dir), spec.handler, str(result_file)],
                input=json.dumps(event),
                capture_output=True,
                text=True,
                env=env,
                timeout=spec.timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            logs = _text(exc.stdout) + _text(exc.stderr)
            error = {
                "errorMessage": f"{request_id} Task timed out after {spec.timeout_s:.2f} seconds",
                "errorType": "Sandbox.Timedout",
            }
            return InvocationResult(json.dumps(error), True, logs, request_id)
        logs = completed.stdout + completed.stderr
        if not result_file.exists():
            error = {
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {completed.returncode}",
                "errorType": "Runtime.ExitError",
            }
            return InvocationResult(json.dumps(error), True, logs, request_id)
        document = json.loads(result_file.read_text(encoding="utf-8"))
        payload = document["payload"]
        return InvocationResult(json.dumps(payload), not document["ok"], logs, request_id)


def _text(value: str | bytes | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
