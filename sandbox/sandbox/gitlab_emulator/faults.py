"""Fault injection and the request log, both keyed by method + route template.

A route template is the emulator's name for an endpoint, e.g. ``POST /projects/:id/repository/commits`` or
``GET /projects/:id`` (git smart HTTP: ``POST /:namespace/:project.git/git-receive-pack``). Rules match it
exactly, or every route with ``"*"``; ``times`` limits a rule ("fail the next 2 calls"), after which it is
spent. Rules are consulted before authentication, like a proxy or a load balancer failing in front of GitLab.

The request log records method, route template, status and the project id when the route has one: never
paths, query strings, bodies or headers, so tokens cannot reach it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

# GitLab's (nginx / workhorse) bodies for the errors clients see in the wild.
_BODIES: dict[int, dict[str, Any]] = {
    401: {"message": "401 Unauthorized"},
    403: {"message": "403 Forbidden"},
    404: {"message": "404 Not Found"},
    429: {"message": "429 Too Many Requests"},
    500: {"message": "500 Internal Server Error"},
    502: {"message": "502 Bad Gateway"},
    503: {"message": "503 Service Unavailable"},
    504: {"message": "504 Gateway Timeout"},
}


@dataclass
class Fault:
    """What to do to a matching request.

    ``status``: answer with this status (body GitLab-like unless ``body`` given), without processing.
    ``delay``: sleep this many seconds first (longer than the client's timeout = a timeout); with
    ``status=None`` the request is then processed normally (GitLab was slow but did the work).
    ``retry_after``: adds ``Retry-After`` (seconds) to the answer, as GitLab's rate limiter does on 429.
    """

    status: int | None = None
    delay: float = 0.0
    body: dict[str, Any] | None = None
    retry_after: int | None = None

    def response_body(self) -> dict[str, Any]:
        assert self.status is not None
        return self.body or _BODIES.get(self.status, {"message": f"{self.status} Error"})


@dataclass
class _Rule:
    method: str
    route: str
    fault: Fault
    remaining: int | None  # None = forever


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    route: str  # template, e.g. "/projects/:id/variables"
    status: int
    project_id: int | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.route}"


@dataclass
class Faults:
    """Thread-safe fault rules plus the request log."""

    _rules: list[_Rule] = field(default_factory=list)
    _log: list[LoggedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _answered: threading.Condition = field(init=False)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._answered = threading.Condition(self._lock)  # notified by record(): waits need no polling

    def inject(self, endpoint: str, fault: Fault, times: int | None = 1) -> None:
        """Add a rule for ``endpoint`` (``"POST /projects"``, ``"* *"``); ``times=None`` = until cleared."""
        method, _, route = endpoint.partition(" ")
        if not route:
            raise ValueError(f"endpoint must be 'METHOD /route/template', got {endpoint!r}")
        with self._lock:
            self._rules.append(_Rule(method.upper(), route, fault, times))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str, route: str) -> Fault | None:
        """The first live rule matching this request (consuming one use), if any."""
        with self._lock:
            for rule in self._rules:
                if rule.method in ("*", method) and rule.route in ("*", route):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining <= 0:
                            self._rules.remove(rule)
                    return rule.fault
            return None

    def record(self, entry: LoggedRequest) -> None:
        with self._answered:
            self._log.append(entry)
            self._answered.notify_all()

    def wait_answered(self, endpoint: str, count: int, timeout_s: float) -> bool:
        """Block until ``count`` requests for ``endpoint`` were answered (True) or ``timeout_s`` passed."""
        with self._answered:
            return self._answered.wait_for(
                lambda: sum(1 for r in self._log if r.endpoint == endpoint) >= count, timeout_s
            )

    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def count(self, endpoint: str | None = None) -> int:
        """Requests answered so far, for ``"METHOD /route"`` or all of them."""
        return sum(1 for r in self.requests() if endpoint is None or r.endpoint == endpoint)
