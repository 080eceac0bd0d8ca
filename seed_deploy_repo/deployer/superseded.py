"""Whether a trigger-started staging pipeline has been overtaken by a newer approval, so that order between
concurrent pipelines cannot matter.

The trigger starts one pipeline per approval event, each naming the newest Approved package at that moment.
GitLab runs a ``resource_group``'s jobs one at a time but, in its default ``unordered`` process mode, not in
the order the pipelines were created (docs.gitlab.com/ci/resource_groups, "Process modes"); the seeder can set
``oldest_first`` only once GitLab has created the group, with the first pipeline that uses it. So the deploy and
test jobs of a pipeline started for an approval or a rollback check, inside the resource group, that their
package is still the newest Approved one; if a newer one exists, its own (later) pipeline deploys and tests it,
and this pipeline's job stops successfully and says so instead of putting the older model back in service.
A pipeline someone runs by hand with ``MODEL_PACKAGE_ARN`` (reason ``manual``) deploys what it was asked to.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from deployer import registry

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient

# DEPLOY_REASON values the approval trigger sets (contracts.ci_variables.DEPLOY_REASONS minus "manual").
TRIGGER_REASONS = ("approved", "rollback")


def resolved_reason(env: Mapping[str, str]) -> str:
    """The reason the ``resolve`` job recorded (its dotenv report), ``manual`` when none."""
    return env.get("RESOLVED_DEPLOY_REASON", "").strip() or "manual"


def superseding(package_arn: str, newest: registry.ModelPackage, reason: str) -> registry.ModelPackage | None:
    """The newer Approved package that overtakes ``package_arn`` in a trigger pipeline, else ``None``."""
    if reason not in TRIGGER_REASONS or newest.arn == package_arn:
        return None
    return newest


def check(client: SageMakerClient, package_arn: str, group: str, reason: str) -> registry.ModelPackage | None:
    """:func:`superseding` against the registry as it is now (only trigger pipelines read it)."""
    if reason not in TRIGGER_REASONS:
        return None
    return superseding(package_arn, registry.newest_approved(client, group).newest, reason)


def message(job: str, package_arn: str, newer: registry.ModelPackage) -> list[str]:
    return [
        f"{job}: skipped — model package {package_arn} is no longer the newest Approved package:",
        f"  version {newer.version} ({newer.arn}) was approved since this pipeline started,",
        "  and the pipeline the trigger started for it deploys and tests it. Nothing to do here.",
    ]
