"""Parse and validate the custom resource properties into a typed value (README contract).

The platform values (GitLab URL, token secret, group) are not properties: they come from the function's
environment (:mod:`seeder.environment`); an event that carries ``GitLab*`` keys has them ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from contracts.names import PROJECT_ID_PATTERN, PROJECT_NAME_MAX, PROJECT_NAME_PATTERN
from seeder.errors import SeederError

# GitLab's rule for CI/CD variable keys.
_VARIABLE_KEY = re.compile(r"^[a-zA-Z0-9_]{1,255}$")


class DeletionPolicy(StrEnum):
    RETAIN = "Retain"
    ARCHIVE = "Archive"
    DELETE = "Delete"


@dataclass(frozen=True)
class SeederProperties:
    project_name: str
    project_id: str
    deletion_policy: DeletionPolicy
    seed_bucket: str
    seed_build_key: str
    seed_deploy_key: str
    trigger_secret_name: str
    deploy_stack_names: tuple[str, ...]
    build_variables: Mapping[str, str] = field(default_factory=dict)
    deploy_variables: Mapping[str, str] = field(default_factory=dict)

    def variables(self, kind: str) -> Mapping[str, str]:
        return self.build_variables if kind == "build" else self.deploy_variables

    def seed_key(self, kind: str) -> str:
        return self.seed_build_key if kind == "build" else self.seed_deploy_key


class _Collector:
    """Collects every problem so one failed deployment reports all of them at once."""

    def __init__(self, raw: Mapping[str, Any]):
        self.raw = raw
        self.problems: list[str] = []

    def text(
        self, name: str, pattern: re.Pattern[str] | None = None, hint: str = "", max_len: int = 2048
    ) -> str:
        value = self.raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.problems.append(f"{name} is required")
            return ""
        if not isinstance(value, str):
            self.problems.append(f"{name} must be a string")
            return ""
        value = value.strip()
        if len(value) > max_len or (pattern is not None and not pattern.match(value)):
            self.problems.append(f"{name} '{value[:64]}' is invalid{hint}")
        return value

    def variables(self, name: str) -> dict[str, str]:
        value = self.raw.get(name, {})
        if value in (None, ""):
            return {}
        if not isinstance(value, Mapping):
            self.problems.append(f"{name} must be a map of variable name to string value")
            return {}
        result: dict[str, str] = {}
        for key, item in value.items():
            if not isinstance(key, str) or not _VARIABLE_KEY.match(key):
                self.problems.append(f"{name} key '{str(key)[:64]}' is not a valid CI/CD variable name")
            elif not isinstance(item, str):
                self.problems.append(f"{name}.{key} must be a string")
            else:
                result[key] = item
        return result

    def names(self, name: str) -> tuple[str, ...]:
        value = self.raw.get(name, [])
        if isinstance(value, str):  # a CommaDelimitedList passed through !Join or a plain string
            value = [part for part in value.split(",")]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.append(f"{name} must be a list of stack names")
            return ()
        return tuple(v.strip() for v in value if v.strip())


def parse_properties(raw: Mapping[str, Any]) -> SeederProperties:
    """Return the typed properties or raise :class:`SeederError` naming every invalid property."""
    c = _Collector(raw)
    project_name = c.text(
        "ProjectName", PROJECT_NAME_PATTERN, " (1-32 letters, digits and hyphens)", PROJECT_NAME_MAX
    )
    project_id = c.text("ProjectId", PROJECT_ID_PATTERN, " (p- and 12 lower-case letters or digits)", 14)
    policy_raw = raw.get("RepositoryDeletionPolicy") or DeletionPolicy.ARCHIVE.value
    policies = {p.value.lower(): p for p in DeletionPolicy}
    policy = policies.get(str(policy_raw).strip().lower())
    if policy is None:
        c.problems.append(
            f"RepositoryDeletionPolicy '{str(policy_raw)[:32]}' must be one of {', '.join(p.value for p in DeletionPolicy)}"
        )
        policy = DeletionPolicy.ARCHIVE
    props = SeederProperties(
        project_name=project_name,
        project_id=project_id,
        deletion_policy=policy,
        seed_bucket=c.text("SeedCodeBucket"),
        seed_build_key=c.text("SeedBuildRepoKey"),
        seed_deploy_key=c.text("SeedDeployRepoKey"),
        trigger_secret_name=c.text("TriggerSecretName"),
        deploy_stack_names=c.names("DeployStackNames"),
        build_variables=c.variables("BuildRepoVariables"),
        deploy_variables=c.variables("DeployRepoVariables"),
    )
    if c.problems:
        raise SeederError("invalid properties: " + "; ".join(c.problems))
    return props
