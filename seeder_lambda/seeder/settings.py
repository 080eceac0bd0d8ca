"""Tunables of one invocation. Defaults suit Lambda; tests shorten them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    # Seconds kept back from normal work for cleanup after a failure (deleting half-made repos).
    reserve_seconds: float = 30.0
    # The deadline guard answers FAILED this many seconds before the Lambda would be killed.
    guard_seconds: float = 5.0
    # Per-request timeout for GitLab calls (also bounded by the time left).
    gitlab_timeout_seconds: float = 20.0
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 8.0
    # Attempts per GitLab request (1 + retries); ~30 s of backoff in total with the defaults.
    retry_attempts: int = 6
    stack_poll_seconds: float = 10.0
