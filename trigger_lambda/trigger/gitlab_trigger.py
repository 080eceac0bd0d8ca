"""Start the deploy repo's pipeline: one ``POST /projects/:id/trigger/pipeline`` per deploy.

Only the per-project pipeline trigger token is used (never the platform's API token). The token travels in
the request body, so it is in no URL, header or log line that urllib3/requests/python-gitlab write; error
messages built here never include it either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import gitlab
import requests

from contracts import trigger_secret
from trigger.config import GITLAB_TIMEOUT_SECONDS


class SecretFormatError(ValueError):
    """The trigger secret does not hold the documented JSON; raised (retry, then DLQ)."""


class GitLabAccessError(RuntimeError):
    """GitLab refused the trigger (401/403/404): token revoked/rotated or deploy project gone."""


class GitLabRejectedError(RuntimeError):
    """GitLab refused the request itself (400/422: unknown ref, no jobs for a triggered pipeline)."""


class PipelineVariablesForbiddenError(GitLabRejectedError):
    """GitLab refused the trigger's variables: the project's minimum role for pipeline variables is too high."""


# GitLab's answer when the token's owner is below the project's ci_pipeline_variables_minimum_override_role
# (pipeline creation's permission check). GitLab.com gives new projects in new namespaces "no_one_allowed"
# since 17.7 (gitlab issues 502382, 515794), which refuses every trigger, even one without variables (its own TRIGGER_PAYLOAD; gitlab issue 557381).
PIPELINE_VARIABLES_REFUSED = "Insufficient permissions to set pipeline variables"


class GitLabUnavailableError(RuntimeError):
    """GitLab failed or did not answer (5xx, 429, timeouts, other errors): retried by Lambda."""


@dataclass(frozen=True)
class TriggerSecret:
    """The per-project secret written by the seeder (README contract)."""

    gitlab_url: str
    project_id: int
    ref: str
    token: str = field(repr=False)


@dataclass(frozen=True)
class PipelineRef:
    id: int
    web_url: str | None


def parse_trigger_secret(secret_name: str, text: str) -> TriggerSecret:
    """Validate the secret's JSON with the shared schema (``contracts.trigger_secret``, which the seeder
    writes). Messages name the secret and the field, never a value."""
    try:
        parsed = trigger_secret.parse(secret_name, text)
    except trigger_secret.SecretFormatError as error:
        raise SecretFormatError(str(error)) from None
    return TriggerSecret(
        gitlab_url=parsed.gitlab_url, project_id=parsed.project_id, ref=parsed.ref, token=parsed.token
    )


def make_client(gitlab_url: str) -> gitlab.Gitlab:
    """An unauthenticated client: the trigger token authenticates the one call by itself."""
    return gitlab.Gitlab(gitlab_url, timeout=GITLAB_TIMEOUT_SECONDS, retry_transient_errors=False)


def _scrub(text: str, secret: TriggerSecret) -> str:
    return text.replace(secret.token, "[REDACTED]")


def trigger_pipeline(client: gitlab.Gitlab, secret: TriggerSecret, variables: dict[str, str]) -> PipelineRef:
    """Create the pipeline; exactly one HTTP request (the project object is lazy: no GET first).

    No retries in here: a failure raises, so Lambda's asynchronous retries (and then the DLQ with its
    alarm) apply. A retried request after a timeout may create a second pipeline for the same event;
    that is harmless because the deploy pipeline serialises per stage and deploys the same package.
    """
    project = client.projects.get(secret.project_id, lazy=True)
    where = f"deploy project {secret.project_id} on {secret.gitlab_url}"
    try:
        pipeline = project.trigger_pipeline(
            secret.ref, secret.token, variables=variables, obey_rate_limit=False
        )
    except (gitlab.GitlabAuthenticationError, gitlab.GitlabHttpError, gitlab.GitlabCreateError) as exc:
        code = exc.response_code
        message = _scrub(str(exc.error_message), secret)
        if code in (401, 403, 404):
            raise GitLabAccessError(
                f"GitLab answered {code} ({message}) to the pipeline trigger of {where}: "
                f"trigger token revoked or deploy project {secret.project_id} gone: re-run the project's "
                "seeder by updating the project stack"
            ) from None
        if code == 400 and PIPELINE_VARIABLES_REFUSED in message:
            raise PipelineVariablesForbiddenError(
                f"GitLab refused the pipeline variables of the trigger of {where} with 400 ({message}): "
                "the trigger token's owner is below the deploy project's \"Minimum role to use pipeline "
                'variables" (GitLab.com defaults new projects to no_one_allowed, which refuses every trigger). '
                "Set it to Maintainer: "
                'Settings > CI/CD > Variables > "Minimum role to use pipeline variables" = Maintainer, or '
                f"PUT /projects/{secret.project_id} with ci_pipeline_variables_minimum_override_role=maintainer"
            ) from None
        if code in (400, 422):
            raise GitLabRejectedError(
                f"GitLab rejected the pipeline trigger of {where} with {code} ({message}): check that ref "
                f"{secret.ref!r} exists and that the deploy repo's .gitlab-ci.yml creates jobs for "
                "trigger pipelines"
            ) from None
        raise GitLabUnavailableError(
            f"GitLab answered {code} ({message}) to the pipeline trigger of {where}; "
            "the event will be retried"
        ) from None
    except requests.RequestException as exc:
        # URLs carry no token (it is in the body), so the requests error text is safe to keep.
        raise GitLabUnavailableError(
            f"GitLab did not answer the pipeline trigger of {where} "
            f"({type(exc).__name__}: {_scrub(str(exc), secret)}); the event will be retried"
        ) from None
    pipeline_id = pipeline.attributes.get("id")
    if not isinstance(pipeline_id, int):
        raise GitLabUnavailableError(f"GitLab's answer to the pipeline trigger of {where} has no pipeline id")
    web_url = pipeline.attributes.get("web_url")
    return PipelineRef(id=pipeline_id, web_url=web_url if isinstance(web_url, str) else None)
