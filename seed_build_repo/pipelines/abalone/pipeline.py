"""The Abalone model-build SageMaker Pipeline (SageMaker Python SDK v3).

::

    Preprocess ─▶ Train (built-in XGBoost) ─▶ Evaluate ─▶ MseCheck ─┬─ MSE ≤ MseThreshold ─▶ RegisterModel
                                                                   └─ otherwise ────────────▶ MseAboveThreshold (Fail)

``get_pipeline(config)`` builds the definition; ``config_from_env()`` reads the project's CI/CD
variables (see the README). Nothing here talks to AWS except what the SDK needs to build a
definition: uploading the two scripts to the artifacts bucket.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipelines.abalone import evaluate as evaluate_script
from pipelines.abalone.hyperparameters import (
    DEFAULT_HYPERPARAMETERS,
    FIXED_HYPERPARAMETERS,
    PIPELINE_PARAMETER_NAMES,
    hyperparameter_kind,
)

HERE = os.path.dirname(os.path.abspath(__file__))

# The public UCI Abalone copy AWS hosts (headerless, 9 columns); the project passes its own.
DEFAULT_INPUT_DATA_URL = "s3://sagemaker-sample-files/datasets/tabular/uci_abalone/abalone.csv"
SKLEARN_FRAMEWORK_VERSION = "1.2-1"
XGBOOST_FRAMEWORK_VERSION = "1.7-1"
# Image lookup needs *an* instance type; both images are CPU images, whatever the parameter says.
_IMAGE_LOOKUP_INSTANCE_TYPE = "ml.m5.xlarge"

# Container paths: SageMaker conventions, passed to the scripts as arguments (never assumed by them).
PROCESSING_ROOT = "/opt/ml/processing"
RAW_DATA_PATH = f"{PROCESSING_ROOT}/input/data"
SPLIT_NAMES = ("train", "validation", "test")
MODEL_PATH = f"{PROCESSING_ROOT}/model"
TEST_PATH = f"{PROCESSING_ROOT}/test"
EVALUATION_PATH = f"{PROCESSING_ROOT}/evaluation"

DEFAULT_MSE_THRESHOLD = 6.0
DEFAULT_APPROVAL_STATUS = "PendingManualApproval"


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


def _s3_path(config: PipelineConfig, *parts: Any) -> Any:
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


def get_pipeline(config: PipelineConfig, session: Any = None) -> Any:
    """The pipeline for ``config`` (a ``sagemaker.mlops.workflow.pipeline.Pipeline``)."""
    # The SDK is imported here so that importing this module (e.g. for its constants) is cheap.
    from sagemaker.core import image_uris
    from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.core.processing import ScriptProcessor
    from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
    from sagemaker.core.training.configs import Compute, InputData, OutputDataConfig, StoppingCondition
    from sagemaker.core.workflow.conditions import ConditionLessThanOrEqualTo
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.core.workflow.parameters import ParameterFloat, ParameterInteger, ParameterString
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow.condition_step import ConditionStep
    from sagemaker.mlops.workflow.fail_step import FailStep
    from sagemaker.mlops.workflow.model_step import ModelStep
    from sagemaker.mlops.workflow.pipeline import Pipeline
    from sagemaker.mlops.workflow.steps import ProcessingStep, TrainingStep
    from sagemaker.train import ModelTrainer

    from pipelines.abalone.algorithm_model import AlgorithmModelBuilder

    session = session or pipeline_session(config)

    # ---- parameters: everything a run may change without a code change -------------------------
    input_data_url = ParameterString(name="InputDataUrl", default_value=config.input_data_url)
    processing_instance_type = ParameterString(name="ProcessingInstanceType", default_value="ml.m5.xlarge")
    processing_instance_count = ParameterInteger(name="ProcessingInstanceCount", default_value=1)
    training_instance_type = ParameterString(name="TrainingInstanceType", default_value="ml.m5.xlarge")
    training_instance_count = ParameterInteger(name="TrainingInstanceCount", default_value=1)
    model_approval_status = ParameterString(name="ModelApprovalStatus", default_value=DEFAULT_APPROVAL_STATUS)
    mse_threshold = ParameterFloat(name="MseThreshold", default_value=DEFAULT_MSE_THRESHOLD)
    split_seed = ParameterInteger(name="SplitSeed", default_value=42)
    hyperparameter_parameters = {
        name: (ParameterInteger if hyperparameter_kind(name) is int else ParameterFloat)(
            name=PIPELINE_PARAMETER_NAMES[name],
            default_value=hyperparameter_kind(name)(DEFAULT_HYPERPARAMETERS[name]),
        )
        for name in DEFAULT_HYPERPARAMETERS
    }

    sklearn_image = image_uris.retrieve(
        framework="sklearn",
        region=config.region,
        version=SKLEARN_FRAMEWORK_VERSION,
        py_version="py3",
        instance_type=_IMAGE_LOOKUP_INSTANCE_TYPE,
    )
    xgboost_image = image_uris.retrieve(
        framework="xgboost",
        region=config.region,
        version=XGBOOST_FRAMEWORK_VERSION,
        py_version="py3",
        instance_type=_IMAGE_LOOKUP_INSTANCE_TYPE,
    )

    # ---- 1. preprocess ------------------------------------------------------------------------
    split_paths = {name: f"{PROCESSING_ROOT}/{name}" for name in SPLIT_NAMES}
    preprocessor = ScriptProcessor(
        image_uri=sklearn_image,
        command=["python3"],
        role=config.role_arn,
        instance_type=processing_instance_type,
        instance_count=processing_instance_count,
        base_job_name=f"{config.base_job_prefix}-preprocess",
        sagemaker_session=session,
    )
    step_preprocess = ProcessingStep(
        name="Preprocess",
        step_args=preprocessor.run(
            code=os.path.join(HERE, "preprocess.py"),
            inputs=[
                ProcessingInput(
                    input_name="raw",
                    s3_input=ProcessingS3Input(
                        s3_uri=input_data_url,
                        local_path=RAW_DATA_PATH,
                        s3_data_type="S3Prefix",
                        s3_input_mode="File",
                    ),
                )
            ],
            outputs=[
                ProcessingOutput(
                    output_name=name,
                    s3_output=ProcessingS3Output(
                        s3_uri=_s3_path(config, "data", name),
                        local_path=split_paths[name],
                        s3_upload_mode="EndOfJob",
                    ),
                )
                for name in SPLIT_NAMES
            ],
            arguments=[
                "--input-dir",
                RAW_DATA_PATH,
                "--train-dir",
                split_paths["train"],
                "--validation-dir",
                split_paths["validation"],
                "--test-dir",
                split_paths["test"],
                "--split-seed",
                split_seed.to_string(),
            ],
        ),
    )

    def split_uri(name: str) -> Any:
        return step_preprocess.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri

    # ---- 2. train (built-in XGBoost: no script, the container reads the hyperparameters) ------
    hyperparameters: dict[str, Any] = dict(FIXED_HYPERPARAMETERS)
    hyperparameters.update({name: parameter.to_string() for name, parameter in hyperparameter_parameters.items()})
    trainer = ModelTrainer(
        training_image=xgboost_image,
        role=config.role_arn,
        compute=Compute(
            instance_type=training_instance_type,
            instance_count=training_instance_count,
            volume_size_in_gb=30,
        ),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=3600),
        output_data_config=OutputDataConfig(s3_output_path=_s3_path(config, "model")),
        hyperparameters=hyperparameters,
        base_job_name=f"{config.base_job_prefix}-train",
        sagemaker_session=session,
    )
    step_train = TrainingStep(
        name="Train",
        step_args=trainer.train(
            input_data_config=[
                InputData(channel_name=name, data_source=split_uri(name), content_type="text/csv")
                for name in ("train", "validation")
            ]
        ),
    )
    model_data = step_train.properties.ModelArtifacts.S3ModelArtifacts

    # ---- 3. evaluate --------------------------------------------------------------------------
    evaluation_report = PropertyFile(
        name="EvaluationReport", output_name="evaluation", path=evaluate_script.REPORT_NAME
    )
    evaluator = ScriptProcessor(
        image_uri=xgboost_image,
        command=["python3"],
        role=config.role_arn,
        instance_type=processing_instance_type,
        instance_count=1,
        base_job_name=f"{config.base_job_prefix}-evaluate",
        sagemaker_session=session,
    )
    step_evaluate = ProcessingStep(
        name="Evaluate",
        step_args=evaluator.run(
            code=os.path.join(HERE, "evaluate.py"),
            inputs=[
                ProcessingInput(
                    input_name="model",
                    s3_input=ProcessingS3Input(
                        s3_uri=model_data, local_path=MODEL_PATH, s3_data_type="S3Prefix", s3_input_mode="File"
                    ),
                ),
                ProcessingInput(
                    input_name="test",
                    s3_input=ProcessingS3Input(
                        s3_uri=split_uri("test"), local_path=TEST_PATH, s3_data_type="S3Prefix", s3_input_mode="File"
                    ),
                ),
            ],
            outputs=[
                ProcessingOutput(
                    output_name="evaluation",
                    s3_output=ProcessingS3Output(
                        s3_uri=_s3_path(config, "evaluation"),
                        local_path=EVALUATION_PATH,
                        s3_upload_mode="EndOfJob",
                    ),
                )
            ],
            arguments=["--model-dir", MODEL_PATH, "--test-dir", TEST_PATH, "--output-dir", EVALUATION_PATH],
        ),
        property_files=[evaluation_report],
    )
    test_mse = JsonGet(
        step_name=step_evaluate.name, property_file=evaluation_report, json_path=evaluate_script.MSE_JSON_PATH
    )

    # ---- 4a. register -------------------------------------------------------------------------
    model_metrics = ModelMetrics(
        model_statistics=MetricsSource(
            s3_uri=Join(
                on="/",
                values=[
                    step_evaluate.properties.ProcessingOutputConfig.Outputs["evaluation"].S3Output.S3Uri,
                    evaluate_script.REPORT_NAME,
                ],
            ),
            content_type="application/json",
        )
    )
    # Not ModelBuilder itself: it registers empty script-mode variables that break the built-in container.
    model_builder = AlgorithmModelBuilder(
        image_uri=xgboost_image,
        s3_model_data_url=model_data,
        role_arn=config.role_arn,
        sagemaker_session=session,
    )
    step_register = ModelStep(
        name="RegisterModel",
        step_args=model_builder.register(
            model_package_group_name=config.model_package_group_name,
            content_types=["text/csv"],
            response_types=["text/csv"],
            inference_instances=["ml.t2.medium", "ml.m5.large", "ml.m5.xlarge"],
            transform_instances=["ml.m5.xlarge"],
            model_metrics=model_metrics,
            approval_status=model_approval_status,
            customer_metadata_properties=config.lineage_metadata or None,
            description="Abalone rings regression (built-in XGBoost), registered by the model-build pipeline",
        ),
    )

    # ---- 4b. fail, saying by how much -------------------------------------------------------
    step_fail = FailStep(
        name="MseAboveThreshold",
        error_message=Join(
            on=" ",
            values=["Test MSE", test_mse, "is above MseThreshold", mse_threshold, "- the model was not registered."],
        ),
    )

    # ---- 4. the quality gate ----------------------------------------------------------------
    step_gate = ConditionStep(
        name="MseCheck",
        conditions=[ConditionLessThanOrEqualTo(left=test_mse, right=mse_threshold)],
        if_steps=[step_register],
        else_steps=[step_fail],
    )

    return Pipeline(
        name=config.pipeline_name,
        parameters=[
            input_data_url,
            processing_instance_type,
            processing_instance_count,
            training_instance_type,
            training_instance_count,
            model_approval_status,
            mse_threshold,
            split_seed,
            *hyperparameter_parameters.values(),
        ],
        steps=[step_preprocess, step_train, step_evaluate, step_gate],
        sagemaker_session=session,
    )
