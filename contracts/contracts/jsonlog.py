"""One logging style for both Lambdas: one JSON object per line, ``{"event": "...", <fields>}``.

CloudWatch Logs Insights parses such lines into fields, so ``filter event = "pipeline.triggered"`` works
the same for the seeder and the trigger. Callers pass their own logger; redaction of secrets is the
caller's (each Lambda installs its own filter on its logger).
"""

from __future__ import annotations

import json
import logging
from typing import Any


def setup(logger: logging.Logger, level: int = logging.INFO) -> None:
    """Make ``logger``'s records visible: inside Lambda the runtime's root handler prints them; outside
    (local runs, tests) the root logger has no handler, so one that prints the bare message is added."""
    logger.setLevel(level)
    if not logging.getLogger().handlers and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)


def line(event: str, **fields: Any) -> str:
    return json.dumps({"event": event, **fields}, default=str, sort_keys=True)


def log(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``event`` with ``fields`` as one JSON line, e.g. ``{"event": "repo.created", "path": ...}``."""
    logger.log(level, line(event, **fields))
