"""GitLab CI `id_tokens` for the sandbox: RS256 JWTs with GitLab's claims, signed by a key made per run.

GitLab injects each `id_tokens:` entry of a job as a variable holding a JWT whose `aud` is the entry's `aud`
and whose `sub` is `project_path:<group>/<project>:ref_type:<branch|tag>:ref:<ref>`. AWS STS
AssumeRoleWithWebIdentity then checks the role's trust policy against `aud` and `sub`.
Claims as https://docs.gitlab.com/ci/secrets/id_token_authentication/#token-payload lists them: `ref` is the
branch or tag name, `ref_type` `branch` or `tag`, `ref_path` the full ref (`refs/heads/main`,
`refs/tags/prod-1`), `ref_protected` `"true"` or `"false"` (a string) as the ref is protected (the default or a
protected branch, a tag matching a protected tag).
Not emulated: the JWKS / OpenID discovery endpoints (the local STS does not verify signatures).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class JobIdentity:
    server_url: str
    project_path: str
    project_id: int
    namespace_path: str
    namespace_id: int
    ref: str
    pipeline_id: int
    pipeline_source: str
    job_id: int
    user_login: str = "sandbox"
    ref_type: str = "branch"  # or "tag"
    ref_protected: bool = True


def claims(identity: JobIdentity, audience: str | list[str], lifetime_s: int = 3600) -> dict[str, Any]:
    """GitLab's ID token claims for a job on a branch or a tag."""
    if identity.ref_type not in ("branch", "tag"):
        raise ValueError(f"ref_type must be branch or tag, not {identity.ref_type!r}")
    now = int(time.time())
    prefix = "refs/heads/" if identity.ref_type == "branch" else "refs/tags/"
    return {
        "iss": identity.server_url,
        "sub": f"project_path:{identity.project_path}:ref_type:{identity.ref_type}:ref:{identity.ref}",
        "aud": audience,
        "namespace_id": str(identity.namespace_id),
        "namespace_path": identity.namespace_path,
        "project_id": str(identity.project_id),
        "project_path": identity.project_path,
        "user_login": identity.user_login,
        "pipeline_id": str(identity.pipeline_id),
        "pipeline_source": identity.pipeline_source,
        "job_id": str(identity.job_id),
        "ref": identity.ref,
        "ref_type": identity.ref_type,
        "ref_path": f"{prefix}{identity.ref}",
        "ref_protected": "true" if identity.ref_protected else "false",
        "runner_environment": "self-hosted",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now - 5,
        "exp": now + lifetime_s,
    }


class Signer:
    """An RS256 signing key for one sandbox run."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex

    def sign(self, payload: dict[str, Any]) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        signature = self._key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"


def decode_unverified(token: str) -> dict[str, Any]:
    """The payload of a JWT (for tests and the trust-policy check; no signature check)."""
    part = token.split(".")[1]
    document: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return document
