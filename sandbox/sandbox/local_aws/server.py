"""The local AWS: moto's server on 127.0.0.1 (a free port) with the sandbox's extensions installed.

    with LocalAws() as aws:
        boto3.client("s3", endpoint_url=aws.endpoint_url, ...)

The server runs in this process (moto's ThreadedMotoServer), so the extensions can hook moto's backends.
Leaving the block stops the server, waits for background work (async invocations, pipeline executions) and
restores every patched moto method.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sandbox.local_aws import (
    aws_errors,
    cfn_custom_resources,
    cfn_endpoint_updates,
    cfn_fixes,
    cfn_parameters,
    cfn_resources,
    cfn_updates,
    cloudwatch_alarms,
    data_capture,
    endpoint_metrics,
    endpoint_rollout,
    eventbridge_targets,
    iam_cfn,
    iam_enforcement,
    lambda_hooks,
    model_registry_events,
    monitoring_schedules,
    pipeline_hooks,
    runtime_endpoints,
    s3_policies,
    sagemaker_code_repositories,
    serverless_config,
    sts_web_identity,
)
from sandbox.local_aws.patching import Patches
from sandbox.local_aws.state import SANDBOX_CREDENTIALS, LocalAwsState

__all__ = ["REGION", "SANDBOX_CREDENTIALS", "LocalAws"]

REGION = "us-east-1"


class LocalAws:
    """moto server + extensions; a context manager that leaves nothing running."""

    def __init__(self, region: str = REGION, iam_mode: str = "audit") -> None:
        self.region = region
        self.iam_mode = iam_mode
        self._server: Any = None
        self._patches = Patches()
        self.state: LocalAwsState | None = None

    @property
    def endpoint_url(self) -> str:
        assert self.state is not None, "LocalAws is not started"
        return self.state.endpoint_url

    @property
    def iam_log(self) -> Any:
        """The IAM call log (iam_enforcement.CallLog) of the running local AWS."""
        assert self.state is not None, "LocalAws is not started"
        return self.state.iam

    def client_env(self) -> dict[str, str]:
        """Environment that points AWS CLI / boto3 / SageMaker SDK at this local AWS."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            **SANDBOX_CREDENTIALS,
        }

    def client(
        self, service: str, credentials: dict[str, str] | None = None, region: str | None = None
    ) -> Any:
        """A boto3 client of the local AWS: the admin's, or a role session's (STS `Credentials`)."""
        import boto3

        keys = credentials or {
            "AccessKeyId": SANDBOX_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            "SecretAccessKey": SANDBOX_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        }
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            region_name=region or self.region,
            aws_access_key_id=keys["AccessKeyId"],
            aws_secret_access_key=keys["SecretAccessKey"],
            aws_session_token=keys.get("SessionToken"),
        )

    def start(self) -> Self:
        import logging

        import requests

        # werkzeug logs every request at INFO; the sandbox's own output is its timeline.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.state = LocalAwsState(
            endpoint_url=f"http://{host}:{port}", region=self.region, iam_mode=self.iam_mode
        )
        # moto's backends are process-global: start from an empty cloud.
        requests.post(f"{self.state.endpoint_url}/moto-api/reset", timeout=30).raise_for_status()
        for extension in (
            aws_errors,
            lambda_hooks,
            cfn_custom_resources,
            eventbridge_targets,
            model_registry_events,
            pipeline_hooks,
            runtime_endpoints,
            endpoint_metrics,
            data_capture,
            cloudwatch_alarms,
            endpoint_rollout,
            s3_policies,
            sagemaker_code_repositories,
            monitoring_schedules,
            cfn_fixes,
            cfn_parameters,
            cfn_resources,
            cfn_updates,
            cfn_endpoint_updates,
            serverless_config,
            sts_web_identity,
            iam_enforcement,
            iam_cfn,
        ):
            extension.install(self._patches, self.state)
        return self

    def stop(self) -> None:
        if self.state is not None:
            self.state.stopping.set()
            self.state.drain(timeout_s=60)
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._patches.restore()
        if self.state is not None:
            for cleanup in self.state.cleanups:
                cleanup()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
