"""Parse and validate the custom resource properties into a typed value (README contract)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlparse

from seeder.errors import SeederError

# SageMaker's own patterns for the two Studio parameters.
_PROJECT_NAME = re.compile(r"^[a-zA-Z](-*[a-zA-Z0-9])*$")
_PROJECT_ID = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
# GitLab's rule for CI/CD variable keys.
_VARIABLE_KEY = re.compile(r"^[a-zA-Z0-9_]{1,255}$")
_GROUP_SEGMENT = re.compile(r"^[a-zA-Z0-9_.][a-zA-Z0-9_.-]*$")


class DeletionPolicy(StrEnum):
    RETAIN = "Retain"
    ARCHIVE = "Archive"
    DELETE = "Delete"


@dataclass(frozen=True)
class SeederProperties:
    project_name: str
    project_id: str
    gitlab_url: str
    token_secret_arn: str
    group_path: str
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
    project_name = c.text("ProjectName", _PROJECT_NAME, " (1-32 letters, digits and hyphens)", 32)
    project_id = c.text("ProjectId", _PROJECT_ID, " (up to 20 letters, digits and hyphens)", 20)
    gitlab_url = c.text("GitLabUrl").rstrip("/")
    if gitlab_url:
        parsed = urlparse(gitlab_url)
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            c.problems.append(
                f"GitLabUrl '{gitlab_url[:100]}' must be an http(s) URL such as https://gitlab.example.com"
            )
    token_secret_arn = c.text("GitLabTokenSecretArn")
    group_path = c.text("GitLabGroupPath").strip("/")
    if group_path and not all(_GROUP_SEGMENT.match(part) for part in group_path.split("/")):
        c.problems.append(f"GitLabGroupPath '{group_path[:100]}' is not a GitLab group path such as ml/team")
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
        gitlab_url=gitlab_url,
        token_secret_arn=token_secret_arn,
        group_path=group_path,
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
