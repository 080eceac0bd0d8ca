"""``python -m deployer.resolve_prod``: in a pipeline for a tag ``prod-v<version>...``, decide what to promote.

Production gets exactly the model package the staging stack serves now, and only if
- the staging stack is settled (``CREATE_COMPLETE`` or ``UPDATE_COMPLETE``: not being deployed, not rolled
  back after a failed deployment),
- that package is in this project's group and still Approved (it may have been rejected since staging), and
- its version is the one the tag names (staging may have moved on since the Maintainer chose the tag).
Anything else fails the job with what to do. The result goes to the same dotenv report as ``deployer.resolve``
(``RESOLVED_*``), which ``deploy --stage prod`` and ``smoke_test --stage prod`` read.

Runs with the production role: it reads the staging stack (``cloudformation:DescribeStacks``) and the
registry, and changes nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import boto3

from deployer import registry, settings
from deployer.cli import run
from deployer.errors import DeployerError
from deployer.promotion import tag_version
from deployer.resolve import write_records
from deployer.stack import describe as describe_stack

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_sagemaker import SageMakerClient

REASON = "promotion"
SETTLED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})
PACKAGE_PARAMETER = "ModelPackageArn"


def staging_package_arn(client: CloudFormationClient, stack_name: str) -> str:
    """The ``ModelPackageArn`` the staging stack was last deployed with, if the stack is settled."""
    stack = describe_stack(client, stack_name)
    if stack is None:
        raise DeployerError(
            f"nothing to promote: there is no staging stack {stack_name}. Approve a model package first; its "
            "pipeline deploys and tests staging and then prints the tag that promotes it."
        )
    status = str(stack.get("StackStatus", ""))
    if status not in SETTLED:
        hint = (
            "a deployment of staging is running now: wait for its pipeline to finish, then delete this tag "
            "and create it again (or the one that pipeline prints)"
            if status.endswith("_IN_PROGRESS")
            else "the last staging deployment did not complete: fix staging (its pipeline says why) and "
            "promote from a staging pipeline that passed"
        )
        raise DeployerError(f"refusing to promote: the staging stack {stack_name} is {status}; {hint}")
    values = {str(p["ParameterKey"]): str(p.get("ParameterValue", "")) for p in stack.get("Parameters", [])}
    arn = values.get(PACKAGE_PARAMETER, "").strip()
    if not arn:
        raise DeployerError(f"the staging stack {stack_name} has no {PACKAGE_PARAMETER} parameter")
    return arn


def resolve_prod(
    cloudformation: CloudFormationClient,
    sagemaker: SageMakerClient,
    project: settings.ProjectSettings,
    tag: str,
) -> tuple[registry.ModelPackage, list[str]]:
    """The package to promote and the summary lines that explain the choice."""
    if not tag.strip():
        raise DeployerError(
            "CI_COMMIT_TAG is empty: production is promoted by a pipeline for a tag prod-v<version>..., "
            "created by a Maintainer (see the `test-staging` job's output)"
        )
    wanted = tag_version(tag)
    stack_name = project.stack_name("staging")
    package = registry.describe(sagemaker, staging_package_arn(cloudformation, stack_name))
    if package.group != project.model_package_group:
        raise DeployerError(
            f"refusing to promote {package.arn}: it belongs to model package group {package.group!r}, not "
            f"to this project's group {project.model_package_group!r}"
        )
    if package.status != registry.APPROVED:
        raise DeployerError(
            f"refusing to promote version {package.version} ({package.arn}): staging serves it, but its "
            f"approval status is now {package.status or '(none)'}, not {registry.APPROVED}. Only an Approved "
            "package reaches production; the project rolls staging back to the newest Approved one."
        )
    if package.version != wanted:
        raise DeployerError(
            f"refusing to promote: tag {tag} names version {wanted}, but staging serves version "
            f"{package.version} ({package.arn}) now. Staging changed after the tag was chosen; promote "
            f"version {package.version} with a tag prod-v{package.version}-... if its staging pipeline "
            "passed, or bring staging back to the version you meant."
        )
    lines = [
        f"tag                 : {tag} (names version {wanted})",
        f"staging stack       : {stack_name}",
        f"model package       : {package.arn}",
        f"version             : {package.version} (staging serves it; Approved)",
        f"created             : {package.created.isoformat()}",
    ]
    return package, lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deployer.resolve_prod", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tag", help="the production tag (default: $CI_COMMIT_TAG)")
    parser.add_argument(
        "--dotenv", default="resolved.env", help="dotenv file to write (default: %(default)s)"
    )
    parser.add_argument(
        "--json", default="resolved-model-package.json", help="JSON record to write (default: %(default)s)"
    )
    args = parser.parse_args(argv)

    def body() -> int:
        env: Mapping[str, str] = dict(os.environ)
        tag = args.tag if args.tag is not None else env.get("CI_COMMIT_TAG", "")
        package, lines = resolve_prod(
            boto3.client("cloudformation"), boto3.client("sagemaker"), settings.project_settings(env), tag
        )
        write_records(package, REASON, Path(args.dotenv), Path(args.json), {"tag": tag.strip()})
        print("Resolved the model package to promote to production")
        for line in lines:
            print(f"  {line}")
        print(f"  written             : {args.dotenv}, {args.json}")
        return 0

    return run(body)


if __name__ == "__main__":
    sys.exit(main())
