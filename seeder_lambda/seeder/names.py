"""Names and markers derived from the project (README "Contracts between the parts")."""

from __future__ import annotations

BUILD = "build"
DEPLOY = "deploy"
REPO_KINDS = (BUILD, DEPLOY)
DEFAULT_BRANCH = "main"

# Suffix of the PhysicalResourceId we answer when a Create fails. CloudFormation then sends a Delete with
# it during rollback, which tells Delete that nobody ever received these repos (see lifecycle.delete).
FAILED_CREATE_SUFFIX = "#create-failed"
INVALID_PHYSICAL_ID = "gitlab:invalid-properties"


def base_name(project_name: str, project_id: str) -> str:
    """``N-I``: the model package group, the SageMaker pipeline and the repos' common prefix."""
    return f"{project_name}-{project_id}"


def repo_name(project_name: str, project_id: str, kind: str) -> str:
    """``N-I-model-build`` / ``N-I-model-deploy``, used as both name and explicit path."""
    return f"{base_name(project_name, project_id)}-model-{kind}"


def repo_full_path(group_path: str, project_name: str, project_id: str, kind: str) -> str:
    return f"{group_path}/{repo_name(project_name, project_id, kind)}"


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


def project_tags(project_name: str, project_id: str) -> list[dict[str, str]]:
    return [
        {"Key": "sagemaker:project-name", "Value": project_name},
        {"Key": "sagemaker:project-id", "Value": project_id},
    ]
