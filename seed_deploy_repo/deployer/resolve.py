"""``python -m deployer.resolve``: decide which model package this pipeline deploys, and record it.

With ``MODEL_PACKAGE_ARN`` (set by the approval trigger, or by a person running the pipeline) that package is
verified: it must belong to ``MODEL_PACKAGE_GROUP_NAME`` and be Approved. Without it, the newest Approved
package of the group is taken. The result goes to a dotenv file (a GitLab ``artifacts:reports:dotenv``), so
that staging and production deploy exactly the same package even if another one is approved meanwhile.

The dotenv variables are named ``RESOLVED_*`` on purpose: GitLab gives pipeline (trigger) variables
precedence over dotenv variables, so reusing ``MODEL_PACKAGE_ARN`` would be ambiguous.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import boto3

from deployer import registry, settings
from deployer.cli import run
from deployer.errors import DeployerError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

DEPLOY_REASONS = ("approved", "rollback", "manual")


def deploy_reason(env: Mapping[str, str]) -> str:
    reason = env.get("DEPLOY_REASON", "").strip() or "manual"
    if reason not in DEPLOY_REASONS:
        raise DeployerError(f"DEPLOY_REASON={reason!r} is not one of {', '.join(DEPLOY_REASONS)}")
    return reason


def resolve(client: SageMakerClient, env: Mapping[str, str]) -> tuple[registry.ModelPackage, list[str]]:
    """The package to deploy and the summary lines that explain the choice."""
    group = settings.model_package_group(env)
    reason = deploy_reason(env)
    requested = env.get("MODEL_PACKAGE_ARN", "").strip()
    lines = [f"model package group : {group}", f"deploy reason       : {reason}"]
    if env.get("APPROVAL_EVENT_ID", "").strip():
        lines.append(f"approval event      : {env['APPROVAL_EVENT_ID'].strip()}")
    if requested:
        package = registry.verify(client, requested, group, env.get("MODEL_PACKAGE_VERSION", ""))
        lines.append("source              : MODEL_PACKAGE_ARN (verified: in this group, Approved)")
        latest = registry.newest_approved(client, group).newest
        if latest.arn != package.arn:
            lines.append(
                f"note                : version {latest.version} is the newest Approved package; "
                f"deploying version {package.version} as requested"
            )
    else:
        found = registry.newest_approved(client, group)
        package = found.newest
        lines.append(
            f"source              : newest of {found.count} Approved package(s) ({found.pages} page(s) read)"
        )
    lines += [
        f"model package       : {package.arn}",
        f"version             : {package.version}",
        f"created             : {package.created.isoformat()}",
    ]
    return package, lines


def dotenv_text(package: registry.ModelPackage, reason: str) -> str:
    return (
        f"RESOLVED_MODEL_PACKAGE_ARN={package.arn}\n"
        f"RESOLVED_MODEL_PACKAGE_VERSION={package.version}\n"
        f"RESOLVED_DEPLOY_REASON={reason}\n"
    )


def write_records(
    package: registry.ModelPackage, reason: str, dotenv: Path, record: Path, extra: Mapping[str, str]
) -> None:
    """The dotenv report the later jobs read, and a JSON record of the decision (a job artifact)."""
    dotenv.write_text(dotenv_text(package, reason), encoding="utf-8")
    document = {
        "model_package_arn": package.arn,
        "model_package_version": package.version,
        "model_package_group": package.group,
        "created": package.created.isoformat(),
        "deploy_reason": reason,
        **extra,
    }
    record.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deployer.resolve", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dotenv", default="resolved.env", help="dotenv file to write (default: %(default)s)"
    )
    parser.add_argument(
        "--json", default="resolved-model-package.json", help="JSON record to write (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    def body() -> int:
        env = dict(os.environ)
        package, lines = resolve(boto3.client("sagemaker"), env)
        write_records(
            package,
            deploy_reason(env),
            Path(args.dotenv),
            Path(args.json),
            {"approval_event_id": env.get("APPROVAL_EVENT_ID", "")},
        )
        print("Resolved the model package to deploy")
        for line in lines:
            print(f"  {line}")
        print(f"  written             : {args.dotenv}, {args.json}")
        return 0

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
