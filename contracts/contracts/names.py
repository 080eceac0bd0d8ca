"""Names derived from the two Studio parameters N (``SageMakerProjectName``) and I (``SageMakerProjectId``).

``product/template.yaml`` writes the same names with ``!Sub``; ``tests/test_contracts.py`` renders them and
compares them with these functions, so a rename here that the template does not follow fails in seconds.
"""

from __future__ import annotations

import re

BUILD = "build"
DEPLOY = "deploy"
REPO_KINDS = (BUILD, DEPLOY)
DEFAULT_BRANCH = "main"
STAGES = ("staging", "prod")

# SageMaker's documented patterns (CreateProject: ProjectName; project ids are "p-" + 12 lowercase
# alphanumerics, as Studio assigns them). \A...\Z, not ^...$: "$" also matches before a trailing newline.
PROJECT_NAME_PATTERN = re.compile(r"\A[a-zA-Z](-*[a-zA-Z0-9])*\Z")
PROJECT_NAME_MAX = 32
PROJECT_ID_PATTERN = re.compile(r"\Ap-[a-z0-9]{12}\Z")

TAG_PROJECT_NAME = "sagemaker:project-name"
TAG_PROJECT_ID = "sagemaker:project-id"
TAG_DEPLOYMENT_STAGE = "sagemaker:deployment-stage"


def base_name(project_name: str, project_id: str) -> str:
    """``N-I``: the model package group, the SageMaker pipeline and the repos' common prefix."""
    return f"{project_name}-{project_id}"


def model_package_group(project_name: str, project_id: str) -> str:
    return base_name(project_name, project_id)


def pipeline_name(project_name: str, project_id: str) -> str:
    return base_name(project_name, project_id)


def repo_name(project_name: str, project_id: str, kind: str) -> str:
    """``N-I-model-build`` / ``N-I-model-deploy``: both name and explicit path of the GitLab project."""
    if kind not in REPO_KINDS:
        raise ValueError(f"unknown repo kind {kind!r}: use one of {', '.join(REPO_KINDS)}")
    return f"{base_name(project_name, project_id)}-model-{kind}"


def repo_full_path(group_path: str, project_name: str, project_id: str, kind: str) -> str:
    return f"{group_path}/{repo_name(project_name, project_id, kind)}"


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}: use one of {', '.join(STAGES)}")
    return stage


def deploy_stack_name(project_name: str, project_id: str, stage: str) -> str:
    """``sagemaker-N-I-deploy-<stage>``: made by the deploy repo's CI, removed by the seeder on Delete."""
    return f"sagemaker-{base_name(project_name, project_id)}-deploy-{check_stage(stage)}"


def deploy_stack_prefix(project_name: str, project_id: str) -> str:
    return f"sagemaker-{base_name(project_name, project_id)}-deploy-"


def endpoint_name(project_name: str, project_id: str, stage: str) -> str:
    """``N-I-staging`` / ``N-I-prod``."""
    return f"{base_name(project_name, project_id)}-{check_stage(stage)}"


def trigger_secret_name(project_name: str, project_id: str) -> str:
    """Secrets Manager name of the deploy repo's pipeline trigger secret (schema: ``contracts.trigger_secret``)."""
    return f"sagemaker-gitlab/{base_name(project_name, project_id)}/deploy-trigger"


def project_tags(project_name: str, project_id: str) -> list[dict[str, str]]:
    return [
        {"Key": TAG_PROJECT_NAME, "Value": project_name},
        {"Key": TAG_PROJECT_ID, "Value": project_id},
    ]
