"""Client factories: the AWS clients of one invocation, and the authenticated GitLab client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from seeder import names, trigger_secret
from seeder.deadline import Deadline
from seeder.environment import Environment
from seeder.gitlab_ops import GitLabOps, Repo
from seeder.properties import DeletionPolicy
from seeder.retry import RetryingSession
from seeder.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient

    from seeder.run import Run

# Bounded AWS calls, so the deadline guard is a last resort rather than the usual way a stuck call ends.
_AWS_CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"mode": "standard", "max_attempts": 4})


class Aws:
    """The AWS clients of one invocation, created on first use (inside the answer-always guard)."""

    def __init__(self) -> None:
        self._s3: S3Client | None = None
        self._secretsmanager: SecretsManagerClient | None = None
        self._cloudformation: CloudFormationClient | None = None

    @property
    def s3(self) -> S3Client:
        if self._s3 is None:
            self._s3 = boto3.client("s3", config=_AWS_CONFIG)
        return self._s3

    @property
    def secretsmanager(self) -> SecretsManagerClient:
        if self._secretsmanager is None:
            self._secretsmanager = boto3.client("secretsmanager", config=_AWS_CONFIG)
        return self._secretsmanager

    @property
    def cloudformation(self) -> CloudFormationClient:
        if self._cloudformation is None:
            self._cloudformation = boto3.client("cloudformation", config=_AWS_CONFIG)
        return self._cloudformation


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


def project_repos(run: Run, gl: GitLabOps) -> Iterator[tuple[str, str, Repo | None]]:
    """(kind, full path, repo or None) of the project's repos, looked up where the environment names them;
    Update and Delete differ only in what a missing one means."""
    env = run.env
    for kind in names.REPO_KINDS:
        full = names.repo_full_path(env.group_path, env.project_name, env.project_id, kind)
        run.at(f"reading GitLab project {full}")
        yield kind, full, gl.find_repo_or_none(full)
