"""Retry transient GitLab failures (5xx, 429, timeouts) with backoff and jitter, within the deadline.

The retry lives in the HTTP session handed to python-gitlab, so every GitLab call gets it and
python-gitlab's own unbounded retries stay off. Auth and validation errors (4xx other than 429) are
returned at once for the caller to turn into an actionable message.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from seeder import logs
from seeder.deadline import Deadline
from seeder.errors import TransientGitLabError

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def backoff_delay(attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return rand() * min(cap, base * (2.0 ** min(attempt, 32)))


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), ``None`` if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryingSession(requests.Session):
    """A ``requests.Session`` that retries transient failures, at most ``max_attempts`` times per request
    and never past the deadline."""

    def __init__(
        self,
        deadline: Deadline,
        request_timeout: float,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        max_attempts: int = 6,
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__()
        self.deadline = deadline
        self.request_timeout = request_timeout
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        self._sleep = sleep
        self.attempts = 0  # every HTTP request sent, retries included (reported in the logs)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        what = f"{request.method} {urlsplit(request.url or '').path}"
        attempt = 0
        while True:
            left = self.deadline.remaining()
            if left <= 0:
                raise TransientGitLabError(
                    f"no time left to call GitLab ({what}); raise the seeder Lambda timeout and retry"
                )
            kwargs["timeout"] = max(0.1, min(self.request_timeout, left))
            self.attempts += 1
            problem: str
            delay: float
            try:
                response = super().send(request, **kwargs)
            except (requests.Timeout, requests.ConnectionError) as exc:
                kind = "timed out" if isinstance(exc, requests.Timeout) else "could not be reached"
                problem = f"GitLab {kind}"
                delay = backoff_delay(attempt, self.base_delay, self.max_delay)
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    return response
                problem = f"GitLab answered {response.status_code}"
                delay = backoff_delay(attempt, self.base_delay, self.max_delay)
                hinted = retry_after_seconds(response.headers.get("Retry-After"))
                if hinted is not None:
                    delay = max(hinted, delay if response.status_code != 429 else 0.0)
                response.close()
            attempt += 1
            if attempt >= self.max_attempts or delay >= self.deadline.remaining():
                raise TransientGitLabError(
                    f"{problem} for {what} after {attempt} attempt(s); "
                    "check GitLab's health and retry the stack operation"
                )
            logs.log(
                "gitlab.retry",
                method=request.method,
                what=what,
                problem=problem,
                attempt=attempt,
                delay=round(delay, 2),
            )
            self._sleep(delay)
