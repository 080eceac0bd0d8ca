"""``scripts/publish``: publish ``dist/<version>/`` to an AWS account (or the sandbox via ``AWS_ENDPOINT_URL``).

The command line only: options (here), their validation (``release.publish_validation``), the run
(``release.publisher``) and its plan and next steps (``release.publish_plan``). ``--dry-run`` prints the plan.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import boto3

from release import publish_plan
from release.aws_errors import ConfigurationError, PublishError, step
from release.layout import PRODUCT_NAME, ROOT
from release.publish_validation import DEFAULT_STACK, DEFAULT_TEMPLATE_PREFIX, MAX_STUDIO_ROLES, validate
from release.publisher import Publisher

__all__ = ["main", "parse_args"]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/publish",
        description=(
            "Publish a packaged version (scripts/package) to the AWS account of your current credentials: "
            "upload dist/VERSION/ to the artifacts bucket (writable only by the publisher; each file checked against "
            "manifest.json before and after upload; the project template pins the Lambda code's object versions), create or update the platform stack (Service "
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
        "--publisher-arn",
        metavar="ARN",
        help="the IAM role (or user) that may write to the artifacts bucket; its policy denies every other "
        "principal (default: the publisher already named in the bucket's policy, else you; for a role "
        "session, your role)",
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
            publisher.preflight()
            print("Plan (dry run: nothing is changed):")
            for line in publish_plan.plan(publisher):
                print(f"  {line}")
            return 0
        print(
            f"Publishing {PRODUCT_NAME} {settings.version} to account {publisher.account} in {publisher.region}"
        )
        results = publisher.run()
        for line in publish_plan.next_steps(publisher, results):
            print(line)
    except ConfigurationError as error:
        # Exit 2 as for a bad option: the value passed is wrong, the message says which and the fix.
        print(f"publish: error: {error}", file=sys.stderr)
        return 2
    except PublishError as error:
        print(f"publish: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
