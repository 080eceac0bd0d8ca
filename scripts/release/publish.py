"""Publish ``dist/<version>/`` to an AWS account (or the sandbox via ``AWS_ENDPOINT_URL``).

Steps, each idempotent: (1) the artifacts bucket (created private, encrypted, versioned, TLS-only when
missing); (2) the version's files under ``sagemaker-gitlab/<version>/`` (never overwritten with other
content); (3) the platform stack (created or updated, events shown as they happen); (4) the Service
Catalog product version; (5) the S3-hosted SageMaker project template. ``--dry-run`` prints the plan.
"""

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from release import artifact_store, service_catalog, stack_progress
from release.aws_errors import PublishError, error_code, explain
from release.layout import PLATFORM_TEMPLATE, PRODUCT_NAME, ROOT, TEMPLATE, project_version, validate_version
from release.manifest import read_manifest, verify_manifest

Log = Callable[[str], None]
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


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/publish",
        description=(
            "Publish a packaged version (scripts/package) to the AWS account of your current credentials: "
            "upload dist/VERSION/ to the artifacts bucket, create or update the platform stack (Service "
            "Catalog portfolio and product, launch role, OIDC provider, /sagemaker-gitlab/* SSM parameters), "
            "add the version to the product and publish the S3-hosted SageMaker project template. Safe to "
            "rerun. Set AWS_ENDPOINT_URL to publish into the sandbox."
        ),
        epilog="On the first run --gitlab-url, --gitlab-group and --gitlab-token-secret-arn are required; "
        "later runs keep the stack's previous values for every option you leave out.",
    )
    parser.add_argument("--version", help="version to publish (default: [project].version of pyproject.toml)")
    parser.add_argument(
        "--dist", type=Path, default=ROOT / "dist", help="where scripts/package wrote it (default: dist/)"
    )
    parser.add_argument("--region", help="AWS region (default: from AWS_REGION / your profile)")
    parser.add_argument(
        "--bucket",
        help="artifacts bucket, created if missing (default: sagemaker-gitlab-artifacts-ACCOUNT-REGION)",
    )
    parser.add_argument(
        "--stack-name", default=DEFAULT_STACK, help=f"platform stack name (default: {DEFAULT_STACK})"
    )
    parser.add_argument("--gitlab-url", help="GitLab base URL, e.g. https://gitlab.example.com")
    parser.add_argument(
        "--gitlab-group", help="default GitLab group path for project repositories, e.g. ml/projects"
    )
    parser.add_argument(
        "--gitlab-token-secret-arn",
        help="ARN of the Secrets Manager secret holding a GitLab group access token (api scope); only the ARN "
        "is stored",
    )
    parser.add_argument(
        "--studio-role-arn",
        action="append",
        default=None,
        metavar="ARN",
        help=f"SageMaker Studio execution role allowed to create projects (repeat, up to {MAX_STUDIO_ROLES})",
    )
    parser.add_argument(
        "--oidc-provider-arn",
        help="use this existing IAM OIDC provider for GitLab (default: reuse the account's provider for the "
        "GitLab host if there is one, else create it)",
    )
    parser.add_argument(
        "--portfolio-provider", help="provider name shown in Service Catalog (default: Platform team)"
    )
    parser.add_argument(
        "--template-prefix",
        default=DEFAULT_TEMPLATE_PREFIX,
        help=f"key prefix of the S3-hosted SageMaker project template (default: {DEFAULT_TEMPLATE_PREFIX})",
    )
    parser.add_argument(
        "--skip-s3-template", action="store_true", help="do not publish the S3-hosted project template"
    )
    parser.add_argument(
        "--keep-previous-versions",
        action="store_true",
        help="do not mark older product versions DEPRECATED (by default new projects only see the newest)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan and change nothing")
    parser.add_argument(
        "--poll-seconds", type=float, default=5.0, help="how often to poll stack events (default: 5)"
    )
    parser.add_argument(
        "--timeout-minutes",
        type=float,
        default=60.0,
        help="give up waiting for the stack after this long (default: 60)",
    )
    return parser.parse_args(argv)


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
        region=args.region,
        poll_seconds=args.poll_seconds,
        timeout_seconds=args.timeout_minutes * 60,
    )


@contextmanager
def step(doing: str, service: str) -> Iterator[None]:
    """Turn AWS errors inside a step into a PublishError that names the step and the missing action."""
    try:
        yield
    except (ClientError, BotoCoreError) as error:
        raise PublishError(explain(error, service=service, doing=doing)) from error


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


def check_token_secret(secrets: Any, arn: str, log: Log) -> None:
    """The secret must exist (its value is never read here)."""
    try:
        secrets.describe_secret(SecretId=arn)
    except ClientError as error:
        code = error_code(error)
        if code == "ResourceNotFoundException":
            raise PublishError(
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


class Publisher:
    """The publish run against one account and region."""

    def __init__(self, settings: Settings, session: boto3.session.Session, log: Log = print) -> None:
        self.settings = settings
        self.log = log
        self.region = session.region_name
        if not self.region:
            raise PublishError("no AWS region configured: pass --region or set AWS_REGION")
        self.s3 = session.client("s3")
        self.cfn = session.client("cloudformation")
        self.sc = session.client("servicecatalog")
        self.sts = session.client("sts")
        self.iam = session.client("iam")
        self.secrets = session.client("secretsmanager")
        with step("reading your identity", "sts"):
            self.account = str(self.sts.get_caller_identity()["Account"])
        self.bucket = settings.bucket or artifact_store.default_bucket_name(self.account, self.region)
        self.prefix = str(settings.manifest["s3_prefix"])

    # -- names -------------------------------------------------------------------------------------------
    def url(self, name: str) -> str:
        return artifact_store.https_url(self.bucket, str(self.region), f"{self.prefix}/{name}")

    @property
    def template_key(self) -> str:
        return f"{self.settings.template_prefix}/{PRODUCT_NAME}.yaml"

    # -- plan --------------------------------------------------------------------------------------------
    def plan(self) -> list[str]:
        lines = [
            f"account {self.account}, region {self.region}, endpoint {os.environ.get('AWS_ENDPOINT_URL') or 'AWS'}",
            f"version {self.settings.version} from {self.settings.directory}",
        ]
        with step("checking the artifacts bucket", "s3"):
            exists = artifact_store.bucket_exists(self.s3, self.bucket)
            uploads = artifact_store.plan_uploads(
                self.s3 if exists else None, self.bucket, self.prefix, self.settings.manifest
            )
        lines.append(
            f"1. bucket s3://{self.bucket}: "
            + ("exists" if exists else "create (private, AES256, versioned, CORS for Studio, TLS only)")
        )
        counts = {
            state: sum(1 for upload in uploads if upload.state == state)
            for state in ("new", "unchanged", "conflict")
        }
        lines.append(
            f"2. upload to s3://{self.bucket}/{self.prefix}/: {counts['new']} to upload, {counts['unchanged']} unchanged"
            + (
                f", {counts['conflict']} CONFLICTING (version already published with other content)"
                if counts["conflict"]
                else ""
            )
        )
        with step("reading the platform stack", "cloudformation"):
            status = stack_progress.stack_status(self.cfn, self.settings.stack)
        creating = status in (None, "ROLLBACK_COMPLETE")
        try:
            parameters = stack_parameters(self.settings, self.bucket, self.url(TEMPLATE), creating)
        except PublishError as error:
            parameters = []
            lines.append(f"   ERROR: {error}")
        shown = ", ".join(
            f"{parameter['ParameterKey']}={parameter.get('ParameterValue', '(previous)')}"
            for parameter in parameters
        )
        lines.append(
            f"3. stack {self.settings.stack}: {'create' if creating else f'update (now {status})'} with {shown}"
        )
        product_id = None
        if not creating:
            with step("reading the platform stack", "cloudformation"):
                product_id = stack_progress.stack_outputs(self.cfn, self.settings.stack).get("ProductId")
        if product_id:
            with step("reading the product versions", "servicecatalog"):
                names = [artifact.name for artifact in service_catalog.list_artifacts(self.sc, product_id)]
            state = "exists" if self.settings.version in names else "add"
            lines.append(f"4. Service Catalog product {product_id} version {self.settings.version}: {state}")
        else:
            lines.append(
                f"4. Service Catalog product version {self.settings.version}: created with the stack or added after it"
            )
        if self.settings.skip_s3_template:
            lines.append("5. S3-hosted project template: skipped (--skip-s3-template)")
        else:
            lines.append(
                f"5. S3-hosted project template s3://{self.bucket}/{self.template_key} (tag sagemaker:studio-visibility=true)"
            )
        return lines

    # -- run ---------------------------------------------------------------------------------------------
    def run(self) -> dict[str, str]:
        results: dict[str, str] = {}
        settings = self.settings
        if "GitLabTokenSecretArn" in settings.given:
            with step("checking the GitLab token secret", "secretsmanager"):
                check_token_secret(self.secrets, settings.given["GitLabTokenSecretArn"], self.log)
        self.log(f"[1/5] Artifacts bucket s3://{self.bucket}")
        with step("preparing the artifacts bucket", "s3"):
            if artifact_store.bucket_exists(self.s3, self.bucket):
                results["bucket"] = "exists"
            else:
                artifact_store.create_bucket(self.s3, self.bucket, str(self.region))
                results["bucket"] = "created"
            self.log(f"  {results['bucket']}")
        self.log(f"[2/5] Version {settings.version} → s3://{self.bucket}/{self.prefix}/")
        with step("uploading the version", "s3"):
            uploads = artifact_store.plan_uploads(self.s3, self.bucket, self.prefix, settings.manifest)
            artifact_store.upload_version(self.s3, self.bucket, settings.directory, uploads, self.log)
        results["upload"] = (
            "unchanged" if all(u.state == "unchanged" for u in uploads if u.sha256) else "uploaded"
        )
        self.log(f"[3/5] Platform stack {settings.stack}")
        with step("creating or updating the platform stack", "cloudformation"):
            status = stack_progress.stack_status(self.cfn, settings.stack)
            creating = status in (None, "ROLLBACK_COMPLETE")
            if creating and "ExistingOidcProviderArn" not in settings.given and "GitLabUrl" in settings.given:
                with step("looking for an existing GitLab OIDC provider", "iam"):
                    found = find_oidc_provider(self.iam, gitlab_host(settings.given["GitLabUrl"]))
                if found:
                    self.log(f"  reusing the account's OIDC provider {found}")
                    settings.given["ExistingOidcProviderArn"] = found
            results["stack"] = stack_progress.deploy_stack(
                self.cfn,
                settings.stack,
                self.url(PLATFORM_TEMPLATE),
                stack_parameters(settings, self.bucket, self.url(TEMPLATE), creating=True)
                if creating
                else [],
                stack_parameters(settings, self.bucket, self.url(TEMPLATE), creating=False)
                if not creating
                else [],
                tags=[{"Key": "sagemaker-gitlab:component", "Value": "platform"}],
                log=self.log,
                poll_seconds=settings.poll_seconds,
                timeout_seconds=settings.timeout_seconds,
            )
            outputs = stack_progress.stack_outputs(self.cfn, settings.stack)
        self.log(f"[4/5] Service Catalog product version {settings.version}")
        product_id = outputs.get("ProductId")
        if product_id:
            with step("adding the product version", "servicecatalog"):
                results["product_version"] = service_catalog.ensure_version(
                    self.sc,
                    product_id,
                    settings.version,
                    self.url(TEMPLATE),
                    self.log,
                    settings.deprecate_previous,
                )
            results["product_id"] = product_id
        else:
            results["product_version"] = "skipped"
            self.log(
                "  WARNING: the platform stack reports no ProductId output, so this CloudFormation endpoint did not "
                "create the Service Catalog product; no product version was added (the S3-hosted template below "
                "still works)"
            )
        self.log("[5/5] S3-hosted SageMaker project template")
        if settings.skip_s3_template:
            results["s3_template"] = "skipped"
            self.log("  skipped (--skip-s3-template)")
        else:
            body = (settings.directory / TEMPLATE).read_bytes()
            sha = str(settings.manifest["artifacts"][TEMPLATE]["sha256"])
            with step("publishing the S3-hosted project template", "s3"):
                results["s3_template"] = artifact_store.publish_project_template(
                    self.s3, self.bucket, self.template_key, body, sha
                )
            self.log(f"  s3://{self.bucket}/{self.template_key}  {results['s3_template']}")
        return results

    def next_steps(self, results: dict[str, str]) -> list[str]:
        lines = [
            "",
            f"Published {self.settings.version}: "
            + ", ".join(f"{k}={v}" for k, v in sorted(results.items())),
            "",
            "Next steps:",
        ]
        if results.get("product_id"):
            lines.append(
                "  - SageMaker Studio: Deployments > Projects > Create project > Organization templates > "
                "'SageMaker project with GitLab (build, train, deploy)'. Studio roles need portfolio access "
                "(--studio-role-arn)."
            )
        if not self.settings.skip_s3_template:
            lines += [
                "  - To offer the S3-hosted template instead of (or besides) Service Catalog, tag your SageMaker domain:",
                f"      aws sagemaker add-tags --resource-arn arn:aws:sagemaker:{self.region}:{self.account}:domain/<domain-id> \\",
                f"        --tags Key=sagemaker:projectS3TemplatesLocation,Value=s3://{self.bucket}/{self.settings.template_prefix}/",
                "    (S3-hosted templates are launched with the AmazonSageMakerProjectsLaunchRole; give it the "
                f"permissions of the sagemaker-gitlab launch role from stack {self.settings.stack}.)",
            ]
        lines += [
            "  - Make sure the GitLab token secret holds a group access token with api scope; only the seeder reads it.",
            "  - Publishing again with a new version adds a product version; existing projects keep theirs.",
        ]
        return lines


def main(argv: Sequence[str] | None = None, session: boto3.session.Session | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = validate(args)
        with step("connecting to AWS", "sts"):
            # AWS_REGION is what the AWS CLI v2 and the SDKs of other languages read; boto3 reads
            # AWS_DEFAULT_REGION. Honour both.
            region = settings.region or os.environ.get("AWS_REGION") or None
            session = session or boto3.session.Session(region_name=region)
        publisher = Publisher(settings, session)
        if args.dry_run:
            print("Plan (dry run: nothing is changed):")
            for line in publisher.plan():
                print(f"  {line}")
            return 0
        print(
            f"Publishing {PRODUCT_NAME} {settings.version} to account {publisher.account} in {publisher.region}"
        )
        results = publisher.run()
        for line in publisher.next_steps(results):
            print(line)
    except PublishError as error:
        print(f"publish: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
