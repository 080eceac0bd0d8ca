"""StartPipelineExecution runs the definition locally; InvokeEndpoint serves the registered model.

The definition below is a tiny stand-in with the same step types and expressions the seed pipeline uses
(Processing with PropertyFiles, built-in XGBoost Training, Condition on Std:JsonGet, RegisterModel, Fail).
"""

from __future__ import annotations

import io
import json
import re
import tarfile
import time

import numpy as np
import pytest
import xgboost as xgb

PREPARE = """
import argparse, os
import numpy as np
p = argparse.ArgumentParser(); p.add_argument("--out"); p.add_argument("--rows", type=int)
a = p.parse_args()
rng = np.random.default_rng(0)
x = rng.uniform(0, 1, size=(a.rows, 2))
y = 3 * x[:, 0] + x[:, 1]
os.makedirs(a.out, exist_ok=True)
np.savetxt(os.path.join(a.out, "train.csv"), np.column_stack([y, x]), delimiter=",")
"""

EVALUATE = """
import argparse, json, os, tarfile
import numpy as np, xgboost as xgb
p = argparse.ArgumentParser(); p.add_argument("--model"); p.add_argument("--data"); p.add_argument("--out")
a = p.parse_args()
with tarfile.open(os.path.join(a.model, "model.tar.gz")) as t:
    t.extractall(a.model)
b = xgb.Booster(); b.load_model(os.path.join(a.model, "xgboost-model"))
d = np.loadtxt(os.path.join(a.data, "train.csv"), delimiter=",")
mse = float(np.mean((b.predict(xgb.DMatrix(d[:, 1:])) - d[:, 0]) ** 2))
os.makedirs(a.out, exist_ok=True)
json.dump({"regression_metrics": {"mse": {"value": mse}}}, open(os.path.join(a.out, "evaluation.json"), "w"))
"""

BUCKET = "art"
PREFIX = {"Std:Join": {"On": "/", "Values": ["s3://art/runs", {"Get": "Execution.PipelineExecutionId"}]}}


def _join(*parts):
    return {"Std:Join": {"On": "/", "Values": [PREFIX, *parts]}}


def _definition() -> dict:
    mse = {
        "Std:JsonGet": {
            "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Report"},
            "Path": "regression_metrics.mse.value",
        }
    }
    return {
        "Version": "2020-12-01",
        "Parameters": [
            {"Name": "Rows", "Type": "Integer", "DefaultValue": 200},
            {"Name": "MseThreshold", "Type": "Float", "DefaultValue": 1.0},
            {"Name": "ApprovalStatus", "Type": "String", "DefaultValue": "PendingManualApproval"},
        ],
        "Steps": [
            {
                "Name": "Prepare",
                "Type": "Processing",
                "Arguments": {
                    "AppSpecification": {
                        "ImageUri": "sklearn",
                        "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/prepare.py"],
                        "ContainerArguments": [
                            "--out",
                            "/opt/ml/processing/train",
                            "--rows",
                            {"Std:Join": {"On": "", "Values": [{"Get": "Parameters.Rows"}]}},
                        ],
                    },
                    "ProcessingInputs": [
                        {
                            "InputName": "code",
                            "S3Input": {
                                "S3Uri": "s3://art/code/prepare.py",
                                "LocalPath": "/opt/ml/processing/input/code",
                                "S3DataType": "S3Prefix",
                            },
                        }
                    ],
                    "ProcessingOutputConfig": {
                        "Outputs": [
                            {
                                "OutputName": "train",
                                "S3Output": {
                                    "S3Uri": _join("train"),
                                    "LocalPath": "/opt/ml/processing/train",
                                    "S3UploadMode": "EndOfJob",
                                },
                            }
                        ]
                    },
                },
            },
            {
                "Name": "Train",
                "Type": "Training",
                "Arguments": {
                    "AlgorithmSpecification": {
                        "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
                        "TrainingInputMode": "File",
                    },
                    "HyperParameters": {
                        "objective": "reg:squarederror",
                        "num_round": "30",
                        "max_depth": "3",
                        "eta": "0.3",
                    },
                    "InputDataConfig": [
                        {
                            "ChannelName": "train",
                            "ContentType": "text/csv",
                            "DataSource": {
                                "S3DataSource": {
                                    "S3DataType": "S3Prefix",
                                    "S3Uri": {
                                        "Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
                                    },
                                }
                            },
                        }
                    ],
                    "OutputDataConfig": {"S3OutputPath": _join("model")},
                },
            },
            {
                "Name": "Evaluate",
                "Type": "Processing",
                "Arguments": {
                    "AppSpecification": {
                        "ImageUri": "xgboost",
                        "ContainerEntrypoint": ["python3", "/opt/ml/processing/input/code/evaluate.py"],
                        "ContainerArguments": [
                            "--model",
                            "/opt/ml/processing/model",
                            "--data",
                            "/opt/ml/processing/data",
                            "--out",
                            "/opt/ml/processing/evaluation",
                        ],
                    },
                    "ProcessingInputs": [
                        {
                            "InputName": "model",
                            "S3Input": {
                                "S3Uri": {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"},
                                "LocalPath": "/opt/ml/processing/model",
                                "S3DataType": "S3Prefix",
                            },
                        },
                        {
                            "InputName": "data",
                            "S3Input": {
                                "S3Uri": {
                                    "Get": "Steps.Prepare.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
                                },
                                "LocalPath": "/opt/ml/processing/data",
                                "S3DataType": "S3Prefix",
                            },
                        },
                        {
                            "InputName": "code",
                            "S3Input": {
                                "S3Uri": "s3://art/code/evaluate.py",
                                "LocalPath": "/opt/ml/processing/input/code",
                                "S3DataType": "S3Prefix",
                            },
                        },
                    ],
                    "ProcessingOutputConfig": {
                        "Outputs": [
                            {
                                "OutputName": "evaluation",
                                "S3Output": {
                                    "S3Uri": _join("evaluation"),
                                    "LocalPath": "/opt/ml/processing/evaluation",
                                    "S3UploadMode": "EndOfJob",
                                },
                            }
                        ]
                    },
                },
                "PropertyFiles": [
                    {"PropertyFileName": "Report", "OutputName": "evaluation", "FilePath": "evaluation.json"}
                ],
            },
            {
                "Name": "Gate",
                "Type": "Condition",
                "Arguments": {
                    "Conditions": [
                        {
                            "Type": "LessThanOrEqualTo",
                            "LeftValue": mse,
                            "RightValue": {"Get": "Parameters.MseThreshold"},
                        }
                    ],
                    "IfSteps": [
                        {
                            "Name": "Register",
                            "Type": "RegisterModel",
                            "Arguments": {
                                "ModelPackageGroupName": "p-1",
                                "ModelApprovalStatus": {"Get": "Parameters.ApprovalStatus"},
                                "CustomerMetadataProperties": {"GitCommit": "abc"},
                                "ModelMetrics": {
                                    "ModelQuality": {
                                        "Statistics": {
                                            "ContentType": "application/json",
                                            "S3Uri": {
                                                "Std:Join": {
                                                    "On": "/",
                                                    "Values": [
                                                        {
                                                            "Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"
                                                        },
                                                        "evaluation.json",
                                                    ],
                                                }
                                            },
                                        }
                                    }
                                },
                                "InferenceSpecification": {
                                    "Containers": [
                                        {
                                            "Image": "xgboost",
                                            "ModelDataUrl": {
                                                "Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"
                                            },
                                        }
                                    ],
                                    "SupportedContentTypes": ["text/csv"],
                                    "SupportedResponseMIMETypes": ["text/csv"],
                                },
                            },
                        }
                    ],
                    "ElseSteps": [
                        {
                            "Name": "TooHigh",
                            "Type": "Fail",
                            "Arguments": {
                                "ErrorMessage": {
                                    "Std:Join": {
                                        "On": " ",
                                        "Values": ["MSE", mse, "above", {"Get": "Parameters.MseThreshold"}],
                                    }
                                }
                            },
                        }
                    ],
                },
            },
        ],
    }


@pytest.fixture
def pipeline(local_aws, pipeline_helpers):
    create_pipeline, _ = pipeline_helpers
    return create_pipeline(
        local_aws, _definition(), BUCKET, {"code/prepare.py": PREPARE, "code/evaluate.py": EVALUATE}
    )


def _run(sm, **parameters) -> tuple[dict, list[dict]]:
    arn = sm.start_pipeline_execution(
        PipelineName="p-1", PipelineParameters=[{"Name": k, "Value": str(v)} for k, v in parameters.items()]
    )["PipelineExecutionArn"]
    assert sm.describe_pipeline_execution(PipelineExecutionArn=arn)["PipelineExecutionStatus"] == "Executing"
    for _ in range(600):
        execution = sm.describe_pipeline_execution(PipelineExecutionArn=arn)
        if execution["PipelineExecutionStatus"] != "Executing":
            break
        time.sleep(0.1)
    steps = sm.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
    return execution, steps


def test_execution_trains_evaluates_and_registers(local_aws, pipeline):
    execution, steps = _run(pipeline, MseThreshold=1.0)
    assert execution["PipelineExecutionStatus"] == "Succeeded", steps
    # Newest first, as SageMaker's default SortOrder (Descending) returns them.
    assert [s["StepName"] for s in steps] == ["Register", "Gate", "Evaluate", "Train", "Prepare"]
    assert all(s["StepStatus"] == "Succeeded" and s["EndTime"] >= s["StartTime"] for s in steps)
    by_name = {s["StepName"]: s for s in steps}
    assert by_name["Gate"]["Metadata"]["Condition"]["Outcome"] == "True"
    assert by_name["Train"]["Metadata"]["TrainingJob"]["Arn"].startswith(
        "arn:aws:sagemaker:us-east-1:123456789012:training-job/pipelines-"
    )
    package_arn = by_name["Register"]["Metadata"]["RegisterModel"]["Arn"]
    package = pipeline.describe_model_package(ModelPackageName=package_arn)
    assert package["ModelApprovalStatus"] == "PendingManualApproval"
    assert package["CustomerMetadataProperties"] == {"GitCommit": "abc"}
    assert package["MetadataProperties"]["GeneratedBy"] == execution["PipelineExecutionArn"]
    model_url = package["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    execution_id = execution["PipelineExecutionArn"].rsplit("/", 1)[-1]
    assert model_url.startswith(f"s3://art/runs/{execution_id}/model/pipelines-{execution_id}-Train-")
    assert model_url.endswith("/output/model.tar.gz")
    metrics_uri = package["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri"]
    assert metrics_uri == f"s3://art/runs/{execution_id}/evaluation/evaluation.json"
    s3 = local_aws.client("s3")
    report = json.loads(s3.get_object(Bucket="art", Key=metrics_uri.removeprefix("s3://art/"))["Body"].read())
    assert 0 <= report["regression_metrics"]["mse"]["value"] <= 1.0

    # The registered model, deployed, answers with the trained booster's predictions.
    pipeline.create_model(
        ModelName="m",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
        PrimaryContainer={"ModelPackageName": package_arn},
    )
    pipeline.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "m",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    pipeline.create_endpoint(EndpointName="p-1-staging", EndpointConfigName="c")
    rows = np.array([[0.1, 0.2], [0.9, 0.5], [0.5, 0.5]])
    body = "\n".join(",".join(str(v) for v in row) for row in rows)
    runtime = local_aws.client("sagemaker-runtime")
    response = runtime.invoke_endpoint(EndpointName="p-1-staging", ContentType="text/csv", Body=body)
    assert response["ContentType"] == "text/csv"
    served = [float(v) for v in response["Body"].read().decode().split()]
    archive = s3.get_object(Bucket="art", Key=model_url.removeprefix("s3://art/"))["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        raw = tar.extractfile("xgboost-model").read()
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    assert served == pytest.approx(booster.predict(xgb.DMatrix(rows)).tolist(), rel=1e-6)

    with pytest.raises(runtime.exceptions.ModelError):
        runtime.invoke_endpoint(EndpointName="p-1-staging", ContentType="text/csv", Body="1,2,3,4")
    with pytest.raises(
        runtime.exceptions.ValidationError, match="Endpoint nope of account 123456789012 not found"
    ):
        runtime.invoke_endpoint(EndpointName="nope", ContentType="text/csv", Body="1,2")


def test_condition_false_runs_the_fail_step_with_its_message(local_aws, pipeline):
    execution, steps = _run(pipeline, MseThreshold=0.0)
    assert execution["PipelineExecutionStatus"] == "Failed"
    by_name = {s["StepName"]: s for s in steps}
    assert by_name["Gate"]["Metadata"]["Condition"]["Outcome"] == "False"
    assert "Register" not in by_name
    assert by_name["TooHigh"]["StepStatus"] == "Failed"
    assert by_name["TooHigh"]["FailureReason"].startswith("MSE ")
    assert by_name["TooHigh"]["FailureReason"].endswith(" above 0.0")
    assert execution["FailureReason"] == by_name["TooHigh"]["FailureReason"]
    assert pipeline.list_model_packages(ModelPackageGroupName="p-1")["ModelPackageSummaryList"] == []


def test_a_failing_processing_script_fails_its_step_with_the_output_tail(local_aws, pipeline):
    local_aws.client("s3").put_object(
        Bucket=BUCKET, Key="code/prepare.py", Body="raise SystemExit('no data here')"
    )
    execution, steps = _run(pipeline)
    assert execution["PipelineExecutionStatus"] == "Failed"
    assert [s["StepName"] for s in steps] == ["Prepare"]
    assert steps[0]["FailureReason"] == "AlgorithmError: exit code 1. Last output: no data here"


def test_unknown_parameter_is_rejected_before_any_execution(local_aws, pipeline):
    with pytest.raises(pipeline.exceptions.ClientError, match="Parameter Nope is not defined"):
        _run(pipeline, Nope=1)
    assert pipeline.list_pipeline_executions(PipelineName="p-1")["PipelineExecutionSummaries"] == []


@pytest.mark.parametrize(
    ("environment", "reason"),
    [
        ({"SAGEMAKER_PROGRAM": "", "SAGEMAKER_SUBMIT_DIRECTORY": ""}, "Empty module name"),
        ({"SAGEMAKER_PROGRAM": "inference.py"}, "No module named 'inference.py'"),
    ],
)
def test_a_program_variable_selects_script_mode_and_fails_the_health_check(
    local_aws, environment: dict[str, str], reason: str
) -> None:
    """aws/sagemaker-xgboost-container serving.py main(): only an *absent* SAGEMAKER_PROGRAM serves the model
    in algorithm mode (ModelBuilder.register() writes it as "", which is issue 10.1's defect)."""
    import xgboost as xgb

    s3 = local_aws.client("s3")
    s3.create_bucket(Bucket="models")
    booster = xgb.train(
        {"objective": "reg:squarederror"}, xgb.DMatrix(np.array([[0.0], [1.0]]), label=[0, 1]), 2
    )
    work = io.BytesIO()
    raw = bytes(booster.save_raw("json"))
    with tarfile.open(fileobj=work, mode="w:gz") as tar:
        info = tarfile.TarInfo("xgboost-model")
        info.size = len(raw)
        tar.addfile(info, io.BytesIO(raw))
    s3.put_object(Bucket="models", Key="model.tar.gz", Body=work.getvalue())
    sagemaker = local_aws.client("sagemaker")
    runtime = local_aws.client("sagemaker-runtime")
    for name, env in (("algorithm", {}), ("script", environment)):
        sagemaker.create_model(
            ModelName=name,
            ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
            PrimaryContainer={
                "Image": "xgboost:1.7-1",
                "ModelDataUrl": "s3://models/model.tar.gz",
                "Environment": env,
            },
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName=name,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": name,
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    served = runtime.invoke_endpoint(EndpointName="algorithm", ContentType="text/csv", Body="0.5")
    assert len(served["Body"].read().decode().split()) == 1
    with pytest.raises(runtime.exceptions.ValidationError) as error:
        runtime.invoke_endpoint(EndpointName="script", ContentType="text/csv", Body="0.5")
    message = error.value.response["Error"]["Message"]
    assert "did not pass the ping health check" in message
    assert reason in message
    assert "Remove SAGEMAKER_PROGRAM" in message


def _log_lines(aws, group: str, job_name: str) -> list[str]:
    logs = aws.client("logs")
    [stream] = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=job_name + "/")["logStreams"]
    assert re.fullmatch(re.escape(job_name) + r"/algo-1-\d{10}", stream["logStreamName"])
    events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
    return [e["message"] for e in events]


def test_the_jobs_a_pipeline_ran_can_be_described_and_logged_to_their_log_groups(local_aws, pipeline):
    execution, steps = _run(pipeline, MseThreshold=1.0)
    assert execution["PipelineExecutionStatus"] == "Succeeded", steps
    by_name = {s["StepName"]: s for s in steps}
    training_arn = by_name["Train"]["Metadata"]["TrainingJob"]["Arn"]
    [training] = pipeline.list_training_jobs()["TrainingJobSummaries"]
    assert training["TrainingJobArn"] == training_arn
    job = pipeline.describe_training_job(TrainingJobName=training["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Completed"
    assert job["SecondaryStatus"] == "Completed"
    assert job["TrainingStartTime"] <= job["TrainingEndTime"]
    assert "sagemaker-xgboost" in job["AlgorithmSpecification"]["TrainingImage"]
    assert "MetricDefinitions" not in job["AlgorithmSpecification"]  # moto's invented test:dcg is gone
    assert job["ModelArtifacts"]["S3ModelArtifacts"].endswith(
        f"/{job['TrainingJobName']}/output/model.tar.gz"
    )
    assert [t["Status"] for t in job["SecondaryStatusTransitions"]] == ["Starting", "Completed"]
    assert _log_lines(local_aws, "/aws/sagemaker/TrainingJobs", job["TrainingJobName"])

    processing_names = {
        s["ProcessingJobName"] for s in pipeline.list_processing_jobs()["ProcessingJobSummaries"]
    }
    assert len(processing_names) == 2  # Prepare and Evaluate
    for name in processing_names:
        processing = pipeline.describe_processing_job(ProcessingJobName=name)
        assert processing["ProcessingJobStatus"] == "Completed"
        assert processing["ProcessingStartTime"] <= processing["ProcessingEndTime"]
        assert processing["AppSpecification"]["ContainerEntrypoint"][0] == "python3"
        assert "FailureReason" not in processing


def test_a_failed_processing_job_describes_its_failure_and_keeps_its_output_in_logs(local_aws, pipeline):
    local_aws.client("s3").put_object(
        Bucket=BUCKET, Key="code/prepare.py", Body="print('reading'); raise SystemExit('no data here')"
    )
    execution, steps = _run(pipeline)
    assert execution["PipelineExecutionStatus"] == "Failed"
    name = steps[0]["Metadata"]["ProcessingJob"]["Arn"].rsplit("/", 1)[-1]
    [summary] = pipeline.list_processing_jobs()["ProcessingJobSummaries"]
    assert summary["ProcessingJobName"].lower() == name
    processing = pipeline.describe_processing_job(ProcessingJobName=summary["ProcessingJobName"])
    assert processing["ProcessingJobStatus"] == "Failed"
    assert processing["FailureReason"] == "AlgorithmError: exit code 1. Last output: reading | no data here"
    assert _log_lines(local_aws, "/aws/sagemaker/ProcessingJobs", summary["ProcessingJobName"]) == [
        "reading",
        "no data here",
    ]
