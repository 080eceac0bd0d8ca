"""Publish's input: every option checked, and the local dist checked against its manifest, before any
AWS call. Problems are collected and reported together, each naming its fix."""

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from release.aws_errors import PublishError
from release.bucket_policy import PUBLISHER_ARN_PATTERN
from release.layout import project_version, validate_version
from release.manifest import read_manifest, verify_manifest

DEFAULT_STACK = "sagemaker-gitlab-platform"
DEFAULT_TEMPLATE_PREFIX = "sagemaker-project-templates"
MAX_STUDIO_ROLES = 5
URL_PATTERN = re.compile(r"^https?://[a-zA-Z0-9.-]+(:[0-9]+)?$")
GROUP_PATTERN = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9_.-]*(/[a-zA-Z0-9_][a-zA-Z0-9_.-]*)*$")
SECRET_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$")
ROLE_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$")
OIDC_ARN_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/.+$")
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
STACK_PATTERN = re.compile(r"^[a-zA-Z][-a-zA-Z0-9]{0,127}$")


@dataclass
class Settings:
    version: str
    directory: Path
    manifest: dict[str, Any]
    stack: str
    given: dict[str, str]  # platform stack parameters given on the command line
    template_prefix: str
    skip_s3_template: bool
    deprecate_previous: bool
    bucket: str | None
    publisher_arn: str | None  # --publisher-arn; None = keep the bucket's publisher, or the caller
    region: str | None
    poll_seconds: float
    timeout_seconds: float
    warnings: list[str] = field(default_factory=list)


def validate(args: argparse.Namespace) -> Settings:
    """Check every option and the local dist before any AWS call; raise PublishError naming the fix."""
    problems: list[str] = []
    version = args.version or project_version()
    try:
        validate_version(version)
    except ValueError as error:
        problems.append(str(error))
    given: dict[str, str] = {}
    if args.gitlab_url is not None:
        url = args.gitlab_url.rstrip("/")
        if not URL_PATTERN.match(url):
            problems.append(
                f"--gitlab-url {args.gitlab_url!r}: use the base URL, e.g. https://gitlab.example.com"
            )
        given["GitLabUrl"] = url
    if args.gitlab_group is not None:
        group = args.gitlab_group.strip("/")
        if not GROUP_PATTERN.match(group):
            problems.append(
                f"--gitlab-group {args.gitlab_group!r}: use a group path such as ml or ml/projects"
            )
        given["GitLabGroup"] = group
    if args.gitlab_token_secret_arn is not None:
        if not SECRET_ARN_PATTERN.match(args.gitlab_token_secret_arn):
            problems.append(
                "--gitlab-token-secret-arn must be a Secrets Manager secret ARN "
                "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx), not the token itself"
            )
        given["GitLabTokenSecretArn"] = args.gitlab_token_secret_arn
    if args.studio_role_arn is not None:
        roles = [role for role in args.studio_role_arn if role]
        bad = [role for role in roles if not ROLE_ARN_PATTERN.match(role)]
        if bad:
            problems.append(f"--studio-role-arn: not IAM role ARNs: {bad}")
        if len(roles) > MAX_STUDIO_ROLES:
            problems.append(f"--studio-role-arn: at most {MAX_STUDIO_ROLES} roles (got {len(roles)})")
        given["StudioExecutionRoleArns"] = ",".join(roles)
    if args.oidc_provider_arn is not None:
        if not OIDC_ARN_PATTERN.match(args.oidc_provider_arn):
            problems.append("--oidc-provider-arn must look like arn:aws:iam::ACCOUNT:oidc-provider/HOST")
        given["ExistingOidcProviderArn"] = args.oidc_provider_arn
    if args.portfolio_provider is not None:
        given["PortfolioProviderName"] = args.portfolio_provider
    if args.publisher_arn is not None and not PUBLISHER_ARN_PATTERN.match(args.publisher_arn):
        problems.append(
            f"--publisher-arn {args.publisher_arn!r}: use the ARN of an IAM role (arn:aws:iam::ACCOUNT:role/"
            "PATH/NAME, not an assumed-role session ARN) or user"
        )
    if args.bucket is not None and not BUCKET_PATTERN.match(args.bucket):
        problems.append(f"--bucket {args.bucket!r} is not a valid S3 bucket name")
    if not STACK_PATTERN.match(args.stack_name):
        problems.append(f"--stack-name {args.stack_name!r} is not a valid stack name")
    if not re.fullmatch(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*", args.template_prefix):
        problems.append(
            f"--template-prefix {args.template_prefix!r}: use a key prefix such as {DEFAULT_TEMPLATE_PREFIX}"
        )
    directory = args.dist / version
    manifest: dict[str, Any] = {}
    try:
        manifest = read_manifest(directory)
        if manifest.get("version") != version:
            problems.append(
                f"{directory}/manifest.json is for version {manifest.get('version')}, not {version}"
            )
        problems += [
            f"{directory}: {problem}; rerun scripts/package"
            for problem in verify_manifest(directory, manifest)
        ]
    except FileNotFoundError as error:
        problems.append(str(error))
    if problems:
        raise PublishError("bad input:\n  - " + "\n  - ".join(problems))
    return Settings(
        version=version,
        directory=directory,
        manifest=manifest,
        stack=args.stack_name,
        given=given,
        template_prefix=args.template_prefix,
        skip_s3_template=args.skip_s3_template,
        deprecate_previous=not args.keep_previous_versions,
        bucket=args.bucket,
        publisher_arn=args.publisher_arn,
        region=args.region,
        poll_seconds=args.poll_seconds,
        timeout_seconds=args.timeout_minutes * 60,
    )
