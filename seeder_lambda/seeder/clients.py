"""Client factories: the AWS clients of one invocation, and the authenticated GitLab client."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from seeder import trigger_secret
from seeder.deadline import Deadline
from seeder.environment import Environment
from seeder.gitlab_ops import GitLabOps
from seeder.properties import DeletionPolicy
from seeder.retry import RetryingSession
from seeder.settings import Settings

# Bounded AWS calls, so the deadline guard is a last resort rather than the usual way a stuck call ends.
_AWS_CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"mode": "standard", "max_attempts": 4})


class Aws:
    """The AWS clients of one invocation, created on first use (inside the answer-always guard)."""

    def __init__(self) -> None:
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(service, config=_AWS_CONFIG)  # type: ignore[call-overload]
        return self._clients[service]

    @property
    def s3(self) -> Any:
        return self._client("s3")

    @property
    def secretsmanager(self) -> Any:
        return self._client("secretsmanager")

    @property
    def cloudformation(self) -> Any:
        return self._client("cloudformation")


def gitlab_client(
    aws: Aws, env: Environment, settings: Settings, deadline: Deadline, policy: DeletionPolicy
) -> GitLabOps:
    """GitLab at the environment's URL with the environment's token: never a URL or secret from the event."""
    token = trigger_secret.read_gitlab_token(aws.secretsmanager, env.token_secret_arn)
    s = settings
    session = RetryingSession(
        deadline, s.gitlab_timeout_seconds, s.retry_base_seconds, s.retry_max_seconds, s.retry_attempts
    )
    # Archiving and deleting a project need Owner; a fix asking for Maintainer would fail again at Delete.
    role = "Maintainer" if policy is DeletionPolicy.RETAIN else "Owner"
    return GitLabOps(env.gitlab_url, token, session, env.token_secret_arn, role)
