"""What the lifecycle expects: each check reads state and raises StageError, with the evidence, if it is wrong.

Checks never change anything (that is `actions`), so a stage reads as: act, wait, check, report facts.
"""

from __future__ import annotations

import re
from typing import Any

from sandbox.lifecycle import observe
from sandbox.lifecycle.context import Context, StageError

# What `python -m deployer.promotion` prints at the end of test-staging (seed_deploy_repo/deployer/promotion.py).
PROMOTION_LINE = re.compile(r"the tag (?P<tag>prod-\S+) on commit (?P<commit>[0-9a-f]{40}):")
# ... and, on a [skip ci] commit, that the tag's own pipeline is skipped and must be run.
RUN_PIPELINE_LINE = "GitLab creates that tag's own pipeline as skipped"


def expect(condition: object, message: str) -> None:
    if not condition:
        raise StageError(message)


def stack_created(ctx: Context, name: str, status: str | None) -> None:
    if status != "CREATE_COMPLETE":
        raise StageError(f"stack {name} is {status}: {observe.stack_reasons(ctx, name)}")


def pipeline_passed(project: Any, pipeline: Any, *jobs: str) -> dict[str, str]:
    """The pipeline succeeded and each named job in it succeeded; returns every job's status."""
    summary = observe.job_summary(pipeline)
    if pipeline.status != "success" or any(summary.get(job) != "success" for job in jobs):
        raise StageError(observe.job_failure(project, pipeline))
    return summary


def serves(ctx: Context, stage: str, package_arn: str, after: str) -> None:
    serving = observe.served_package(ctx, stage)
    expect(serving == package_arn, f"{stage} serves {serving} after {after}, not {package_arn}")


def promotion_offer(trace: str) -> dict[str, Any]:
    """What test-staging tells a Maintainer (a person reads the job log): the tag, the commit, and whether
    the tag's pipeline must be run by hand (its commit says [skip ci])."""
    match = PROMOTION_LINE.search(trace)
    if match is None:
        tail = "\n".join(trace.strip().splitlines()[-10:])
        raise StageError(f"test-staging printed no promotion instructions; its log ends:\n{tail}")
    return {"tag": match["tag"], "commit": match["commit"], "run_pipeline": RUN_PIPELINE_LINE in trace}


def nothing_left(ctx: Context) -> None:
    """After the project's deletion: no deploy stack, no endpoint of the project, both repos archived."""
    left = [
        s
        for s in (ctx.deploy_stack("staging"), ctx.deploy_stack("prod"))
        if observe.stack_status(ctx, s) not in (None, "DELETE_COMPLETE")
    ]
    expect(not left, f"deploy stacks still exist after the project was deleted: {left}")
    endpoints = [
        e["EndpointName"]
        for e in ctx.aws("sagemaker").list_endpoints()["Endpoints"]
        if e["EndpointName"].startswith(ctx.prefix)
    ]
    expect(not endpoints, f"endpoints still exist after the project was deleted: {endpoints}")
