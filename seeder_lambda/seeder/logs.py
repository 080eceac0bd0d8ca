"""Structured (one JSON object per line) logging for the seeder."""

from __future__ import annotations

import json
import logging
from typing import Any

from seeder import redact

LOGGER = logging.getLogger("seeder")


def setup(level: int = logging.INFO) -> None:
    """Make our records visible in CloudWatch and keep tokens out of every record."""
    redact.install()
    LOGGER.setLevel(level)
    if not logging.getLogger().handlers and not LOGGER.handlers:
        # Outside Lambda (local runs) the root logger has no handler; inside, the runtime's is used.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOGGER.addHandler(handler)


def log(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``event`` with ``fields`` as one JSON line, e.g. ``{"event": "repo.created", "path": ...}``."""
    LOGGER.log(level, json.dumps({"event": event, **fields}, default=str, sort_keys=True))
