"""The runner's plan: what gitlab-ci-local's listing and expanded preview say about a pipeline's jobs.

Pure functions (no processes): job specs, ``needs``, manual jobs' ``allow_failure`` (GitLab: manual jobs
default to allow_failure true, except in ``rules``, https://docs.gitlab.com/ci/yaml/#when), the ``id_tokens``
audiences (https://docs.gitlab.com/ci/yaml/#id_tokens) and masking of secrets in traces.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

ACTIVE_WHEN = {"on_success", "always", "on_failure", "delayed"}


@dataclass
class JobSpec:
    name: str
    stage: str
    when: str
    allow_failure: bool
    needs: list[str] = field(default_factory=list)


def parse_expanded(preview_yaml: str) -> dict[str, dict[str, Any]]:
    """Job definitions from `gitlab-ci-local --preview` (extends/includes/references already expanded)."""
    document = yaml.safe_load(preview_yaml) or {}
    reserved = {"stages", "variables", "default", "include", "workflow", "image", "services", "cache"}
    return {
        k: v
        for k, v in document.items()
        if (isinstance(v, dict) and not k.startswith(".") and k not in reserved and "script" in v)
        or (isinstance(v, dict) and "trigger" in v and not k.startswith("."))
    }


def needs_of(definition: dict[str, Any]) -> list[str]:
    names = []
    for need in definition.get("needs") or []:
        names.append(need["job"] if isinstance(need, dict) else str(need))
    return names


def manual_allows_failure(definition: dict[str, Any]) -> bool:
    """GitLab: a manual job allows failure (does not block the pipeline) unless it says otherwise."""
    if "allow_failure" in definition:
        return bool(definition["allow_failure"])
    for rule in definition.get("rules") or []:
        if isinstance(rule, dict) and rule.get("when") == "manual" and "allow_failure" in rule:
            return bool(rule["allow_failure"])
    return True


def id_token_audiences(jobs: dict[str, dict[str, Any]]) -> dict[str, str | list[str]]:
    """Variable name → aud for every `id_tokens` entry (first declaration wins)."""
    audiences: dict[str, str | list[str]] = {}
    for definition in jobs.values():
        for name, spec in (definition.get("id_tokens") or {}).items():
            if name not in audiences and isinstance(spec, dict) and "aud" in spec:
                audiences[name] = spec["aud"]
    return audiences


def waits_on_manual(name: str, specs: dict[str, JobSpec], seen: frozenset[str] = frozenset()) -> bool:
    """True when a job (transitively) needs a manual job that has not run."""
    for need in specs[name].needs:
        if need in seen or need not in specs:
            continue
        if specs[need].when == "manual" or waits_on_manual(need, specs, seen | {name}):
            return True
    return False


def mask(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "[MASKED]")
    return text
