"""One check: read the token, ask GitLab about it, decide, publish. Clients are passed in (tests use moto
and the GitLab emulator)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import requests

from contracts import jsonlog
from token_monitor import policy
from token_monitor.gitlab_token import TokenInfo, TokenRefusedError, fetch_token_info
from token_monitor.message import compose
from token_monitor.secret import MonitorError, read_token


@dataclass(frozen=True)
class Config:
    gitlab_url: str
    secret_arn: str
    topic_arn: str
    warn_days: int = policy.DEFAULT_WARN_DAYS

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        missing = [k for k in ("GITLAB_URL", "GITLAB_TOKEN_SECRET_ARN", "TOPIC_ARN") if not env.get(k)]
        if missing:
            raise MonitorError(f"environment variables missing: {', '.join(missing)} (set by platform.yaml)")
        return cls(
            gitlab_url=env["GITLAB_URL"],
            secret_arn=env["GITLAB_TOKEN_SECRET_ARN"],
            topic_arn=env["TOPIC_ARN"],
            warn_days=policy.parse_warn_days(env.get("WARN_DAYS")),
        )


def run(
    config: Config, *, sm: Any, sns: Any, session: requests.Session, today: date, logger: logging.Logger
) -> dict[str, Any]:
    """Check the token once; publish when the policy says so. Returns a summary (never the token).

    Errors other than a refused token (secret unreadable, GitLab unreachable) raise, so the function's
    Errors metric and its alarm report them."""
    token = read_token(sm, config.secret_arn)
    info: TokenInfo | None
    try:
        info = fetch_token_info(session, config.gitlab_url, token)
        decision = policy.decide(info.expires_at, today, active=info.active, warn_days=config.warn_days)
    except TokenRefusedError:
        info = None
        decision = policy.refused()
    del token
    summary: dict[str, Any] = {
        "status": decision.status.value,
        "days_left": decision.days_left,
        "expires_at": info.expires_at.isoformat() if info and info.expires_at else None,
        "token_id": info.id if info else None,
        "token_name": info.name if info else None,
        "notified": False,
    }
    if decision.notify:
        notice = compose(
            decision, info, secret_arn=config.secret_arn, gitlab_url=config.gitlab_url, today=today
        )
        sns.publish(TopicArn=config.topic_arn, Subject=notice.subject, Message=notice.body)
        summary["notified"] = True
    level = (
        logging.WARNING if decision.status in (policy.Status.EXPIRED, policy.Status.REFUSED) else logging.INFO
    )
    jsonlog.log(logger, "token.checked", level=level, **summary)
    return summary
