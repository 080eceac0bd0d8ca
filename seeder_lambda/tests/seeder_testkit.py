"""Helpers and fixture data for the seeder tests (imported by conftest and tests)."""

from __future__ import annotations

import io
import time
import zipfile


class FakeContext:
    """The bits of the Lambda context the seeder uses; the clock runs for real."""

    def __init__(self, seconds: float = 300.0):
        self._end = time.monotonic() + seconds
        self.log_stream_name = "2026/11/23/[$LATEST]0123456789abcdef"
        self.aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return int((self._end - time.monotonic()) * 1000)

    @property
    def end(self) -> float:
        return self._end


def make_zip(files: dict[str, bytes], executable: frozenset[str] = frozenset()) -> bytes:
    """A zip with ``files`` at its root, like scripts/package builds."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if path in executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


# Small trees standing in for the real seed repos; binary content proves the commit is byte-exact.
BUILD_SEED = {
    ".gitlab-ci.yml": b"stages: [build]\nbuild:\n  stage: build\n  script: [echo build]\n",
    "pipelines/abalone/pipeline.py": b"print('pipeline')\n",
    "pipelines/__init__.py": b"",
    "data/sample.bin": bytes(range(256)) * 4,
    "scripts/run.sh": b"#!/bin/sh\necho run\n",
}
DEPLOY_SEED = {
    ".gitlab-ci.yml": (
        b"deploy:\n  script: [echo deploy]\n  rules:\n"
        b'    - if: $CI_PIPELINE_SOURCE == "trigger" || $CI_PIPELINE_SOURCE == "api"\n'
    ),
    "config/staging.json": b'{"instance_type": "ml.m5.large"}\n',
    "README.md": "Déploiement — ünïcode\n".encode(),
}
BUILD_EXECUTABLE = frozenset({"scripts/run.sh"})

REGION = "us-east-1"
SEED_BUCKET = "seed-artifacts"
BUILD_KEY = "seed/1.0.0/seed_build_repo.zip"
DEPLOY_KEY = "seed/1.0.0/seed_deploy_repo.zip"


# --- the seeder driven like CloudFormation drives it ---------------------------------------------

PROJECT_NAME = "churn"
PROJECT_ID = "p-abcdefghijkl"
BASE = f"{PROJECT_NAME}-{PROJECT_ID}"
ACCOUNT = "123456789012"
STAGING_STACK = f"sagemaker-{BASE}-deploy-staging"
PROD_STACK = f"sagemaker-{BASE}-deploy-prod"
TRIGGER_SECRET = f"sagemaker-gitlab/{BASE}/deploy-trigger"

COMMON_VARIABLES = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "SAGEMAKER_PROJECT_NAME": PROJECT_NAME,
    "SAGEMAKER_PROJECT_ID": PROJECT_ID,
    "MODEL_PACKAGE_GROUP_NAME": BASE,
    "ARTIFACT_BUCKET": f"sagemaker-{PROJECT_ID}-{ACCOUNT}",
}
BUILD_VARIABLES = {
    **COMMON_VARIABLES,
    "SAGEMAKER_PIPELINE_NAME": BASE,
    "SAGEMAKER_PIPELINE_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{PROJECT_ID}-pipeline",
    "BUILD_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{PROJECT_ID}-gitlab-build",
    "INPUT_DATA_URL": "s3://sagemaker-sample-files/datasets/tabular/uci_abalone/abalone.csv",
}
DEPLOY_VARIABLES = {
    **COMMON_VARIABLES,
    "MODEL_EXECUTION_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{PROJECT_ID}-model",
    "DEPLOY_CFN_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{PROJECT_ID}-deploy-cfn",
    "STAGING_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{PROJECT_ID}-gitlab-staging",
    "PROD_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{PROJECT_ID}-gitlab-prod",
}


STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/SC-{ACCOUNT}-pp-x/11111111-2222"
# CloudFormation's real response URL form (seeder.event_guard); conftest routes this host to a local server.
RESPONSE_HOST = "cloudformation-custom-resource-response-useast1.s3.amazonaws.com"
# The same bucket on S3's Regional endpoints (sources: seeder.event_guard's docstring).
RESPONSE_HOSTS = (
    RESPONSE_HOST,
    "cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com",
    "cloudformation-custom-resource-response-useast1.s3-us-east-1.amazonaws.com",
)
RESPONSE_URL = (
    f"https://{RESPONSE_HOST}/arn%3Aaws%3Acloudformation%3A{REGION}%3A{ACCOUNT}%3Astack/SC-x/11111111-2222"
    "%7CGitLabRepositories%7Creq?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"
)


def environment(gitlab_url: str, token_secret_arn: str, **overrides: str) -> dict[str, str]:
    """The seeder function's environment as product/template.yaml sets it (contract C3), plus Lambda's."""
    env = {
        "GITLAB_URL": gitlab_url,
        "GITLAB_TOKEN_SECRET_ARN": token_secret_arn,
        "GITLAB_GROUP_PATH": "ml/team",
        "SAGEMAKER_PROJECT_NAME": PROJECT_NAME,
        "SAGEMAKER_PROJECT_ID": PROJECT_ID,
        "PROJECT_STACK_ID": STACK_ID,
        "AWS_REGION": REGION,
    }
    env.update(overrides)
    return env


def properties(**overrides: object) -> dict[str, object]:
    """The custom resource's properties as product/template.yaml writes them (no platform values)."""
    props: dict[str, object] = {
        "ServiceToken": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:gitlab-seeder-{PROJECT_ID}",
        "ProjectName": PROJECT_NAME,
        "ProjectId": PROJECT_ID,
        "RepositoryDeletionPolicy": "Archive",
        "SeedCodeBucket": SEED_BUCKET,
        "SeedBuildRepoKey": BUILD_KEY,
        "SeedDeployRepoKey": DEPLOY_KEY,
        "TriggerSecretName": TRIGGER_SECRET,
        "DeployStackNames": [STAGING_STACK, PROD_STACK],
        "BuildRepoVariables": dict(BUILD_VARIABLES),
        "DeployRepoVariables": dict(DEPLOY_VARIABLES),
    }
    props.update(overrides)
    return props


def event(
    request_type: str,
    response_url: str,
    props: dict[str, object],
    old: dict[str, object] | None = None,
    physical_id: str | None = None,
) -> dict[str, object]:
    ev: dict[str, object] = {
        "RequestType": request_type,
        "ServiceToken": props["ServiceToken"],
        "ResponseURL": response_url,
        "StackId": STACK_ID,
        "RequestId": f"req-{request_type.lower()}",
        "LogicalResourceId": "GitLabRepositories",
        "ResourceType": "Custom::GitLabRepositories",
        "ResourceProperties": props,
    }
    if old is not None:
        ev["OldResourceProperties"] = old
    if physical_id is not None:
        ev["PhysicalResourceId"] = physical_id
    return ev
