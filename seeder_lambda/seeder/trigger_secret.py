"""Secrets Manager: read the platform's GitLab API token; write and delete the per-project trigger secret.

The trigger secret's schema is :mod:`contracts.trigger_secret` (the trigger Lambda parses it with the same code).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from contracts.gitlab_token_secret import EXPECTED_FORMAT, token_from
from contracts.trigger_secret import SecretFormatError, TriggerSecret, parse
from seeder import logs, redact
from seeder.errors import SeederError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_secretsmanager.type_defs import TagTypeDef

# Loggers that print API request/response bodies at DEBUG (botocore logs GetSecretValue's SecretString).
_WIRE_LOGGERS = ("botocore", "urllib3", "boto3")


@contextmanager
def _quiet_wire_logs() -> Iterator[None]:
    """Silence wire-level DEBUG logs while a secret we cannot yet redact (not read yet) is on the wire."""
    saved = {name: logging.getLogger(name).level for name in _WIRE_LOGGERS}
    for name in _WIRE_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def read_gitlab_token(sm: SecretsManagerClient, secret_arn: str) -> str:
    """The GitLab API token (format: :mod:`contracts.gitlab_token_secret`). Registered for redaction."""
    try:
        with _quiet_wire_logs():
            value = sm.get_secret_value(SecretId=secret_arn).get("SecretString")
    except ClientError as exc:
        code = _code(exc)
        if code == "ResourceNotFoundException":
            raise SeederError(
                f"GitLab token secret {secret_arn} not found; check the platform stack"
            ) from None
        if code in ("AccessDeniedException", "AccessDenied"):
            raise SeederError(f"the seeder role cannot read the GitLab token secret {secret_arn}") from None
        raise SeederError(f"cannot read the GitLab token secret {secret_arn}: {code}") from None
    if value and value.strip():
        redact.register(value.strip())  # the whole value until parsed: a malformed JSON secret may hold it
    token = token_from(value)
    if not token:
        raise SeederError(f"GitLab token secret {secret_arn} is empty; store the token as {EXPECTED_FORMAT}")
    redact.register(token)
    return token


def read_trigger_secret(sm: SecretsManagerClient, name: str) -> TriggerSecret | None:
    """The stored trigger secret, or ``None`` if it does not exist or does not hold the contract's JSON."""
    try:
        with _quiet_wire_logs():
            raw = sm.get_secret_value(SecretId=name).get("SecretString") or ""
    except ClientError as exc:
        if _code(exc) in ("ResourceNotFoundException", "InvalidRequestException"):
            return None
        raise SeederError(f"cannot read the trigger secret {name}: {_code(exc)}") from None
    redact.register(raw)  # the whole value may be the token if someone stored it by hand
    try:
        value = parse(name, raw)
    except SecretFormatError as exc:
        logs.log("secret.unreadable", name=name, why=str(exc))
        return None  # rewritten with a fresh trigger token
    redact.register(value.token)
    return value


def put_trigger_secret(
    sm: SecretsManagerClient, name: str, value: TriggerSecret, project_tags: list[dict[str, str]]
) -> str:
    """Create the secret, or overwrite its value if it exists (retried Create, Update). Returns its ARN."""
    redact.register(value.token)
    tags: list[TagTypeDef] = [{"Key": tag["Key"], "Value": tag["Value"]} for tag in project_tags]
    description = (
        "GitLab pipeline trigger token of the SageMaker project's deploy repo (read by the trigger Lambda)"
    )
    try:
        arn: str = sm.create_secret(
            Name=name, SecretString=value.to_json(), Description=description, Tags=tags
        )["ARN"]
        logs.log("secret.created", name=name)
        return arn
    except ClientError as exc:
        if _code(exc) != "ResourceExistsException":
            raise SeederError(f"cannot create the trigger secret {name}: {_code(exc)}") from None
    try:
        arn = sm.put_secret_value(SecretId=name, SecretString=value.to_json())["ARN"]
        sm.tag_resource(SecretId=name, Tags=tags)
    except ClientError as exc:
        raise SeederError(f"cannot update the trigger secret {name}: {_code(exc)}") from None
    logs.log("secret.updated", name=name)
    return arn


def secret_arn(sm: SecretsManagerClient, name: str) -> str | None:
    try:
        arn: str = sm.describe_secret(SecretId=name)["ARN"]
        return arn
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return None
        raise SeederError(f"cannot describe the trigger secret {name}: {_code(exc)}") from None


def delete_trigger_secret(sm: SecretsManagerClient, name: str) -> bool:
    """Delete at once (no recovery window: the token is revoked anyway). ``False`` if already gone."""
    try:
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return False
        raise SeederError(f"cannot delete the trigger secret {name}: {_code(exc)}") from None
    logs.log("secret.deleted", name=name)
    return True
