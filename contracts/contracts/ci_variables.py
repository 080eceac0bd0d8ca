"""CI/CD variable names: the project variables the seeder sets, and the pipeline variables the trigger sends.

The seed repos read these names from their environment (they cannot import this package);
``tests/test_contracts.py`` checks that the template sets exactly these project variables and that the seed
repos' code reads no other name.
"""

from __future__ import annotations

# Project variables common to both repos (set by the seeder from the template's properties).
AWS_REGION = "AWS_REGION"
AWS_DEFAULT_REGION = "AWS_DEFAULT_REGION"
SAGEMAKER_PROJECT_NAME = "SAGEMAKER_PROJECT_NAME"
SAGEMAKER_PROJECT_ID = "SAGEMAKER_PROJECT_ID"
MODEL_PACKAGE_GROUP_NAME = "MODEL_PACKAGE_GROUP_NAME"
ARTIFACT_BUCKET = "ARTIFACT_BUCKET"
COMMON = (AWS_REGION, AWS_DEFAULT_REGION, SAGEMAKER_PROJECT_NAME, SAGEMAKER_PROJECT_ID,
          MODEL_PACKAGE_GROUP_NAME, ARTIFACT_BUCKET)  # fmt: skip

# model-build repo only.
SAGEMAKER_PIPELINE_NAME = "SAGEMAKER_PIPELINE_NAME"
SAGEMAKER_PIPELINE_ROLE_ARN = "SAGEMAKER_PIPELINE_ROLE_ARN"
BUILD_ROLE_ARN = "BUILD_ROLE_ARN"
INPUT_DATA_URL = "INPUT_DATA_URL"
BUILD_REPO = (*COMMON, SAGEMAKER_PIPELINE_NAME, SAGEMAKER_PIPELINE_ROLE_ARN, BUILD_ROLE_ARN, INPUT_DATA_URL)

# model-deploy repo only.
MODEL_EXECUTION_ROLE_ARN = "MODEL_EXECUTION_ROLE_ARN"
DEPLOY_CFN_ROLE_ARN = "DEPLOY_CFN_ROLE_ARN"
STAGING_ROLE_ARN = "STAGING_ROLE_ARN"
PROD_ROLE_ARN = "PROD_ROLE_ARN"
# The project's SNS topic: the deploy job announces a rolled-back update there (issue 15).
NOTIFICATION_TOPIC_ARN = "NOTIFICATION_TOPIC_ARN"
DEPLOY_REPO = (*COMMON, MODEL_EXECUTION_ROLE_ARN, DEPLOY_CFN_ROLE_ARN, STAGING_ROLE_ARN, PROD_ROLE_ARN,
               NOTIFICATION_TOPIC_ARN)  # fmt: skip

# Pipeline variables the trigger Lambda sends to the deploy repo (read by its `resolve` job).
MODEL_PACKAGE_ARN = "MODEL_PACKAGE_ARN"
MODEL_PACKAGE_VERSION = "MODEL_PACKAGE_VERSION"
APPROVAL_EVENT_ID = "APPROVAL_EVENT_ID"
DEPLOY_REASON = "DEPLOY_REASON"
PIPELINE_VARIABLES = (MODEL_PACKAGE_ARN, MODEL_PACKAGE_VERSION, APPROVAL_EVENT_ID, DEPLOY_REASON)
DEPLOY_REASONS = ("approved", "rollback", "manual")
