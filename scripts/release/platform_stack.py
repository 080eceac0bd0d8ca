"""The platform stack's parameters and the checks before creating it (OIDC provider, token secret)."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from release.aws_errors import ConfigurationError, PublishError, error_code
from release.publish_validation import Settings

Log = Callable[[str], None]

REQUIRED_ON_CREATE = {
    "GitLabUrl": "--gitlab-url",
    "GitLabGroup": "--gitlab-group",
    "GitLabTokenSecretArn": "--gitlab-token-secret-arn",
}
KEPT_ON_UPDATE = (
    "GitLabUrl",
    "GitLabGroup",
    "GitLabTokenSecretArn",
    "ExistingOidcProviderArn",
    "StudioExecutionRoleArns",
    "PortfolioProviderName",
)


def stack_parameters(
    settings: Settings, bucket: str, product_template_url: str, creating: bool
) -> list[dict[str, Any]]:
    """Parameters of the platform stack. On update, options left out keep their previous values, and the
    first product version's parameters never change (CloudFormation would replace that version)."""
    if creating:
        missing = [flag for name, flag in REQUIRED_ON_CREATE.items() if name not in settings.given]
        if missing:
            raise PublishError(f"creating stack {settings.stack} needs {', '.join(missing)}")
        values = {
            # Every parameter is passed explicitly, so that later updates can keep each one by UsePreviousValue.
            "ExistingOidcProviderArn": "",
            "StudioExecutionRoleArns": "",
            "PortfolioProviderName": "Platform team",
            **settings.given,
            "ArtifactsBucketName": bucket,
            "ProductVersion": settings.version,
            "ProductTemplateUrl": product_template_url,
        }
        return [{"ParameterKey": key, "ParameterValue": value} for key, value in sorted(values.items())]
    parameters: list[dict[str, Any]] = [{"ParameterKey": "ArtifactsBucketName", "ParameterValue": bucket}]
    for name in KEPT_ON_UPDATE:
        if name in settings.given:
            parameters.append({"ParameterKey": name, "ParameterValue": settings.given[name]})
        else:
            parameters.append({"ParameterKey": name, "UsePreviousValue": True})
    parameters += [
        {"ParameterKey": "ProductVersion", "UsePreviousValue": True},
        {"ParameterKey": "ProductTemplateUrl", "UsePreviousValue": True},
    ]
    return sorted(parameters, key=lambda parameter: str(parameter["ParameterKey"]))


def gitlab_host(url: str) -> str:
    return urlparse(url).netloc


def find_oidc_provider(iam: Any, host: str) -> str | None:
    for provider in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", []):
        arn = str(provider["Arn"])
        if arn.endswith(f":oidc-provider/{host}"):
            return arn
    return None


def check_token_secret(secrets: Any, arn: str, region: str, log: Log) -> None:
    """The secret must be in the publish region and exist (its value is never read here).

    A secret ARN names its region (arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME,
    https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources)
    and the seeder reads it with a client in the stack's region, so a secret elsewhere fails only when a
    project is created; DescribeSecret answers ResourceNotFoundException for a missing one
    (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html).
    """
    secret_region = arn.split(":")[3] if arn.count(":") >= 6 else ""
    if secret_region != region:
        raise ConfigurationError(
            f"the GitLab token secret {arn} is in region {secret_region or '(none)'} but you publish to {region}: "
            f"create the secret in {region} (aws secretsmanager create-secret --region {region} --name "
            f'sagemaker-gitlab/gitlab-token --secret-string "$GITLAB_TOKEN") and pass its ARN, '
            f"or publish with --region {secret_region or 'REGION'}"
        )
    try:
        secrets.describe_secret(SecretId=arn)
    except ClientError as error:
        code = error_code(error)
        if code == "ResourceNotFoundException":
            raise ConfigurationError(
                f"the GitLab token secret {arn} does not exist: create it first, e.g. "
                "aws secretsmanager create-secret --name sagemaker-gitlab/gitlab-token --secret-string "
                '"$GITLAB_TOKEN" (a group access token with api scope), and pass the ARN it prints'
            ) from error
        if code in {"AccessDeniedException", "AccessDenied"}:
            log(
                f"  note: cannot check the token secret (no secretsmanager:DescribeSecret on {arn}); continuing"
            )
            return
        raise
