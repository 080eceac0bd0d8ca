"""ID tokens for a pipeline's jobs: gitlab-ci-local 4.73 accepts `id_tokens` but does not implement them.

The runner signs one RS256 JWT per declared token name with GitLab's claims (oidc.py;
https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload): `sub` =
`project_path:<group>/<repo>:ref_type:<branch|tag>:ref:<ref>`, `ref_type`, `ref_protected` as the ref is
protected, `user_login` of the pipeline's user, the job's `aud`. Tokens stay in memory (`PipelineRun.tokens`)
and reach disk only while gitlab-ci-local runs; their values are masked in traces.
"""

from __future__ import annotations

from typing import Any

from sandbox import oidc
from sandbox.ci_plan import id_token_audiences
from sandbox.ci_workspace import PipelineRun
from sandbox.gitlab_emulator.protected_refs import is_protected_ref


def mint_id_tokens(
    state: Any, signer: oidc.Signer, server_url: str, run: PipelineRun, definitions: dict[str, dict[str, Any]]
) -> None:
    """Sign one ID token per declared `id_tokens` name into `run.tokens` (in memory) and mask them."""
    project, pipeline = run.project, run.pipeline
    group_path = state.project_full_path(project).rsplit("/", 1)[0]
    first_job = next(iter(run.jobs.values()))
    user = state.users.get(pipeline.user_id) if pipeline.user_id else None
    identity = oidc.JobIdentity(
        server_url=server_url,
        project_path=state.project_full_path(project),
        project_id=project.id,
        namespace_path=group_path,
        namespace_id=project.namespace_id,
        ref=pipeline.ref,
        pipeline_id=pipeline.id,
        pipeline_source=pipeline.source,
        job_id=first_job.id,
        user_login=user.username if user else "sandbox",
        ref_type="tag" if pipeline.tag else "branch",
        ref_protected=is_protected_ref(project, pipeline.ref, tag=pipeline.tag),
    )
    run.tokens = {
        name: signer.sign(oidc.claims(identity, audience))
        for name, audience in id_token_audiences(definitions).items()
    }
    run.masked.extend(run.tokens.values())
