"""Lambda entry point ``trigger.handler.lambda_handler``: thin wiring of the pure parts to AWS and GitLab.

Outcome of one invocation:
* a deploy pipeline was created (``approved`` or ``rollback``), or
* the "no Approved model left" notification was published, or
* the event was dropped / needed no action (logged, returned; never retried), or
* an exception: GitLab, SageMaker, SNS or Secrets Manager failed, or the function is misconfigured.
  Raising makes Lambda retry the asynchronous invocation; exhausted events land in the DLQ (alarmed).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
import gitlab

from contracts import jsonlog
from trigger.config import Settings, load_settings
from trigger.decisions import CheckRegistry, Deploy, NoAction, NoApprovedLeft, decide, decide_deploy
from trigger.dedupe import SeenEvents
from trigger.events import Drop, PackageStateChange, parse_event
from trigger.gitlab_trigger import (
    GitLabAccessError,
    PipelineRef,
    TriggerSecret,
    make_client,
    parse_trigger_secret,
    trigger_pipeline,
)
from trigger.notify import publish_no_approved_left
from trigger.registry import newest_approved_package

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient

logger = logging.getLogger("trigger")
jsonlog.setup(logger)
# botocore logs whole response bodies at DEBUG, and GetSecretValue's body holds the trigger token. Capping
# botocore at INFO means that turning the function's log level to DEBUG can never print the token.
logging.getLogger("botocore").setLevel(logging.INFO)


@dataclass
class Runtime:
    """What a warm container keeps between invocations: settings, clients, the secret, seen event ids.

    AWS clients are created on first use: a dropped or no-action event pays for none of them, and only a
    withdrawal with nothing left to roll back to needs SNS.
    """

    settings: Settings
    seen: SeenEvents = field(default_factory=SeenEvents)
    _secret: TriggerSecret | None = None
    _gitlab: dict[str, gitlab.Gitlab] = field(default_factory=dict)

    @classmethod
    def from_environment(cls) -> Runtime:
        return cls(settings=load_settings())

    @cached_property
    def secretsmanager(self) -> SecretsManagerClient:
        return boto3.client("secretsmanager")

    @cached_property
    def sagemaker(self) -> SageMakerClient:
        return boto3.client("sagemaker")

    @cached_property
    def sns(self) -> SNSClient:
        return boto3.client("sns")

    def trigger_secret(self, refresh: bool = False) -> TriggerSecret:
        if self._secret is None or refresh:
            name = self.settings.trigger_secret_name
            text = self.secretsmanager.get_secret_value(SecretId=name)["SecretString"]
            self._secret = parse_trigger_secret(name, text)
        return self._secret

    def gitlab_client(self, url: str) -> gitlab.Gitlab:
        # One client per URL and container: its HTTP session keeps the connection alive across events.
        if url not in self._gitlab:
            self._gitlab[url] = make_client(url)
        return self._gitlab[url]


_runtime: Runtime | None = None


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_environment()
    return handle(event, _runtime)


def handle(event: Any, runtime: Runtime) -> dict[str, Any]:
    parsed = parse_event(event, runtime.settings.model_package_group_name)
    if isinstance(parsed, Drop):
        # WARNING: the rule should only deliver our group's state changes; anything else is worth a look.
        jsonlog.log(logger, "event.dropped", level=logging.WARNING, reason=parsed.reason, retried=False)
        return {"action": "dropped", "reason": parsed.reason}
    change = parsed
    if change.event_id in runtime.seen:
        jsonlog.log(
            logger, "event.duplicate", event_id=change.event_id, note="already handled by this container"
        )
        return {"action": "duplicate", "event_id": change.event_id}
    jsonlog.log(
        logger,
        "event.received",
        event_id=change.event_id,
        group=change.group_name,
        version=change.version,
        status=change.status.value,
        updated_fields=None if change.updated_fields is None else list(change.updated_fields),
    )
    first = decide(change)
    decision: Deploy | NoApprovedLeft | NoAction
    if isinstance(first, CheckRegistry):
        newest = newest_approved_package(runtime.sagemaker, change.group_name, exclude_arn=change.package_arn)
        decision = decide_deploy(change, newest)
    else:
        decision = first
    result = _act(decision, change, runtime)
    runtime.seen.remember(change.event_id)
    return result


def _act(
    decision: Deploy | NoApprovedLeft | NoAction, change: PackageStateChange, runtime: Runtime
) -> dict[str, Any]:
    if isinstance(decision, NoAction):
        jsonlog.log(logger, "decision.none", event_id=change.event_id, reason=decision.reason)
        return {"action": "none", "reason": decision.reason}
    if isinstance(decision, NoApprovedLeft):
        jsonlog.log(
            logger,
            "decision.no_approved_left",
            level=logging.ERROR,
            event_id=change.event_id,
            package_arn=change.package_arn,
            version=change.version,
            status=change.status.value,
            group=change.group_name,
            note="no Approved package remains: nothing deployed; notifying the project's topic",
            topic_arn=runtime.settings.notification_topic_arn,
        )
        message_id = publish_no_approved_left(runtime.sns, runtime.settings.notification_topic_arn, change)
        return {"action": "notified", "message_id": message_id}
    pipeline = _start_pipeline(decision, runtime)
    jsonlog.log(
        logger,
        "pipeline.triggered",
        event_id=change.event_id,
        pipeline_id=pipeline.id,
        web_url=pipeline.web_url,
        package_arn=decision.package_arn,
        version=decision.version,
        reason=decision.reason.value,
    )
    return {
        "action": "deploy",
        "reason": decision.reason.value,
        "pipeline_id": pipeline.id,
        "variables": decision.pipeline_variables(),
    }


def _start_pipeline(deploy: Deploy, runtime: Runtime) -> PipelineRef:
    secret = runtime.trigger_secret()
    variables = deploy.pipeline_variables()
    try:
        return trigger_pipeline(runtime.gitlab_client(secret.gitlab_url), secret, variables)
    except GitLabAccessError:
        # The seeder rotates the token (and may recreate the project) on a stack Update; this container
        # may hold the old secret. Read it once more; retry only if it changed, otherwise re-raise.
        fresh = runtime.trigger_secret(refresh=True)
        if fresh == secret:
            raise
        jsonlog.log(
            logger,
            "secret.refreshed",
            level=logging.WARNING,
            note="trigger secret changed: retrying once with it",
        )
        return trigger_pipeline(runtime.gitlab_client(fresh.gitlab_url), fresh, variables)
