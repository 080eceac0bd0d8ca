"""The notification rule, message text and secret parsing (pure functions; expected values by hand)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.gitlab_token_secret import token_from
from token_monitor import policy
from token_monitor.gitlab_token import TokenInfo, parse_token_info
from token_monitor.message import compose
from token_monitor.policy import Status
from token_monitor.secret import MonitorError

TODAY = date(2026, 12, 3)
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gitlab-token-AbCdEf"


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (31, False),
        (30, True),
        (29, False),
        (15, False),
        (14, True),
        (13, False),
        (8, False),
        (7, True),
        (3, True),
        (1, True),
        (0, True),
        (-5, True),
    ],
)
def test_notify_days_default(days: int, expected: bool) -> None:
    assert policy.notify_on(days) is expected


def test_notify_days_custom_first_warning() -> None:
    assert policy.notify_on(60, warn_days=60) is True
    assert policy.notify_on(30, warn_days=60) is False
    assert policy.notify_on(14, warn_days=60) is True


def test_decide_counts_expiry_day_as_expired() -> None:
    # GitLab: the token stops working at 00:00 UTC on expires_at.
    assert policy.decide(date(2026, 12, 3), TODAY) == policy.Decision(Status.EXPIRED, 0, True)
    assert policy.decide(date(2026, 12, 4), TODAY) == policy.Decision(Status.EXPIRING, 1, True)
    assert policy.decide(date(2027, 1, 2), TODAY) == policy.Decision(Status.EXPIRING, 30, True)
    assert policy.decide(date(2027, 1, 3), TODAY) == policy.Decision(Status.OK, 31, False)


def test_decide_inactive_and_no_expiry() -> None:
    assert policy.decide(date(2027, 6, 1), TODAY, active=False).status is Status.EXPIRED
    assert policy.decide(None, TODAY) == policy.Decision(Status.NO_EXPIRY, None, False)


@pytest.mark.parametrize("value", ["0", "366", "x", "-1"])
def test_warn_days_refuses_bad_values(value: str) -> None:
    with pytest.raises(ValueError, match="WARN_DAYS"):
        policy.parse_warn_days(value)


def test_warn_days_default_and_value() -> None:
    assert policy.parse_warn_days(None) == 30
    assert policy.parse_warn_days("") == 30
    assert policy.parse_warn_days("45") == 45


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("glpat-abc", "glpat-abc"),
        ("  glpat-abc\n", "glpat-abc"),
        ('{"token": "glpat-abc"}', "glpat-abc"),
        ('{"other": 1}', ""),
        ("{not json", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_token_from_secret(value: str | None, expected: str) -> None:
    assert token_from(value) == expected


def test_parse_token_info_reads_gitlab_fields() -> None:
    info = parse_token_info(
        {
            "id": 7,
            "name": "platform",
            "active": True,
            "revoked": False,
            "expires_at": "2027-01-02",
            "scopes": ["api"],
        }
    )
    assert info == TokenInfo(7, "platform", True, date(2027, 1, 2), ("api",))
    assert parse_token_info({"id": 7, "revoked": True, "active": True}).active is False


def test_parse_token_info_refuses_garbage() -> None:
    with pytest.raises(MonitorError, match="expires_at"):
        parse_token_info({"id": 1, "expires_at": "soon"})
    with pytest.raises(MonitorError, match="not a token object"):
        parse_token_info(["id"])


def test_expiring_message_names_token_date_days_and_steps() -> None:
    info = TokenInfo(7, "platform", True, date(2026, 12, 10), ("api",))
    notice = compose(
        policy.decide(info.expires_at, TODAY),
        info,
        secret_arn=ARN,
        gitlab_url="https://gl.example",
        today=TODAY,
    )
    assert notice.subject == "The platform's GitLab token expires in 7 days (2026-12-10)"
    assert "'platform' (id 7)" in notice.body
    assert (
        f"aws secretsmanager put-secret-value --secret-id {ARN} --secret-string file://token.json"
        in notice.body
    )
    assert "Check: aws lambda invoke --function-name gitlab-token-monitor" in notice.body
    assert "Revoke the old token 'platform' (id 7)" in notice.body
    assert "deploy trigger token is separate" in notice.body


def test_refused_message_is_loud() -> None:
    notice = compose(policy.refused(), None, secret_arn=ARN, gitlab_url="https://gl.example", today=TODAY)
    assert notice.subject.startswith("ACTION REQUIRED")
    assert len(notice.subject) <= 100
    assert "creating SageMaker projects from the product fails" in notice.body
    assert "updating or deleting existing projects fails" in notice.body
