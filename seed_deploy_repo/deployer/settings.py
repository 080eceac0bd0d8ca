"""The CI/CD variables this repo needs and the names derived from them.

The project's seeder sets these variables on the GitLab project; the same code runs on real AWS and in the
sandbox, so nothing here knows where it runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from deployer.errors import DeployerError

STAGES = ("staging", "prod")


@dataclass(frozen=True)
class ProjectSettings:
    project_name: str
    project_id: str
    model_package_group: str
    artifact_bucket: str
    model_execution_role_arn: str
    deploy_cfn_role_arn: str

    def stack_name(self, stage: str) -> str:
        """``sagemaker-N-I-deploy-<stage>``: the prefix the project's seeder deletes at project deletion."""
        return f"sagemaker-{self.project_name}-{self.project_id}-deploy-{check_stage(stage)}"

    def tags(self, stage: str) -> list[dict[str, str]]:
        return [
            {"Key": "sagemaker:project-name", "Value": self.project_name},
            {"Key": "sagemaker:project-id", "Value": self.project_id},
            {"Key": "sagemaker:deployment-stage", "Value": check_stage(stage)},
        ]


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise DeployerError(f"unknown stage {stage!r}: use one of {', '.join(STAGES)}")
    return stage


def require(env: Mapping[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """Return the named variables, or fail naming every missing one at once."""
    missing = [name for name in names if not env.get(name, "").strip()]
    if missing:
        raise DeployerError(
            "missing CI/CD variable(s): "
            + ", ".join(missing)
            + ". The project's seeder sets them on the GitLab project (Settings > CI/CD > Variables);"
            " locally, export them before running this command."
        )
    return {name: env[name].strip() for name in names}


def model_package_group(env: Mapping[str, str] | None = None) -> str:
    return require(os.environ if env is None else env, ("MODEL_PACKAGE_GROUP_NAME",))[
        "MODEL_PACKAGE_GROUP_NAME"
    ]


def project_settings(env: Mapping[str, str] | None = None) -> ProjectSettings:
    values = require(
        os.environ if env is None else env,
        (
            "SAGEMAKER_PROJECT_NAME",
            "SAGEMAKER_PROJECT_ID",
            "MODEL_PACKAGE_GROUP_NAME",
            "ARTIFACT_BUCKET",
            "MODEL_EXECUTION_ROLE_ARN",
            "DEPLOY_CFN_ROLE_ARN",
        ),
    )
    return ProjectSettings(
        project_name=values["SAGEMAKER_PROJECT_NAME"],
        project_id=values["SAGEMAKER_PROJECT_ID"],
        model_package_group=values["MODEL_PACKAGE_GROUP_NAME"],
        artifact_bucket=values["ARTIFACT_BUCKET"],
        model_execution_role_arn=values["MODEL_EXECUTION_ROLE_ARN"],
        deploy_cfn_role_arn=values["DEPLOY_CFN_ROLE_ARN"],
    )
