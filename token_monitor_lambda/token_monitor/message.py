"""The SNS message: what is wrong, what breaks, and the exact rotation steps. Pure text functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from token_monitor.gitlab_token import TokenInfo
from token_monitor.policy import Decision, Status

# SNS email subjects: at most 100 printable ASCII characters.
SUBJECT_LIMIT = 100


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def what_breaks() -> str:
    return (
        "While the token does not work: creating SageMaker projects from the product fails (their GitLab "
        "repositories cannot be seeded), and updating or deleting existing projects fails (their stacks "
        "cannot update or remove the repositories). Model deployments already wired keep working: each "
        "project's deploy trigger token is separate and not affected."
    )


def rotation_steps(secret_arn: str, gitlab_url: str, info: TokenInfo | None) -> str:
    scopes = ", ".join(info.scopes) if info and info.scopes else "api"
    old = f"'{info.name}' (id {info.id})" if info else "the old token"
    return "\n".join(
        [
            "How to rotate (no project needs to change):",
            f"1. In GitLab ({gitlab_url}), open the platform group > Settings > Access tokens and add a new "
            f"group access token with the same role (Owner or Maintainer) and scopes ({scopes}), and an "
            "expiry date (at most 365 days).",
            "2. Store it in the existing secret (projects read the secret by ARN, so nothing else changes):",
            f"   aws secretsmanager put-secret-value --secret-id {secret_arn} --secret-string file://token.json",
            '   where token.json holds {"token": "<new token>"} (keeps it out of shell history; delete it after).',
            f"3. Revoke the old token {old} in the same GitLab page.",
            "4. Check: aws lambda invoke --function-name gitlab-token-monitor out.json (shows the new expires_at).",
        ]
    )


def compose(
    decision: Decision, info: TokenInfo | None, *, secret_arn: str, gitlab_url: str, today: date
) -> Notice:
    name = f"'{info.name}' (id {info.id})" if info else "in the platform secret"
    expiry = info.expires_at.isoformat() if info and info.expires_at else "unknown"
    steps = rotation_steps(secret_arn, gitlab_url, info)
    if decision.status is Status.REFUSED:
        subject = "ACTION REQUIRED: the platform's GitLab token is refused (revoked or expired)"
        lead = (
            f"GitLab ({gitlab_url}) refuses the platform's GitLab token {name} (HTTP 401): it is revoked, "
            "expired or deleted."
        )
    elif decision.status is Status.EXPIRED:
        subject = f"ACTION REQUIRED: the platform's GitLab token expired on {expiry}"
        lead = f"The platform's GitLab token {name} expired on {expiry} (00:00 UTC) or was revoked."
    else:
        days = decision.days_left
        plural = "day" if days == 1 else "days"
        subject = f"The platform's GitLab token expires in {days} {plural} ({expiry})"
        lead = (
            f"The platform's GitLab token {name} expires on {expiry} at 00:00 UTC: {days} {plural} left "
            f"(checked {today.isoformat()})."
        )
    body = "\n\n".join([lead, what_breaks(), steps, f"Secret: {secret_arn}"])
    return Notice(subject=subject[:SUBJECT_LIMIT], body=body)
