"""Keep tokens out of every log record, response and error message.

Tokens are registered as soon as they are known. A log record factory (installed once) rewrites every
record of every logger -- ours, python-gitlab's, urllib3's, botocore's -- at creation time, so no handler
(the Lambda runtime's, a test's capture) can ever see a registered token.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

MASK = "***"
# Shorter strings would make redaction mangle ordinary text; real tokens are 20+ characters.
_MIN_SECRET_LEN = 8

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def register(secret: str) -> None:
    """Remember ``secret`` so that it is masked everywhere from now on."""
    if len(secret) >= _MIN_SECRET_LEN:
        with _lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    """Return ``text`` with every registered secret replaced by ``***``."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def forget_all() -> None:
    """Drop all registered secrets (start of an invocation; tests)."""
    with _lock:
        _secrets.clear()


def install() -> None:
    """Wrap the logging record factory so every record is redacted when it is created."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)


def _redact_record(record: logging.LogRecord) -> None:
    with _lock:
        if not _secrets:
            return
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it to logging's own error handling
        return
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[1] is not None:
        # Pre-render the traceback so formatters print the redacted text instead of re-rendering it.
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = redact(text)
