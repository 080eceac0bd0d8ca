"""Settings shared by the command-line entry points."""

from __future__ import annotations

import argparse
import logging
import os
import warnings


def prepare_environment() -> None:
    """Process-wide SDK settings for a CI job.

    The CI role is least-privilege and has no IAM read access, so the SDK's client-side role
    check (iam:SimulatePrincipalPolicy) is turned off; SageMaker still checks the role when it
    creates the pipeline and its jobs. An explicit SAGEMAKER_VALIDATE_ROLE wins.
    """
    os.environ.setdefault("SAGEMAKER_VALIDATE_ROLE", "false")


def quiet_sdk_logging() -> None:
    """Keep the job log about this pipeline: the SDK and botocore log every endpoint lookup at INFO.

    Called after the SDK is imported, because importing it configures logging.
    """
    import sagemaker.core  # noqa: F401

    for name in ("sagemaker", "botocore", "boto3", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # The SDK warns that it pops job names it would replace anyway; nothing to act on.
    logging.getLogger("sagemaker.core.workflow.utilities").setLevel(logging.ERROR)
    logging.getLogger("sagemaker.mlops.workflow.model_step").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Running within a PipelineSession")


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags that override the CI/CD variables (handy outside CI)."""
    group = parser.add_argument_group("project settings (default: the CI/CD variables in brackets)")
    group.add_argument("--region", help="[AWS_REGION, AWS_DEFAULT_REGION]")
    group.add_argument("--role-arn", help="pipeline execution role [SAGEMAKER_PIPELINE_ROLE_ARN]")
    group.add_argument("--artifact-bucket", help="[ARTIFACT_BUCKET]")
    group.add_argument("--pipeline-name", help="[SAGEMAKER_PIPELINE_NAME]")
    group.add_argument("--model-package-group-name", help="[MODEL_PACKAGE_GROUP_NAME]")
    group.add_argument("--input-data-url", help="default of the InputDataUrl parameter [INPUT_DATA_URL]")


def config_overrides(args: argparse.Namespace) -> dict[str, str | None]:
    return {
        "region": args.region,
        "role_arn": args.role_arn,
        "artifact_bucket": args.artifact_bucket,
        "pipeline_name": args.pipeline_name,
        "model_package_group_name": args.model_package_group_name,
        "input_data_url": args.input_data_url,
    }
