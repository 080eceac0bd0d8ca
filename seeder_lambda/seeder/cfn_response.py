"""Answer CloudFormation: the custom resource response PUT to the pre-signed ``ResponseURL``.

Only URLs that :mod:`seeder.event_guard` accepted as CloudFormation's reach :class:`Responder`.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from seeder import logs, redact

SUCCESS = "SUCCESS"
FAILED = "FAILED"
# CloudFormation rejects response bodies over 4096 bytes; the Reason is what we shorten to fit.
MAX_BODY_BYTES = 4096


def build_body(
    event: Mapping[str, Any],
    status: str,
    reason: str,
    physical_id: str,
    data: Mapping[str, Any] | None = None,
) -> bytes:
    """The JSON body, with the reason redacted and cut so the whole body fits in 4096 bytes."""
    body: dict[str, Any] = {
        "Status": status,
        "Reason": redact.redact(reason),
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
        "NoEcho": False,
        "Data": dict(data or {}),
    }
    encoded = json.dumps(body).encode()
    while len(encoded) > MAX_BODY_BYTES:
        excess = len(encoded) - MAX_BODY_BYTES
        text: str = body["Reason"]
        # json escapes can make a character take up to 6 bytes; cut generously, mark the cut.
        body["Reason"] = text[: max(0, len(text) - excess - 4)] + " ..."
        if not text:
            raise ValueError("response body too large even without a reason")
        encoded = json.dumps(body).encode()
    return encoded


class Responder:
    """Sends exactly one response per invocation, whoever asks first (the work or the deadline guard)."""

    def __init__(self, event: Mapping[str, Any], attempts: int = 3, timeout: float = 10.0):
        self._event = event
        self._lock = threading.Lock()
        self._sent: str | None = None
        self._attempts = attempts
        self._timeout = timeout

    @property
    def sent_status(self) -> str | None:
        return self._sent

    def send(self, status: str, reason: str, physical_id: str, data: Mapping[str, Any] | None = None) -> bool:
        """PUT the response; ``False`` if a response was already sent (the first one wins).

        Raises if the PUT keeps failing, so the next caller (or a Lambda retry) can try again.
        """
        with self._lock:
            if self._sent is not None:
                return False
            body = build_body(self._event, status, reason, physical_id, data)
            _put(str(self._event["ResponseURL"]), body, self._attempts, self._timeout)
            self._sent = status
            logs.log(
                "cfn.response", status=status, reason=redact.redact(reason)[:500], physical_id=physical_id
            )
            return True


def _urlopen(request: urllib.request.Request, timeout: float) -> Any:
    """The one place the response leaves the function (tests route CloudFormation's host to a local server
    here, as a network would)."""
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - checked by event_guard


def _put(url: str, body: bytes, attempts: int, timeout: float) -> None:
    # Content-Type must be empty: the URL is pre-signed for S3 without one.
    request = urllib.request.Request(  # noqa: S310 - the URL is CloudFormation's pre-signed https URL
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    for attempt in range(1, attempts + 1):
        try:
            with _urlopen(request, timeout) as reply:
                reply.read()
            return
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            logs.log("cfn.response.retry", attempt=attempt, error=type(exc).__name__)
            if attempt == attempts:
                raise
            time.sleep(0.5 * attempt)
