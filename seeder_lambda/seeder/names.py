"""The seeder's own names and markers; the names shared with other parts come from :mod:`contracts.names`."""

from __future__ import annotations

from contracts.names import (
    BUILD,
    DEFAULT_BRANCH,
    DEPLOY,
    REPO_KINDS,
    base_name,
    project_tags,
    repo_full_path,
    repo_name,
)

__all__ = [
    "BUILD",
    "DEFAULT_BRANCH",
    "DEPLOY",
    "FAILED_CREATE_SUFFIX",
    "INVALID_PHYSICAL_ID",
    "REPO_KINDS",
    "base_name",
    "ownership_marker",
    "physical_id",
    "project_tags",
    "repo_description",
    "repo_full_path",
    "repo_name",
    "trigger_description",
]

# Suffix of the PhysicalResourceId we answer when a Create fails. CloudFormation then sends a Delete with
# it during rollback, which tells Delete that nobody ever received these repos (see seeder.delete).
FAILED_CREATE_SUFFIX = "#create-failed"
INVALID_PHYSICAL_ID = "gitlab:invalid-properties"


def physical_id(group_path: str, project_name: str, project_id: str) -> str:
    return f"gitlab:{group_path}/{base_name(project_name, project_id)}"


def ownership_marker(project_id: str) -> str:
    """Text in the repo description that proves a repo was made by the seeder for this project.

    SageMaker project ids are unique, so a repo at our exact path carrying this marker is ours to adopt
    (retried Create) or to archive/delete (Delete); one without it belongs to someone else.
    """
    return f"[sagemaker-project-id: {project_id}]"


def repo_description(project_name: str, project_id: str, kind: str) -> str:
    what = "model building (SageMaker Pipeline)" if kind == BUILD else "model deployment (endpoints)"
    return (
        f"SageMaker project {project_name}: {what}. Created by the SageMaker project template; "
        f"keep this marker so project deletion can find it {ownership_marker(project_id)}"
    )


def trigger_description(project_id: str) -> str:
    """Description of the deploy repo's pipeline trigger; identifies the triggers the seeder manages."""
    return f"SageMaker model approval trigger {ownership_marker(project_id)}"
