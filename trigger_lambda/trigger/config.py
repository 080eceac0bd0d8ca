"""The Lambda's settings, read from its environment (names fixed by the README contract)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

ENV_SECRET_NAME = "TRIGGER_SECRET_NAME"  # noqa: S105 - a variable name, not a secret
ENV_GROUP_NAME = "MODEL_PACKAGE_GROUP_NAME"
ENV_TOPIC_ARN = "NOTIFICATION_TOPIC_ARN"

# Seconds for connecting to GitLab and for reading its answer. Well under the Lambda timeout so that
# a hung GitLab becomes an exception (and an asynchronous retry), never a silent Lambda timeout.
GITLAB_TIMEOUT_SECONDS = 10.0


class ConfigError(RuntimeError):
    """The function is deployed wrongly; raised so the event is retried and lands in the DLQ."""


@dataclass(frozen=True)
class Settings:
    trigger_secret_name: str
    model_package_group_name: str
    notification_topic_arn: str


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    missing = [name for name in (ENV_SECRET_NAME, ENV_GROUP_NAME, ENV_TOPIC_ARN) if not env.get(name)]
    if missing:
        raise ConfigError(
            f"trigger Lambda environment lacks {', '.join(missing)}: the project stack sets these; "  # noqa: S608 - not SQL
            "update the project stack (or set them on the function) and redrive the DLQ"
        )
    return Settings(
        trigger_secret_name=env[ENV_SECRET_NAME],
        model_package_group_name=env[ENV_GROUP_NAME],
        notification_topic_arn=env[ENV_TOPIC_ARN],
    )
