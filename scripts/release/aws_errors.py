"""Readable errors for AWS failures: what went wrong and what to do about it."""

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "Forbidden",
        "403",
    }
)
CREDENTIAL_CODES = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException"}
)


# Where an API operation's IAM action has another name.
IAM_ACTION_OVERRIDES = {
    "s3:HeadObject": "s3:GetObject",
    "s3:HeadBucket": "s3:ListBucket",
    "s3:PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketCors": "s3:PutBucketCORS",
    "s3:PutObject": "s3:PutObject (and s3:PutObjectTagging for the tagged project template)",
    # publish re-downloads each uploaded object by its version id to check its sha256.
    "s3:GetObject": "s3:GetObjectVersion (and s3:GetObject)",
}


class PublishError(RuntimeError):
    """A failure that ends ``publish``; the message names the cause and the fix."""


class ConfigurationError(PublishError):
    """A wrong value the person passed (found before anything is uploaded); ``publish`` exits 2 for it."""


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def iam_action(error: ClientError) -> str:
    """The IAM action behind a failed call, e.g. ``cloudformation:CreateStack``."""
    operation = error.operation_name or "UnknownOperation"
    service = str(error.response.get("ResponseMetadata", {}).get("ServiceName", ""))
    return f"{service or _service_from_message(error)}:{operation}"


def _service_from_message(error: ClientError) -> str:
    message = str(error.response.get("Error", {}).get("Message", ""))
    for word in message.replace("'", " ").split():
        if ":" in word and not word.startswith("arn"):
            return word.split(":", 1)[0]
    return "<service>"


def explain(error: BaseException, service: str = "", doing: str = "") -> str:
    """One readable message for ``error``, naming the missing permission on AccessDenied."""
    what = f" while {doing}" if doing else ""
    if isinstance(error, NoCredentialsError):
        return (
            f"no AWS credentials found{what}: configure a profile (AWS_PROFILE), SSO login or role credentials; "
            "for the sandbox set AWS_ENDPOINT_URL and any non-empty AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(error, NoRegionError):
        return f"no AWS region configured{what}: pass --region or set AWS_REGION"
    if isinstance(error, ClientError):
        code = error_code(error)
        message = error.response.get("Error", {}).get("Message", "")
        action = f"{service}:{error.operation_name}" if service else iam_action(error)
        action = IAM_ACTION_OVERRIDES.get(action, action)
        if code in ACCESS_DENIED_CODES:
            return (
                f"access denied{what}: your identity lacks the IAM permission {action}. "
                f"Grant it (see README, 'Permissions to publish') and rerun. AWS said: {message}"
            )
        if code in CREDENTIAL_CODES:
            return f"your AWS credentials are invalid or expired{what} ({code}): refresh them and rerun"
        return f"{action} failed{what}: {code}: {message}"
    if isinstance(error, BotoCoreError):
        return f"AWS call failed{what}: {error}"
    return f"{type(error).__name__}{what}: {error}"


@contextmanager
def step(doing: str, service: str) -> Iterator[None]:
    """Turn AWS errors inside a step into a PublishError that names the step and the missing action."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise PublishError(explain(error, service=service, doing=doing)) from error
