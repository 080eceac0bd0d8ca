"""Issue 12.2 in the live sandbox: a job on the deploy repo's main cannot assume the production role.

An attacker with Developer rights merges a job to main that presents its ID token to the prod role. GitLab
would mint that job's token with ``sub`` ``project_path:<deploy repo>:ref_type:branch:ref:main``; the sandbox
mints the same token (same claims, same per-run key as its CI jobs get, `sandbox.oidc`) and presents it to
the sandbox's STS, which evaluates the role's trust policy as rendered by the project stack. The token must be
refused by the prod role and, as a control that the token itself is sound, accepted by the staging role.
"""

from __future__ import annotations

from typing import Any

from sandbox import oidc
from sandbox.lifecycle.context import Context, StageError


def main_job_token(ctx: Context, deploy: Any) -> str:
    """The ID token (aud sts.amazonaws.com) a job of a pipeline on the deploy repo's main would get."""
    runner = ctx.cloud.runner
    if runner is None:
        raise StageError("the sandbox's CI runner is not running")
    identity = oidc.JobIdentity(
        server_url=ctx.cloud.gitlab_url,
        project_path=deploy.path_with_namespace,
        project_id=int(deploy.id),
        namespace_path=deploy.path_with_namespace.rsplit("/", 1)[0],
        namespace_id=int(deploy.namespace["id"]),
        ref="main",
        pipeline_id=0,
        pipeline_source="push",
        job_id=0,
    )
    return runner.signer.sign(oidc.claims(identity, "sts.amazonaws.com"))


def _assume(ctx: Context, role_arn: str, token: str) -> str:
    sts = ctx.aws("sts")
    try:
        sts.assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="main-job", WebIdentityToken=token
        )
    except sts.exceptions.ClientError as error:
        return str(error.response.get("Error", {}).get("Code", "error"))
    return "credentials"


def main_token_refused_by_prod_role(ctx: Context, deploy: Any) -> str:
    """``AccessDenied`` from the prod role (checked), after the staging role accepted the same token."""
    roles = {v.key: v.value for v in deploy.variables.list(get_all=True)}
    token = main_job_token(ctx, deploy)
    staging = _assume(ctx, roles["STAGING_ROLE_ARN"], token)
    if staging != "credentials":
        raise StageError(
            f"the staging role refused a main-branch job's token ({staging}): the control failed"
        )
    prod = _assume(ctx, roles["PROD_ROLE_ARN"], token)
    if prod != "AccessDenied":
        raise StageError(
            f"a job on main presenting its ID token to the prod role got {prod}, not AccessDenied: any job "
            "merged to main could deploy to production"
        )
    return prod
