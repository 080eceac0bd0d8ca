"""When to notify: pure functions of the token's expiry date and today's date (UTC).

GitLab caps access-token lifetimes at 365 days, and a token stops working at 00:00 UTC on its
``expires_at`` date (https://docs.gitlab.com/user/profile/personal_access_tokens/#access-token-expiration).
So ``days_left = expires_at - today`` counts the days on which the token still works; 0 means expired.

The rule (one message on a few days, then daily at the end, so a reminder is never missed and never spam):
notify when ``days_left`` equals the configured warning days (default 30) or 14, and on every day from
7 days left down to 1; expired, revoked or refused tokens notify every day until fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

DEFAULT_WARN_DAYS = 30
# Fixed reminders besides the configured first warning.
REMINDER_DAYS = frozenset({14})
# From this many days left, one message a day.
DAILY_FROM_DAYS = 7


class Status(StrEnum):
    OK = "ok"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    # GitLab refused the token (401): revoked, expired or deleted; the expiry date is then unknown.
    REFUSED = "refused"
    # The token has no expiry date (possible on older self-managed instances): nothing to warn about.
    NO_EXPIRY = "no_expiry"


@dataclass(frozen=True)
class Decision:
    status: Status
    days_left: int | None
    notify: bool


def days_left(expires_at: date, today: date) -> int:
    return (expires_at - today).days


def notify_on(days: int, warn_days: int = DEFAULT_WARN_DAYS) -> bool:
    """Whether a token with ``days`` working days left is worth a message today."""
    if days <= 0:
        return True
    return days == warn_days or days in REMINDER_DAYS or days <= DAILY_FROM_DAYS


def decide(
    expires_at: date | None, today: date, *, active: bool = True, warn_days: int = DEFAULT_WARN_DAYS
) -> Decision:
    """The decision for a token GitLab described (``active`` is GitLab's flag: false once revoked/expired)."""
    if not active:
        left = days_left(expires_at, today) if expires_at else None
        return Decision(Status.EXPIRED, left, True)
    if expires_at is None:
        return Decision(Status.NO_EXPIRY, None, False)
    left = days_left(expires_at, today)
    if left <= 0:
        return Decision(Status.EXPIRED, left, True)
    notify = notify_on(left, warn_days)
    status = Status.EXPIRING if left <= max(warn_days, max(REMINDER_DAYS), DAILY_FROM_DAYS) else Status.OK
    return Decision(status, left, notify)


def refused() -> Decision:
    return Decision(Status.REFUSED, None, True)


def parse_warn_days(value: str | None) -> int:
    """``WARN_DAYS`` from the environment: a whole number of days, 1-365."""
    if value is None or value.strip() == "":
        return DEFAULT_WARN_DAYS
    try:
        days = int(value)
    except ValueError:
        raise ValueError(f"WARN_DAYS must be a whole number of days (1-365), got {value!r}") from None
    if not 1 <= days <= 365:
        raise ValueError(f"WARN_DAYS must be between 1 and 365 (GitLab's maximum lifetime), got {days}")
    return days
