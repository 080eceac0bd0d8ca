"""The per-project trigger secret: written by the seeder, read by the trigger Lambda.

JSON object ``{"gitlab_url": str, "project_id": int, "ref": str, "token": str}``. Parsing errors name the
secret and the field, never a value (the token must not reach a log line).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from contracts.names import DEFAULT_BRANCH

FIELDS = ("gitlab_url", "project_id", "ref", "token")


class SecretFormatError(ValueError):
    """The secret does not hold the documented JSON."""


@dataclass(frozen=True)
class TriggerSecret:
    gitlab_url: str
    project_id: int
    token: str = field(repr=False)
    ref: str = DEFAULT_BRANCH

    def to_json(self) -> str:
        return json.dumps(
            {
                "gitlab_url": self.gitlab_url,
                "project_id": self.project_id,
                "ref": self.ref,
                "token": self.token,
            }
        )


def parse(secret_name: str, text: str) -> TriggerSecret:
    """Validate the secret's JSON and return it, or raise :class:`SecretFormatError` naming the field."""
    hint = (
        f"secret {secret_name} must be JSON "
        '{"gitlab_url": "...", "project_id": <int>, "ref": "main", "token": "..."}: '
        "re-run the seeder by updating the project stack"
    )
    try:
        data: Any = json.loads(text)
    except ValueError:
        raise SecretFormatError(f"{hint} (it is not JSON)") from None
    if not isinstance(data, dict):
        raise SecretFormatError(f"{hint} (it is not an object)")
    url, project_id, ref, token = (data.get(k) for k in FIELDS)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise SecretFormatError(f"{hint} (gitlab_url missing or not an http(s) URL)")
    if not isinstance(project_id, int) or isinstance(project_id, bool) or project_id < 1:
        raise SecretFormatError(f"{hint} (project_id missing or not a positive integer)")
    if ref is None:
        ref = DEFAULT_BRANCH
    if not isinstance(ref, str) or not ref:
        raise SecretFormatError(f"{hint} (ref is not a non-empty string)")
    if not isinstance(token, str) or not token:
        raise SecretFormatError(f"{hint} (token missing or empty)")
    return TriggerSecret(gitlab_url=url.rstrip("/"), project_id=project_id, ref=ref, token=token)
