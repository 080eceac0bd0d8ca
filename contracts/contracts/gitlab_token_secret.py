"""The platform's GitLab token secret (``gitlab-token-secret-arn``): one format for every reader.

The platform team stores the group access token either as the secret's plain text or as JSON
``{"token": "..."}`` (README, "Publishing the product"). The seeder and the token monitor both read it; this
is the one parser, so a format the README documents works for both or for neither.
"""

from __future__ import annotations

import json

#: What the readers' errors tell a person to store.
EXPECTED_FORMAT = 'plain text or JSON {"token": "..."}'


def token_from(value: str | None) -> str:
    """The token in a secret's ``SecretString``; "" when absent, empty or malformed (callers name the fix)."""
    if not value:
        return ""
    text = value.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            return ""
        token = parsed.get("token") if isinstance(parsed, dict) else None
        return token.strip() if isinstance(token, str) else ""
    return text
