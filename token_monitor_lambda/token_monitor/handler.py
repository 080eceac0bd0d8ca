"""Lambda entry point: configuration from the environment, then ``monitor.run``."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from typing import Any

import boto3
import requests

from contracts import jsonlog
from token_monitor.monitor import Config, run

LOGGER = logging.getLogger("token_monitor")
jsonlog.setup(LOGGER)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    config = Config.from_env(os.environ)
    with requests.Session() as session:
        result = run(
            config,
            sm=boto3.client("secretsmanager"),
            sns=boto3.client("sns"),
            session=session,
            today=datetime.now(UTC).date(),
            logger=LOGGER,
        )
    return result
