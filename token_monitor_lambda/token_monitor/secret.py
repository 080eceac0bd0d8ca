"""The GitLab token from Secrets Manager, in the seeder's format: plain text or JSON ``{"token": "..."}``."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError


class MonitorError(RuntimeError):
    """A failure the platform team must act on; the message says what to fix (never contains the token)."""


def token_from(value: str | None) -> str:
    """The token in a secret's ``SecretString``; "" when absent or malformed."""
    if not value:
        return ""
    text = value.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            return ""
        token = parsed.get("token") if isinstance(parsed, dict) else None
        return token.strip() if isinstance(token, str) else ""
    return text


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
        raise MonitorError(
            f'GitLab token secret {secret_arn} is empty; store the token as plain text or JSON {{"token": "..."}}'
        )
    return token
