"""The Abalone model-build SageMaker Pipeline (SageMaker Python SDK v3).

::

    Preprocess ─▶ Train (built-in XGBoost) ─▶ Evaluate ─▶ MseCheck ─┬─ MSE ≤ MseThreshold ─▶ RegisterModel
        │                                          │               └─ otherwise ────────────▶ MseAboveThreshold (Fail)
        └▶ DataQualityBaseline                     └▶ ModelQualityBaseline   (both registered with the model)

``get_pipeline(config)`` builds the definition; ``config.config_from_env()`` reads the project's CI/CD
variables (see the README); ``monitoring`` makes the two Model Monitor baselines. Nothing here talks to AWS except what the SDK needs to build a
definition: uploading the two scripts to the artifacts bucket.
"""

from __future__ import annotations

import os
from typing import Any

from pipelines.abalone import evaluate as evaluate_script
from pipelines.abalone import monitoring
from pipelines.abalone.config import PipelineConfig, pipeline_session, s3_path
from pipelines.abalone.hyperparameters import (
    DEFAULT_HYPERPARAMETERS,
    FIXED_HYPERPARAMETERS,
    PIPELINE_PARAMETER_NAMES,
    hyperparameter_kind,
)

HERE = os.path.dirname(os.path.abspath(__file__))

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
BASELINE_PATH = f"{PROCESSING_ROOT}/baseline"
PREDICTIONS_PATH = f"{PROCESSING_ROOT}/predictions"

DEFAULT_MSE_THRESHOLD = 6.0
DEFAULT_APPROVAL_STATUS = "PendingManualApproval"


def _s3_input(name: str, s3_uri: Any, local_path: str) -> Any:
    """A processing input: the S3 prefix copied into ``local_path`` before the script starts."""
    from sagemaker.core.shapes import ProcessingInput, ProcessingS3Input

    return ProcessingInput(
        input_name=name,
        s3_input=ProcessingS3Input(s3_uri=s3_uri, local_path=local_path, s3_data_type="S3Prefix", s3_input_mode="File"),
    )


def _s3_output(name: str, local_path: str, s3_uri: Any) -> Any:
    """A processing output: ``local_path`` uploaded to ``s3_uri`` when the job ends."""
    from sagemaker.core.shapes import ProcessingOutput, ProcessingS3Output

    return ProcessingOutput(
        output_name=name,
        s3_output=ProcessingS3Output(s3_uri=s3_uri, local_path=local_path, s3_upload_mode="EndOfJob"),
    )


def _script_processor(
    config: PipelineConfig, session: Any, image_uri: str, instance_type: Any, instance_count: Any, job: str
) -> Any:
    """A processor running one of this package's scripts with ``python3`` in ``image_uri``."""
    from sagemaker.core.processing import ScriptProcessor

    return ScriptProcessor(
        image_uri=image_uri,
        command=["python3"],
        role=config.role_arn,
        instance_type=instance_type,
        instance_count=instance_count,
        base_job_name=f"{config.base_job_prefix}-{job}",
        sagemaker_session=session,
    )


def _output_uri(step: Any, name: str) -> Any:
    """Where a processing step's output ``name`` went (a property reference, resolved at run time)."""
    return step.properties.ProcessingOutputConfig.Outputs[name].S3Output.S3Uri


def get_pipeline(config: PipelineConfig, session: Any = None) -> Any:
    """The pipeline for ``config`` (a ``sagemaker.mlops.workflow.pipeline.Pipeline``)."""
    # The SDK is imported here so that importing this module (e.g. for its constants) is cheap.
    from sagemaker.core import image_uris
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
    preprocessor = _script_processor(
        config, session, sklearn_image, processing_instance_type, processing_instance_count, "preprocess"
    )
    step_preprocess = ProcessingStep(
        name="Preprocess",
        step_args=preprocessor.run(
            code=os.path.join(HERE, "preprocess.py"),
            inputs=[_s3_input("raw", input_data_url, RAW_DATA_PATH)],
            outputs=[_s3_output(name, split_paths[name], s3_path(config, "data", name)) for name in SPLIT_NAMES]
            + [_s3_output("baseline", BASELINE_PATH, s3_path(config, "data", "baseline"))],
            arguments=[
                "--input-dir",
                RAW_DATA_PATH,
                "--train-dir",
                split_paths["train"],
                "--validation-dir",
                split_paths["validation"],
                "--test-dir",
                split_paths["test"],
                "--baseline-dir",
                BASELINE_PATH,
                "--split-seed",
                split_seed.to_string(),
            ],
        ),
    )

    def split_uri(name: str) -> Any:
        return _output_uri(step_preprocess, name)

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
        output_data_config=OutputDataConfig(s3_output_path=s3_path(config, "model")),
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
    evaluator = _script_processor(config, session, xgboost_image, processing_instance_type, 1, "evaluate")
    step_evaluate = ProcessingStep(
        name="Evaluate",
        step_args=evaluator.run(
            code=os.path.join(HERE, "evaluate.py"),
            inputs=[_s3_input("model", model_data, MODEL_PATH), _s3_input("test", split_uri("test"), TEST_PATH)],
            outputs=[
                _s3_output("evaluation", EVALUATION_PATH, s3_path(config, "evaluation")),
                _s3_output("predictions", PREDICTIONS_PATH, s3_path(config, "predictions")),
            ],
            arguments=[
                "--model-dir",
                MODEL_PATH,
                "--test-dir",
                TEST_PATH,
                "--output-dir",
                EVALUATION_PATH,
                "--predictions-dir",
                PREDICTIONS_PATH,
            ],
        ),
        property_files=[evaluation_report],
    )
    test_mse = JsonGet(
        step_name=step_evaluate.name, property_file=evaluation_report, json_path=evaluate_script.MSE_JSON_PATH
    )

    # ---- 4a. monitoring baselines, registered with the model -------------------------------------
    baselines = monitoring.baseline_steps(
        role_arn=config.role_arn,
        base_job_prefix=config.base_job_prefix,
        instance_type=processing_instance_type,
        baseline_dataset=_output_uri(step_preprocess, "baseline"),
        predictions_dataset=_output_uri(step_evaluate, "predictions"),
        output_s3_uri=lambda name: s3_path(config, "monitoring", name),
        session=session,
    )

    # ---- 4b. register -------------------------------------------------------------------------
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
            model_metrics=baselines.model_metrics,
            drift_check_baselines=baselines.drift_check_baselines,
            approval_status=model_approval_status,
            customer_metadata_properties=config.lineage_metadata or None,
            description="Abalone rings regression (built-in XGBoost), registered by the model-build pipeline",
        ),
    )

    # ---- 4c. fail, saying by how much -------------------------------------------------------
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
        steps=[step_preprocess, step_train, step_evaluate, *baselines.steps, step_gate],
        sagemaker_session=session,
    )
