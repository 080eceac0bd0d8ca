"""Extension: moto's Lambda runs the function's deployed code (see lambda_runtime) instead of Docker.

Hooks `LambdaFunction._invoke_lambda`, the single place through which moto's Invoke API, CloudFormation custom
resources and other moto integrations run a function, so they all get real execution. Each run is recorded in
`LocalAwsState.invocations` and its output is written to CloudWatch Logs `/aws/lambda/<name>` like Lambda does.
Not emulated: InvocationType=Event through the Invoke API still runs synchronously before moto answers 202.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sandbox.local_aws import lambda_runtime
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import Invocation, LocalAwsState


def role_credentials(account_id: str, region: str, role_arn: str, session: str) -> dict[str, str]:
    """Temporary credentials of the execution role, issued by the local STS (as Lambda does)."""
    from moto.sts.models import sts_backends

    backend = sts_backends[account_id]["aws"]
    assumed = backend.assume_role(
        region_name=region,
        role_session_name=session[:64],
        role_arn=role_arn,
        policy="",
        duration=3600,
        external_id="",
    )
    return {
        "AWS_ACCESS_KEY_ID": assumed.access_key_id,
        "AWS_SECRET_ACCESS_KEY": assumed.secret_access_key,
        "AWS_SESSION_TOKEN": assumed.session_token,
    }


def spec_of(fn: Any) -> lambda_runtime.FunctionSpec:
    """Read what an invocation needs from moto's LambdaFunction."""
    return lambda_runtime.FunctionSpec(
        name=fn.function_name,
        arn=fn.function_arn,
        handler=fn.handler,
        role_arn=fn.role,
        timeout_s=int(fn.timeout),
        memory_mb=int(fn.memory_size),
        environment={k: str(v) for k, v in (fn.environment_vars or {}).items()},
        code_zip=fn.code_bytes,
    )


def run(state: LocalAwsState, fn: Any, event: Any, source: str) -> lambda_runtime.InvocationResult:
    """Invoke a moto LambdaFunction's code once and record it."""
    if isinstance(event, str | bytes):
        event = json.loads(event or "{}")
    spec = spec_of(fn)
    credentials = role_credentials(fn.account_id, fn.region, spec.role_arn, spec.name)
    started = time.monotonic()
    result = lambda_runtime.invoke(
        spec,
        event,
        endpoint_url=state.endpoint_url,
        region=fn.region,
        credentials=credentials,
        network_env=state.lambda_network_env,
    )
    state.record(
        Invocation(
            function_name=spec.name,
            source=source,
            request_id=result.request_id,
            errored=result.errored,
            payload=result.payload,
            logs=result.logs,
            duration_s=time.monotonic() - started,
        )
    )
    _write_logs(fn, result)
    return result


def _write_logs(fn: Any, result: lambda_runtime.InvocationResult) -> None:
    from moto.logs.models import logs_backends

    backend = logs_backends[fn.account_id][fn.region]
    group = f"/aws/lambda/{fn.function_name}"
    stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{result.request_id.replace('-', '')}"
    backend.ensure_log_group(group)
    backend.create_log_stream(group, stream)
    now = int(time.time() * 1000)
    lines = [f"START RequestId: {result.request_id} Version: $LATEST"]
    lines += result.logs.splitlines()
    lines += [f"END RequestId: {result.request_id}"]
    backend.put_log_events(group, stream, [{"timestamp": now, "message": line} for line in lines])


def install(patches: Patches, state: LocalAwsState) -> None:
    from moto.awslambda.models import LambdaFunction

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        result = run(state, self, event if event is not None else {}, source="invoke")
        return result.payload, result.errored, result.logs

    patches.set(LambdaFunction, "_invoke_lambda", _invoke_lambda)
