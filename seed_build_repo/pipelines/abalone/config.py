"""The pipeline's settings: where they come from (the project's CI/CD variables) and what they name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The public UCI Abalone copy AWS hosts (headerless, 9 columns); the project passes its own.
DEFAULT_INPUT_DATA_URL = "s3://sagemaker-sample-files/datasets/tabular/uci_abalone/abalone.csv"


@dataclass(frozen=True)
class PipelineConfig:
    """Everything about the project and the run that the definition depends on."""

    region: str
    role_arn: str
    artifact_bucket: str
    pipeline_name: str
    model_package_group_name: str
    input_data_url: str = DEFAULT_INPUT_DATA_URL
    project_name: str | None = None
    project_id: str | None = None
    git_commit: str | None = None
    ci_pipeline_url: str | None = None
    base_job_prefix: str = "abalone"
    extra_tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def tags(self) -> list[dict[str, str]]:
        tags = dict(self.extra_tags)
        if self.project_name:
            tags["sagemaker:project-name"] = self.project_name
        if self.project_id:
            tags["sagemaker:project-id"] = self.project_id
        return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]

    @property
    def lineage_metadata(self) -> dict[str, str]:
        """Customer metadata on the registered model: where it came from, when known."""
        metadata = {}
        if self.git_commit:
            metadata["GitCommit"] = self.git_commit
        if self.ci_pipeline_url:
            metadata["CiPipelineUrl"] = self.ci_pipeline_url
        if self.project_name:
            metadata["SageMakerProjectName"] = self.project_name
        return metadata


class ConfigError(ValueError):
    """A required setting is missing; the message names the variable to set."""


_REQUIRED_VARIABLES = {
    "role_arn": "SAGEMAKER_PIPELINE_ROLE_ARN",
    "artifact_bucket": "ARTIFACT_BUCKET",
    "pipeline_name": "SAGEMAKER_PIPELINE_NAME",
    "model_package_group_name": "MODEL_PACKAGE_GROUP_NAME",
}


def config_from_env(env: Mapping[str, str], **overrides: str | None) -> PipelineConfig:
    """PipelineConfig from the project's CI/CD variables; ``overrides`` (CLI flags) win when set."""
    region = overrides.get("region") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    values: dict[str, str] = {}
    missing = []
    for key, variable in _REQUIRED_VARIABLES.items():
        value = overrides.get(key) or env.get(variable)
        if value:
            values[key] = value
        else:
            missing.append(variable)
    if not region:
        missing.append("AWS_REGION")
    if missing:
        raise ConfigError(
            f"missing settings: {', '.join(missing)}. In GitLab CI they are project CI/CD variables set "
            "when the SageMaker project was created; locally, export them (see README) or pass the CLI flags."
        )
    assert region is not None
    return PipelineConfig(
        region=region,
        role_arn=values["role_arn"],
        artifact_bucket=values["artifact_bucket"],
        pipeline_name=values["pipeline_name"],
        model_package_group_name=values["model_package_group_name"],
        input_data_url=overrides.get("input_data_url") or env.get("INPUT_DATA_URL") or DEFAULT_INPUT_DATA_URL,
        project_name=env.get("SAGEMAKER_PROJECT_NAME") or None,
        project_id=env.get("SAGEMAKER_PROJECT_ID") or None,
        git_commit=env.get("CI_COMMIT_SHA") or None,
        ci_pipeline_url=env.get("CI_PIPELINE_URL") or None,
    )


def pipeline_session(config: PipelineConfig, boto_session: Any = None) -> Any:
    """A PipelineSession whose default bucket is the project's artifacts bucket.

    With an explicit default bucket the SDK only checks the bucket is reachable
    (s3:ListBucket) and never needs s3:CreateBucket.
    """
    import boto3
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    boto_session = boto_session or boto3.Session(region_name=config.region)
    return PipelineSession(boto_session=boto_session, default_bucket=config.artifact_bucket)


def s3_path(config: PipelineConfig, *parts: Any) -> Any:
    """s3://<bucket>/<pipeline>/<execution id>/<parts>: every execution keeps its own outputs."""
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join

    return Join(
        on="/",
        values=[
            f"s3://{config.artifact_bucket}/{config.pipeline_name}",
            ExecutionVariables.PIPELINE_EXECUTION_ID,
            *parts,
        ],
    )
