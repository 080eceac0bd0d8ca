"""The state of one invocation, shared by the request handlers and the watchdog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from seeder import logs
from seeder.clients import Aws
from seeder.deadline import Deadline
from seeder.environment import Environment
from seeder.gitlab_ops import Repo
from seeder.settings import Settings


@dataclass
class Run:
    event: Mapping[str, Any]
    env: Environment
    settings: Settings
    deadline: Deadline
    aws: Aws
    stage: str = "starting"
    gitlab_calls: int = 0
    failure_physical_id: str = ""
    made: list[Repo] = field(default_factory=list)  # repos this Create made or adopted (cleanup on failure)
    made_secret: bool = False

    def at(self, stage: str) -> None:
        self.stage = stage
        logs.log("stage", stage=stage, seconds_left=round(self.deadline.remaining(), 1))


@dataclass(frozen=True)
class Outcome:
    physical_id: str
    data: Mapping[str, str]
    reason: str = ""
