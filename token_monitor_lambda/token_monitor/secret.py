"""The GitLab token from Secrets Manager, parsed by ``contracts.gitlab_token_secret`` (the seeder's parser too)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from contracts.gitlab_token_secret import EXPECTED_FORMAT, token_from


class MonitorError(RuntimeError):
    """A failure the platform team must act on; the message says what to fix (never contains the token)."""


def read_token(sm: Any, secret_arn: str) -> str:
    try:
        value = sm.get_secret_value(SecretId=secret_arn).get("SecretString")
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        raise MonitorError(
            f"cannot read the GitLab token secret {secret_arn}: {code} "
            "(check that the secret exists and that the monitor's role may read it)"
        ) from None
    token = token_from(value)
    if not token:
        raise MonitorError(f"GitLab token secret {secret_arn} is empty; store the token as {EXPECTED_FORMAT}")
    return token
