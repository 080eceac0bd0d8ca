"""What GitLab says about the token it is called with.

``GET /api/v4/personal_access_tokens/self`` answers for the token in the ``PRIVATE-TOKEN`` header,
personal, group and project access tokens alike, with ``id``, ``name``, ``active``, ``revoked`` and
``expires_at`` (``YYYY-MM-DD`` or null); a revoked or expired token gets 401
(https://docs.gitlab.com/api/personal_access_tokens/#get-details-on-a-personal-access-token, GitLab 15.5+).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import requests

from token_monitor.secret import MonitorError

SELF_PATH = "/api/v4/personal_access_tokens/self"


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    active: bool
    expires_at: date | None
    scopes: tuple[str, ...]


class TokenRefusedError(Exception):
    """GitLab answered 401: the token is revoked, expired or unknown."""


def parse_token_info(body: Any) -> TokenInfo:
    if not isinstance(body, dict) or "id" not in body:
        raise MonitorError(f"unexpected answer from GitLab {SELF_PATH}: not a token object")
    raw_expiry = body.get("expires_at")
    try:
        expires_at = date.fromisoformat(str(raw_expiry)[:10]) if raw_expiry else None
    except ValueError:
        raise MonitorError(f"GitLab {SELF_PATH} returned an unreadable expires_at {raw_expiry!r}") from None
    scopes = body.get("scopes") or []
    return TokenInfo(
        id=int(body["id"]),
        name=str(body.get("name") or ""),
        active=bool(body.get("active", True)) and not bool(body.get("revoked", False)),
        expires_at=expires_at,
        scopes=tuple(str(scope) for scope in scopes),
    )


def fetch_token_info(
    session: requests.Session, gitlab_url: str, token: str, timeout: float = 20.0
) -> TokenInfo:
    url = gitlab_url.rstrip("/") + SELF_PATH
    try:
        response = session.get(url, headers={"PRIVATE-TOKEN": token}, timeout=timeout)
    except requests.RequestException as exc:
        raise MonitorError(f"cannot reach GitLab at {gitlab_url}: {type(exc).__name__}") from None
    if response.status_code == 401:
        raise TokenRefusedError()
    if response.status_code != 200:
        raise MonitorError(
            f"GitLab {SELF_PATH} answered HTTP {response.status_code}; retry tomorrow or check GitLab"
        )
    try:
        body = response.json()
    except ValueError:
        raise MonitorError(f"GitLab {SELF_PATH} answered with something other than JSON") from None
    return parse_token_info(body)
