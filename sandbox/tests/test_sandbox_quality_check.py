"""The pipeline executor's QualityCheck steps: Model Monitor baselining jobs whose baselines reach the registry."""

from __future__ import annotations

import json
from typing import Any

import pytest

BUCKET = "art"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
FEATURES = "1,0.5,M\n2,1.5,F\n3,2.5,M\n4,3.5,I\n"
PREDICTIONS = "prediction,label\n1.0,1\n2.0,2\n3.0,3\n5.0,4\n"


def _check_step(name: str, dataset: str, environment: dict[str, str], **fields: Any) -> dict[str, Any]:
    """A QualityCheck step as the SageMaker SDK renders it (sagemaker.mlops.workflow.quality_check_step)."""
    return {
        "Name": name,
        "Type": "QualityCheck",
        "Arguments": {
            "ProcessingInputs": [{
                "InputName": "baseline_dataset_input",
                "S3Input": {"S3Uri": f"s3://{BUCKET}/{dataset}", "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                            "S3DataType": "S3Prefix", "S3InputMode": "File"},
            }],
            "ProcessingOutputConfig": {"Outputs": [{
                "OutputName": "quality_check_output",
                "S3Output": {"S3Uri": {"Std:Join": {"On": "/", "Values": [f"s3://{BUCKET}/out", {"Get": "Execution.PipelineExecutionId"}, name]}},
                             "LocalPath": "/opt/ml/processing/output", "S3UploadMode": "EndOfJob"},
            }]},
            "ProcessingResources": {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}},
            "AppSpecification": {"ImageUri": IMAGE},
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "Environment": {"output_path": "/opt/ml/processing/output", "publish_cloudwatch_metrics": "Disabled",
                            "dataset_source": "/opt/ml/processing/input/baseline_dataset_input", **environment},
        },
        "CheckType": "MODEL_QUALITY" if "analysis_type" in environment else "DATA_QUALITY",
        "ModelPackageGroupName": None,
        "SkipCheck": True,
        "FailOnViolation": True,
        "RegisterNewBaseline": True,
        "SuppliedBaselineStatistics": None,
        "SuppliedBaselineConstraints": None,
        **fields,
    }  # fmt: skip


def _source(step: str, prop: str) -> dict[str, Any]:
    return {"ContentType": "application/json", "S3Uri": {"Get": f"Steps.{step}.{prop}"}}


def _quality(step: str, prefix: str) -> dict[str, Any]:
    return {
        "Statistics": _source(step, f"{prefix}Statistics"),
        "Constraints": _source(step, f"{prefix}Constraints"),
    }


def _definition(**data_fields: Any) -> dict[str, Any]:
    data = _check_step(
        "DataBaseline", "features/", {"dataset_format": '{"csv": {"header": false}}'}, **data_fields
    )
    model = _check_step("ModelBaseline", "predictions/", {
        "dataset_format": '{"csv": {"header": true}}', "analysis_type": "MODEL_QUALITY", "problem_type": "Regression",
        "inference_attribute": "prediction", "ground_truth_attribute": "label",
    })  # fmt: skip
    register = {
        "Name": "Register",
        "Type": "RegisterModel",
        "Arguments": {
            "ModelPackageGroupName": "p-1",
            "ModelApprovalStatus": "PendingManualApproval",
            "InferenceSpecification": {
                "Containers": [{"Image": "xgboost", "ModelDataUrl": f"s3://{BUCKET}/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            "ModelMetrics": {
                "ModelDataQuality": _quality("DataBaseline", "CalculatedBaseline"),
                "ModelQuality": _quality("ModelBaseline", "CalculatedBaseline"),
            },
            "DriftCheckBaselines": {
                "ModelDataQuality": _quality("DataBaseline", "BaselineUsedForDriftCheck"),
                "ModelQuality": _quality("ModelBaseline", "BaselineUsedForDriftCheck"),
            },
        },
    }
    return {"Version": "2020-12-01", "Parameters": [], "Steps": [data, model, register]}


@pytest.fixture
def run(local_aws: Any, pipeline_helpers: tuple[Any, Any]) -> Any:
    """Runs a definition as pipeline p-1 over the two datasets: (execution, steps)."""
    create_pipeline, finished_execution = pipeline_helpers
    objects = {"features/baseline.csv": FEATURES, "predictions/predictions.csv": PREDICTIONS}

    def _run(definition: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        sm = create_pipeline(local_aws, definition, BUCKET, objects)
        execution = finished_execution(
            sm, sm.start_pipeline_execution(PipelineName="p-1")["PipelineExecutionArn"]
        )
        steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=execution["PipelineExecutionArn"])
        return execution, steps["PipelineExecutionSteps"]

    return _run


def _read(local_aws: Any, uri: str) -> Any:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(local_aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def test_baselines_are_written_and_registered_with_the_package(local_aws: Any, run: Any) -> None:
    execution, steps = run(_definition())
    assert execution["PipelineExecutionStatus"] == "Succeeded", steps
    by_name = {s["StepName"]: s for s in steps}
    execution_id = execution["PipelineExecutionArn"].rsplit("/", 1)[-1]
    data_meta = by_name["DataBaseline"]["Metadata"]["QualityCheck"]
    prefix = f"s3://{BUCKET}/out/{execution_id}/DataBaseline"
    assert data_meta["CheckType"] == "DATA_QUALITY"
    assert data_meta["CalculatedBaselineStatistics"] == f"{prefix}/statistics.json"
    assert data_meta["BaselineUsedForDriftCheckConstraints"] == f"{prefix}/constraints.json"
    assert data_meta["CheckJobArn"].startswith("arn:aws:sagemaker:")

    sm = local_aws.client("sagemaker")
    [summary] = sm.list_model_packages(ModelPackageGroupName="p-1")["ModelPackageSummaryList"]
    package = sm.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
    drift = package["DriftCheckBaselines"]["ModelDataQuality"]
    assert drift["Statistics"]["S3Uri"] == f"{prefix}/statistics.json"
    assert package["ModelMetrics"]["ModelQuality"]["Constraints"]["S3Uri"].endswith(
        "/ModelBaseline/constraints.json"
    )

    # The files are the analyzer's documented output for the uploaded datasets (headerless: _c0, _c1, _c2).
    statistics = _read(local_aws, drift["Statistics"]["S3Uri"])
    assert statistics["dataset"] == {"item_count": 4}
    assert [(f["name"], f["inferred_type"]) for f in statistics["features"]] == [
        ("_c0", "Integral"), ("_c1", "Fractional"), ("_c2", "String"),
    ]  # fmt: skip
    constraints = _read(local_aws, drift["Constraints"]["S3Uri"])
    assert constraints["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == 0.1
    model_stats = _read(local_aws, package["DriftCheckBaselines"]["ModelQuality"]["Statistics"]["S3Uri"])
    assert model_stats["regression_metrics"]["mae"]["value"] == 0.25  # one prediction off by 1 in 4


def test_a_drift_check_inside_the_pipeline_is_refused_not_skipped(run: Any) -> None:
    execution, steps = run(_definition(SkipCheck=False))
    assert execution["PipelineExecutionStatus"] == "Failed"
    failed = next(s for s in steps if s["StepName"] == "DataBaseline")
    assert "SkipCheck false" in failed["FailureReason"]


def test_a_missing_dataset_fails_the_baselining_job(run: Any) -> None:
    definition = _definition()
    definition["Steps"][0]["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] = f"s3://{BUCKET}/nothing/"
    execution, steps = run(definition)
    assert execution["PipelineExecutionStatus"] == "Failed"
    failed = next(s for s in steps if s["StepName"] == "DataBaseline")
    assert "no S3 objects found" in failed["FailureReason"]


def test_a_ground_truth_attribute_not_in_the_dataset_fails_with_the_columns_named(run: Any) -> None:
    definition = _definition()
    definition["Steps"][1]["Arguments"]["Environment"]["ground_truth_attribute"] = "rings"
    execution, steps = run(definition)
    assert execution["PipelineExecutionStatus"] == "Failed"
    failed = next(s for s in steps if s["StepName"] == "ModelBaseline")
    assert failed["FailureReason"].startswith("AlgorithmError: column 'rings' is not in the dataset")
    assert "prediction, label" in failed["FailureReason"]
