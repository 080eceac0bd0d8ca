"""ID token claims for branch and tag jobs, as https://docs.gitlab.com/ci/secrets/id_token_authentication/
lists them (C1, C7): expected values written out, not computed by oidc.py."""

from __future__ import annotations

import pytest

from sandbox import oidc


def _identity(**overrides: object) -> oidc.JobIdentity:
    fields: dict[str, object] = {
        "server_url": "https://gitlab.example.com",
        "project_path": "ml/team/p-deploy",
        "project_id": 7,
        "namespace_path": "ml/team",
        "namespace_id": 3,
        "ref": "main",
        "pipeline_id": 11,
        "pipeline_source": "push",
        "job_id": 12,
    }
    fields.update(overrides)
    return oidc.JobIdentity(**fields)  # type: ignore[arg-type]


def test_a_branch_job_on_a_protected_branch() -> None:
    claims = oidc.claims(_identity(), "sts.amazonaws.com")
    assert claims["sub"] == "project_path:ml/team/p-deploy:ref_type:branch:ref:main"
    assert (claims["ref_type"], claims["ref_path"], claims["ref_protected"]) == (
        "branch",
        "refs/heads/main",
        "true",
    )


def test_a_tag_job_names_the_tag_in_sub_and_ref_path() -> None:
    claims = oidc.claims(_identity(ref="prod-3", ref_type="tag", ref_protected=True), "sts.amazonaws.com")
    assert claims["sub"] == "project_path:ml/team/p-deploy:ref_type:tag:ref:prod-3"
    assert (claims["ref"], claims["ref_type"], claims["ref_path"], claims["ref_protected"]) == (
        "prod-3",
        "tag",
        "refs/tags/prod-3",
        "true",
    )


def test_an_unprotected_ref_says_so_as_a_string() -> None:
    claims = oidc.claims(_identity(ref="feature", ref_protected=False), "sts.amazonaws.com")
    assert claims["ref_protected"] == "false"


def test_only_branch_and_tag_are_ref_types() -> None:
    with pytest.raises(ValueError, match="ref_type"):
        oidc.claims(_identity(ref_type="environment"), "sts.amazonaws.com")
