"""What every stage shares: the project being lived through, the facts gathered so far, and how to wait."""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox import data as data_module
from sandbox.cloud import GROUP_PATH, LocalCloud

ROOT = Path(__file__).resolve().parents[3]
PROJECT_NAME = "abalone"
Log = Callable[[str], None]

# How often the lifecycle (the "user") polls GitLab and AWS: each poll is a local HTTP request of a few ms,
# and on average half an interval is lost per wait, so keep it short (the long build wait polls less, to
# leave the CPU to its jobs).
POLL_S = 0.1


class StageError(Exception):
    """A stage's expectation did not hold; the message is the report's error."""


def wait_for(what: str, predicate: Callable[[], Any], timeout_s: float, interval_s: float = POLL_S) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned), or fail the stage naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise StageError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(interval_s)


def project_id() -> str:
    """An id in Studio's format (``p-`` + 12 lowercase alphanumerics), fresh per run."""
    alphabet = string.ascii_lowercase + string.digits
    return "p-" + "".join(secrets.choice(alphabet) for _ in range(12))


@dataclass
class Context:
    cloud: LocalCloud
    dataset: data_module.Dataset
    log: Log
    name: str = PROJECT_NAME
    project_id: str = field(default_factory=project_id)
    version: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        return f"{self.name}-{self.project_id}"

    @property
    def project_stack(self) -> str:
        return f"SC-sagemaker-project-{self.prefix}"

    def deploy_stack(self, stage: str) -> str:
        return f"sagemaker-{self.prefix}-deploy-{stage}"

    def repo_path(self, kind: str) -> str:
        return f"{GROUP_PATH}/{self.prefix}-model-{kind}"

    def aws(self, service: str) -> Any:
        return self.cloud.aws.client(service)
