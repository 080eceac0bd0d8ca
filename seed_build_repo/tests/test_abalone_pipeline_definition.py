"""The pipeline definition, built offline under moto: steps, wiring, parameters, gate, registration.

Also runs the processing scripts with the exact container arguments from the definition (paths
remapped to temp dirs, as any local runner would), proving that every container path reaches
the scripts through their arguments and that the gate's JsonGet path exists in the real report.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb

from pipelines.abalone import evaluate, preprocess
from pipelines.abalone.hyperparameters import DEFAULT_HYPERPARAMETERS, PIPELINE_PARAMETER_NAMES
from pipelines.abalone.pipeline import DEFAULT_MSE_THRESHOLD

QUALITY_CHECK_PROPERTIES = {
    "CalculatedBaselineStatistics",
    "CalculatedBaselineConstraints",
    "BaselineUsedForDriftCheckStatistics",
    "BaselineUsedForDriftCheckConstraints",
}
GET_STEP = re.compile(r"^Steps\.(?P<step>[A-Za-z0-9_-]+)\.(?P<path>.+)$")


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _gets(node: Any) -> list[str]:
    return [n["Get"] for n in _walk(node) if isinstance(n, dict) and isinstance(n.get("Get"), str)]


def _flat_steps(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """Top-level steps then condition branches, in definition order."""
    result = []
    for step in definition["Steps"]:
        result.append(step)
        if step["Type"] == "Condition":
            result.extend(step["Arguments"]["IfSteps"] + step["Arguments"]["ElseSteps"])
    return result


@pytest.fixture(scope="module")
def definition(built_pipeline: dict[str, Any]) -> dict[str, Any]:
    return built_pipeline["definition"]


@pytest.fixture(scope="module")
def steps(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["Name"]: step for step in _flat_steps(definition)}


def test_steps_and_types(definition: dict[str, Any], steps: dict[str, dict[str, Any]]) -> None:
    assert [(s["Name"], s["Type"]) for s in definition["Steps"]] == [
        ("Preprocess", "Processing"),
        ("Train", "Training"),
        ("Evaluate", "Processing"),
        ("DataQualityBaseline", "QualityCheck"),
        ("ModelQualityBaseline", "QualityCheck"),
        ("MseCheck", "Condition"),
    ]
    gate = steps["MseCheck"]["Arguments"]
    assert [(s["Name"], s["Type"]) for s in gate["IfSteps"]] == [("RegisterModel", "RegisterModel")]
    assert [(s["Name"], s["Type"]) for s in gate["ElseSteps"]] == [("MseAboveThreshold", "Fail")]


def test_parameters_and_defaults(definition: dict[str, Any]) -> None:
    params = {p["Name"]: p for p in definition["Parameters"]}
    expected_types = {
        "InputDataUrl": "String",
        "ProcessingInstanceType": "String",
        "ProcessingInstanceCount": "Integer",
        "TrainingInstanceType": "String",
        "TrainingInstanceCount": "Integer",
        "ModelApprovalStatus": "String",
        "MseThreshold": "Float",
        "SplitSeed": "Integer",
    }
    for name, kind in expected_types.items():
        assert params[name]["Type"] == kind, name
    assert params["ModelApprovalStatus"]["DefaultValue"] == "PendingManualApproval"
    assert params["MseThreshold"]["DefaultValue"] == DEFAULT_MSE_THRESHOLD
    # The project's INPUT_DATA_URL variable becomes the parameter's default.
    assert params["InputDataUrl"]["DefaultValue"] == "s3://sagemaker-p-abcdefghijkl-artifacts/data/abalone.csv"
    for hyperparameter, parameter in PIPELINE_PARAMETER_NAMES.items():
        assert float(params[parameter]["DefaultValue"]) == float(DEFAULT_HYPERPARAMETERS[hyperparameter])


def test_every_reference_resolves_to_an_earlier_step_or_a_declared_parameter(definition: dict[str, Any]) -> None:
    declared = {p["Name"] for p in definition["Parameters"]}
    flat = _flat_steps(definition)
    order = {step["Name"]: i for i, step in enumerate(flat)}
    # Branch steps run after their condition, which runs after everything it depends on.
    for index, step in enumerate(flat):
        for ref in _gets(step.get("Arguments", {})):
            if ref.startswith("Parameters."):
                assert ref.removeprefix("Parameters.") in declared, ref
            elif ref.startswith("Execution."):
                assert ref in {"Execution.PipelineExecutionId"}, ref
            else:
                match = GET_STEP.match(ref)
                assert match, ref
                assert order[match["step"]] < index, f"{step['Name']} uses {ref} before it runs"


def test_property_references_name_real_outputs_and_property_files(
    definition: dict[str, Any], steps: dict[str, dict[str, Any]]
) -> None:
    refs = [r for s in _flat_steps(definition) for r in _gets(s.get("Arguments", {})) if r.startswith("Steps.")]
    assert refs, "the steps must be wired through property references"
    for ref in refs:
        match = GET_STEP.match(ref)
        assert match
        target, path = steps[match["step"]], match["path"]
        if path.startswith("ProcessingOutputConfig.Outputs["):
            output = re.match(r"ProcessingOutputConfig\.Outputs\['([^']+)'\]\.S3Output\.S3Uri$", path)
            assert output, ref
            names = [o["OutputName"] for o in target["Arguments"]["ProcessingOutputConfig"]["Outputs"]]
            assert output[1] in names, ref
        elif path.startswith("PropertyFiles."):
            names = [p["PropertyFileName"] for p in target["PropertyFiles"]]
            assert path.removeprefix("PropertyFiles.") in names, ref
        elif target["Type"] == "QualityCheck":
            # The four properties a QualityCheck step has (SageMaker Pipelines, "QualityCheck step").
            assert path in QUALITY_CHECK_PROPERTIES, ref
        else:
            assert (target["Type"], path) == ("Training", "ModelArtifacts.S3ModelArtifacts"), ref


def test_data_flows_preprocess_to_train_and_evaluate(steps: dict[str, dict[str, Any]]) -> None:
    channels = {c["ChannelName"]: c for c in steps["Train"]["Arguments"]["InputDataConfig"]}
    assert set(channels) == {"train", "validation"}
    for name, channel in channels.items():
        assert channel["ContentType"] == "text/csv"
        assert channel["DataSource"]["S3DataSource"]["S3Uri"] == {
            "Get": f"Steps.Preprocess.ProcessingOutputConfig.Outputs['{name}'].S3Output.S3Uri"
        }
    inputs = {i["InputName"]: i["S3Input"] for i in steps["Evaluate"]["Arguments"]["ProcessingInputs"]}
    assert inputs["model"]["S3Uri"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    assert inputs["test"]["S3Uri"] == {"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"}
    raw = {i["InputName"]: i["S3Input"] for i in steps["Preprocess"]["Arguments"]["ProcessingInputs"]}
    assert raw["raw"]["S3Uri"] == {"Get": "Parameters.InputDataUrl"}


def test_outputs_are_per_execution_under_the_artifacts_bucket(steps: dict[str, dict[str, Any]]) -> None:
    outputs = steps["Preprocess"]["Arguments"]["ProcessingOutputConfig"]["Outputs"]
    for output in outputs:
        join = output["S3Output"]["S3Uri"]["Std:Join"]
        assert join["Values"][:2] == [
            "s3://sagemaker-p-abcdefghijkl-artifacts/abalone-demo-p-abcdefghijkl",
            {"Get": "Execution.PipelineExecutionId"},
        ]
    model_output = steps["Train"]["Arguments"]["OutputDataConfig"]["S3OutputPath"]["Std:Join"]["Values"]
    assert model_output[-1] == "model"


def test_training_uses_builtin_xgboost_with_parameterised_hyperparameters(steps: dict[str, dict[str, Any]]) -> None:
    args = steps["Train"]["Arguments"]
    assert args["AlgorithmSpecification"]["TrainingImage"].endswith("/sagemaker-xgboost:1.7-1")
    assert "683313688378.dkr.ecr.us-east-1.amazonaws.com" in args["AlgorithmSpecification"]["TrainingImage"]
    hyper = args["HyperParameters"]
    assert hyper["objective"] == "reg:squarederror"
    for hyperparameter, parameter in PIPELINE_PARAMETER_NAMES.items():
        assert _gets(hyper[hyperparameter]) == [f"Parameters.{parameter}"], hyperparameter
    assert "early_stopping_rounds" in hyper
    assert args["ResourceConfig"]["InstanceType"] == {"Get": "Parameters.TrainingInstanceType"}
    assert args["ResourceConfig"]["InstanceCount"] == {"Get": "Parameters.TrainingInstanceCount"}
    assert args["RoleArn"] == "arn:aws:iam::123456789012:role/sagemaker-p-abcdefghijkl-pipeline"


def test_processing_images_and_entrypoints(steps: dict[str, dict[str, Any]]) -> None:
    pre = steps["Preprocess"]["Arguments"]["AppSpecification"]
    ev = steps["Evaluate"]["Arguments"]["AppSpecification"]
    assert "sagemaker-scikit-learn:1.2-1" in pre["ImageUri"]
    assert ev["ImageUri"].endswith("sagemaker-xgboost:1.7-1")
    assert pre["ContainerEntrypoint"] == ["python3", "/opt/ml/processing/input/code/preprocess.py"]
    assert ev["ContainerEntrypoint"] == ["python3", "/opt/ml/processing/input/code/evaluate.py"]


def test_uploaded_code_is_the_repo_scripts_in_the_artifacts_bucket(
    built_pipeline: dict[str, Any], steps: dict[str, dict[str, Any]]
) -> None:
    # No bucket other than the project's was created: the CI role needs no s3:CreateBucket.
    assert built_pipeline["buckets"] == ["sagemaker-p-abcdefghijkl-artifacts"]
    for step_name, module in (("Preprocess", preprocess), ("Evaluate", evaluate)):
        code = next(i for i in steps[step_name]["Arguments"]["ProcessingInputs"] if i["InputName"] == "code")
        uri = code["S3Input"]["S3Uri"]
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        assert bucket == "sagemaker-p-abcdefghijkl-artifacts"
        local = Path(module.__file__ or "").read_bytes()
        assert hashlib.sha256(built_pipeline["objects"][key]).digest() == hashlib.sha256(local).digest()


def test_quality_gate_compares_report_mse_with_the_threshold_parameter(steps: dict[str, dict[str, Any]]) -> None:
    (condition,) = steps["MseCheck"]["Arguments"]["Conditions"]
    assert condition["Type"] == "LessThanOrEqualTo"
    json_get = condition["LeftValue"]["Std:JsonGet"]
    assert json_get["PropertyFile"] == {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"}
    assert json_get["Path"] == "regression_metrics.mse.value"
    assert condition["RightValue"] == {"Get": "Parameters.MseThreshold"}
    (property_file,) = steps["Evaluate"]["PropertyFiles"]
    assert property_file == {
        "PropertyFileName": "EvaluationReport",
        "OutputName": "evaluation",
        "FilePath": "evaluation.json",
    }


def test_fail_step_message_states_mse_and_threshold(steps: dict[str, dict[str, Any]]) -> None:
    join = steps["MseAboveThreshold"]["Arguments"]["ErrorMessage"]["Std:Join"]
    values = join["Values"]
    assert any(
        isinstance(v, dict) and v.get("Std:JsonGet", {}).get("Path") == "regression_metrics.mse.value" for v in values
    )
    assert {"Get": "Parameters.MseThreshold"} in values
    assert "MSE" in " ".join(v for v in values if isinstance(v, str))


def test_registration_arguments(steps: dict[str, dict[str, Any]]) -> None:
    args = steps["RegisterModel"]["Arguments"]
    assert args["ModelPackageGroupName"] == "abalone-demo-p-abcdefghijkl"
    assert args["ModelApprovalStatus"] == {"Get": "Parameters.ModelApprovalStatus"}
    (container,) = args["InferenceSpecification"]["Containers"]
    assert container["Image"].endswith("/sagemaker-xgboost:1.7-1")
    assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    # The built-in XGBoost container serves the model (algorithm mode) only when SAGEMAKER_PROGRAM is
    # absent; present, even empty, it imports a user module and fails /ping (aws/sagemaker-xgboost-container,
    # serving.py main()). ModelBuilder.register() writes both variables empty: issue 10.1.
    environment = container.get("Environment", {})
    assert "SAGEMAKER_PROGRAM" not in environment
    assert "SAGEMAKER_SUBMIT_DIRECTORY" not in environment
    assert args["InferenceSpecification"]["SupportedContentTypes"] == ["text/csv"]
    assert args["InferenceSpecification"]["SupportedResponseMIMETypes"] == ["text/csv"]
    # Model Monitor's baselines, as the model card (ModelMetrics) and as what production is judged against
    # (DriftCheckBaselines): issue 14.
    for field, prefix in (("ModelMetrics", "CalculatedBaseline"), ("DriftCheckBaselines", "BaselineUsedForDriftCheck")):
        for kind, step in (("ModelDataQuality", "DataQualityBaseline"), ("ModelQuality", "ModelQualityBaseline")):
            for part in ("Statistics", "Constraints"):
                assert args[field][kind][part] == {
                    "ContentType": "application/json",
                    "S3Uri": {"Get": f"Steps.{step}.{prefix}{part}"},
                }, (field, kind, part)
    assert args["CustomerMetadataProperties"] == {
        "GitCommit": "0123456789abcdef0123456789abcdef01234567",
        "CiPipelineUrl": "https://gitlab.example.com/ml/abalone-demo-p-abcdefghijkl-model-build/-/pipelines/7",
        "SageMakerProjectName": "abalone-demo",
    }


def test_quality_check_steps_baseline_the_training_features_and_the_test_predictions(
    steps: dict[str, dict[str, Any]],
) -> None:
    data, model = steps["DataQualityBaseline"], steps["ModelQualityBaseline"]
    # The first baseline of a model: nothing to check against yet, the calculated baseline is registered.
    for step in (data, model):
        assert (step["SkipCheck"], step["RegisterNewBaseline"]) == (True, True)
        assert step["Arguments"]["AppSpecification"]["ImageUri"].endswith("/sagemaker-model-monitor-analyzer")
        (dataset,) = step["Arguments"]["ProcessingInputs"]
        assert dataset["S3Input"]["LocalPath"] == step["Arguments"]["Environment"]["dataset_source"]
        (output,) = step["Arguments"]["ProcessingOutputConfig"]["Outputs"]
        assert output["S3Output"]["LocalPath"] == step["Arguments"]["Environment"]["output_path"]
        assert output["S3Output"]["S3Uri"]["Std:Join"]["Values"][0].startswith(
            "s3://sagemaker-p-abcdefghijkl-artifacts/"
        )
    assert data["CheckType"] == "DATA_QUALITY"
    assert data["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['baseline'].S3Output.S3Uri"
    }
    # Headerless like the CSV records the endpoint captures, so the columns are _c0, _c1, ... on both sides.
    assert json.loads(data["Arguments"]["Environment"]["dataset_format"]) == {
        "csv": {"header": False, "output_columns_position": "START"}
    }
    assert model["CheckType"] == "MODEL_QUALITY"
    assert model["Arguments"]["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['predictions'].S3Output.S3Uri"
    }
    environment = model["Arguments"]["Environment"]
    assert environment["analysis_type"] == "MODEL_QUALITY"
    assert environment["problem_type"] == "Regression"
    assert (environment["inference_attribute"], environment["ground_truth_attribute"]) == (
        evaluate.PREDICTION_COLUMN,
        evaluate.LABEL_COLUMN,
    )


def _local_paths(step: dict[str, Any]) -> dict[str, str]:
    """Container path → S3 side, for every input and output except the uploaded code."""
    args = step["Arguments"]
    paths = {
        i["S3Input"]["LocalPath"]: i["InputName"] for i in args.get("ProcessingInputs", []) if i["InputName"] != "code"
    }
    paths.update({o["S3Output"]["LocalPath"]: o["OutputName"] for o in args["ProcessingOutputConfig"]["Outputs"]})
    return paths


def _remap(arguments: list[Any], mapping: dict[str, Path], parameters: dict[str, str]) -> list[str]:
    result = []
    for arg in arguments:
        if isinstance(arg, dict):
            (ref,) = _gets(arg)
            result.append(parameters[ref.removeprefix("Parameters.")])
        else:
            result.append(str(mapping.get(arg, arg)))
    return result


def test_scripts_run_with_the_definitions_arguments_and_the_gate_path_exists(
    definition: dict[str, Any], steps: dict[str, dict[str, Any]], tmp_path: Path, make_rows: Any, write_csv: Any
) -> None:
    parameters = {p["Name"]: str(p["DefaultValue"]) for p in definition["Parameters"]}

    # Preprocess: every container path appears among the arguments, so remapping them is enough.
    pre = steps["Preprocess"]
    pre_paths = _local_paths(pre)
    arguments = pre["Arguments"]["AppSpecification"]["ContainerArguments"]
    assert set(pre_paths) <= {a for a in arguments if isinstance(a, str)}, (
        "a container path is not passed to preprocess.py"
    )
    mapping = {path: tmp_path / "pre" / name for path, name in pre_paths.items()}
    write_csv(mapping["/opt/ml/processing/input/data"] / "abalone.csv", make_rows(300))
    assert preprocess.main(_remap(arguments, mapping, parameters)) == 0
    for name in ("train", "validation", "test"):
        assert (mapping[f"/opt/ml/processing/{name}"] / f"{name}.csv").is_file()

    # Train stand-in: any Booster in model.tar.gz works for the evaluation contract.
    train = np.loadtxt(mapping["/opt/ml/processing/train"] / "train.csv", delimiter=",")
    booster = xgb.train({"max_depth": 2}, xgb.DMatrix(train[:, 1:], label=train[:, 0]), 5)
    ev = steps["Evaluate"]
    ev_paths = _local_paths(ev)
    ev_args = ev["Arguments"]["AppSpecification"]["ContainerArguments"]
    assert set(ev_paths) <= set(ev_args), "a container path is not passed to evaluate.py"
    ev_map = {path: tmp_path / "ev" / name for path, name in ev_paths.items()}
    ev_map["/opt/ml/processing/test"] = mapping["/opt/ml/processing/test"]
    ev_map["/opt/ml/processing/model"].mkdir(parents=True)
    booster.save_model(str(tmp_path / "xgboost-model"))
    with tarfile.open(ev_map["/opt/ml/processing/model"] / "model.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "xgboost-model", arcname="xgboost-model")
    assert evaluate.main(_remap(ev_args, ev_map, parameters)) == 0
    predictions = pd.read_csv(ev_map["/opt/ml/processing/predictions"] / evaluate.PREDICTIONS_NAME)
    assert list(predictions.columns) == ["prediction", "label"]
    assert (
        predictions["label"].tolist()
        == pd.read_csv(mapping["/opt/ml/processing/test"] / "test.csv", header=None)[0].tolist()
    )
    baseline = pd.read_csv(mapping["/opt/ml/processing/baseline"] / preprocess.BASELINE_NAME, header=None)
    assert baseline.shape[1] == len(preprocess.FEATURE_COLUMNS)  # the endpoint's input: no target

    # The gate reads <evaluation output>/<FilePath> at <Path>: resolve it in the written report.
    (property_file,) = ev["PropertyFiles"]
    output_dir = next(
        ev_map[o["S3Output"]["LocalPath"]]
        for o in ev["Arguments"]["ProcessingOutputConfig"]["Outputs"]
        if o["OutputName"] == property_file["OutputName"]
    )
    report = json.loads((output_dir / property_file["FilePath"]).read_text())
    (condition,) = steps["MseCheck"]["Arguments"]["Conditions"]
    node: Any = report
    for key in condition["LeftValue"]["Std:JsonGet"]["Path"].split("."):
        node = node[key]
    assert isinstance(node, float)
    assert node > 0


# ---- each job step's arguments are a valid request for the API that SageMaker calls -----------

_EXPRESSIONS = ("Get", "Std:Join", "Std:JsonGet")
_PLACEHOLDERS = {"string": "placeholder", "integer": 1, "long": 1, "float": 1.0, "double": 1.0, "boolean": True}


def _resolve_expressions(value: Any, shape: Any) -> Any:
    """Replace pipeline expressions with a value of the type the API expects at that place.

    A type mismatch (an expression where the API wants a list or a structure) is left in, so that
    validation fails on it.
    """
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _EXPRESSIONS:
        return _PLACEHOLDERS.get(shape.type_name, value)
    if shape.type_name == "structure" and isinstance(value, dict):
        return {k: _resolve_expressions(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_resolve_expressions(v, shape.member) for v in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {k: _resolve_expressions(v, shape.value) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("step_name", "operation", "service_filled"),
    [
        ("Preprocess", "CreateProcessingJob", {"ProcessingJobName": "job"}),
        ("Evaluate", "CreateProcessingJob", {"ProcessingJobName": "job"}),
        ("Train", "CreateTrainingJob", {"TrainingJobName": "job"}),
        ("DataQualityBaseline", "CreateProcessingJob", {"ProcessingJobName": "job"}),
        ("ModelQualityBaseline", "CreateProcessingJob", {"ProcessingJobName": "job"}),
        ("RegisterModel", "CreateModelPackage", {}),
    ],
)
def test_step_arguments_validate_against_the_sagemaker_api_model(
    steps: dict[str, dict[str, Any]], step_name: str, operation: str, service_filled: dict[str, str]
) -> None:
    import botocore.session
    from botocore.exceptions import ParamValidationError
    from botocore.validate import ParamValidator

    input_shape = botocore.session.get_session().get_service_model("sagemaker").operation_model(operation).input_shape
    arguments = {**steps[step_name]["Arguments"], **service_filled}
    unknown = set(arguments) - set(input_shape.members)
    assert not unknown, f"{step_name} has fields {operation} does not take: {unknown}"
    report = ParamValidator().validate(_resolve_expressions(arguments, input_shape), input_shape)
    if report.has_errors():
        raise ParamValidationError(report=report.generate_report())


def test_the_api_model_check_catches_a_broken_argument(steps: dict[str, dict[str, Any]]) -> None:
    import botocore.session
    from botocore.validate import ParamValidator

    input_shape = (
        botocore.session.get_session().get_service_model("sagemaker").operation_model("CreateTrainingJob").input_shape
    )
    broken = json.loads(json.dumps(steps["Train"]["Arguments"]))
    broken["TrainingJobName"] = "job"
    broken["ResourceConfig"]["InstanceCount"] = "one"
    del broken["OutputDataConfig"]
    report = ParamValidator().validate(_resolve_expressions(broken, input_shape), input_shape)
    assert "InstanceCount" in report.generate_report()
    assert "OutputDataConfig" in report.generate_report()
