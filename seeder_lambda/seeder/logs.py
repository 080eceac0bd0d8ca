"""Structured logging for the seeder: one JSON object per line (:mod:`contracts.jsonlog`), tokens redacted."""

from __future__ import annotations

import logging
from typing import Any

from contracts import jsonlog
from seeder import redact

LOGGER = logging.getLogger("seeder")


def setup(level: int = logging.INFO) -> None:
    """Make our records visible in CloudWatch and keep tokens out of every record."""
    redact.install()
    jsonlog.setup(LOGGER, level)


def log(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``event`` with ``fields`` as one JSON line, e.g. ``{"event": "repo.created", "path": ...}``."""
    jsonlog.log(LOGGER, event, level, **fields)
