"""The Model Monitor analyzer image (``sagemaker-model-monitor-analyzer``) as a baselining job runs it.

The container is configured only through the processing job's Environment, as the SageMaker Python SDK
writes it (sagemaker/core/model_monitor/model_monitoring.py, ``_generate_env_map``; the QualityCheckStep
renders the same map): ``dataset_source`` (the dataset's container directory), ``dataset_format`` (JSON,
e.g. ``{"csv": {"header": false}}``), ``output_path``; for model quality also ``analysis_type``
``MODEL_QUALITY``, ``problem_type``, ``inference_attribute``, ``ground_truth_attribute``. It writes
``statistics.json`` and ``constraints.json`` into ``output_path``
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-create-baseline.html). The analysis is
``model_monitor_analyzer`` / ``model_quality_analyzer``.
A QualityCheck step (SageMaker Pipelines) runs this job; its properties follow
https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-quality-clarify-baseline-lifecycle.html:
CalculatedBaseline* are the job's output, BaselineUsedForDriftCheck* the calculated ones when
RegisterNewBaseline is true, else the supplied ones. A drift check inside the pipeline (SkipCheck false) and
the registry lookup of the latest approved baseline are not emulated (the step fails saying so).
Refused (the job fails with a reason, never guessed): formats other than CSV, record preprocessor and
post-analytics scripts, a missing or empty dataset.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sandbox.local_aws import model_monitor_analyzer, model_quality_analyzer
from sandbox.local_aws.pipeline_storage import StepError, map_container_paths

IMAGE_NAME = "sagemaker-model-monitor-analyzer"
STATISTICS, CONSTRAINTS = "statistics.json", "constraints.json"
STEP_FIELDS = (
    "SkipCheck",
    "RegisterNewBaseline",
    "SuppliedBaselineStatistics",
    "SuppliedBaselineConstraints",
)
_NOT_EMULATED = ("record_preprocessor_script", "post_analytics_processor_script")


def is_analyzer_image(image_uri: str) -> bool:
    return image_uri.rsplit("/", 1)[-1].split(":")[0] == IMAGE_NAME


def check_step(step: dict[str, Any], fields: dict[str, Any]) -> None:
    """Refuse the QualityCheck settings this emulation does not run."""
    if fields["SkipCheck"] is not True:
        raise StepError(
            "Sandbox: QualityCheck with SkipCheck false (a drift check in the pipeline) is not emulated"
        )
    image = str(step.get("Arguments", {}).get("AppSpecification", {}).get("ImageUri", ""))
    if not is_analyzer_image(image):
        raise StepError(
            f"Sandbox: QualityCheck runs only the Model Monitor analyzer image, not {image or 'none'}"
        )
    if fields["RegisterNewBaseline"] is not True and not (
        fields["SuppliedBaselineStatistics"] and fields["SuppliedBaselineConstraints"]
    ):
        raise StepError(
            "Sandbox: without RegisterNewBaseline, supply both SuppliedBaseline* (the registry lookup is not emulated)"
        )


def step_properties(output_config: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The QualityCheck step's properties once its baselining job wrote to its one output."""
    (output,) = output_config["Outputs"]
    prefix = str(output["S3Output"]["S3Uri"]).rstrip("/")
    calculated = [f"{prefix}/{STATISTICS}", f"{prefix}/{CONSTRAINTS}"]
    register = fields["RegisterNewBaseline"] is True
    used = (
        calculated
        if register
        else [fields["SuppliedBaselineStatistics"], fields["SuppliedBaselineConstraints"]]
    )
    return {
        "CalculatedBaselineStatistics": calculated[0],
        "CalculatedBaselineConstraints": calculated[1],
        "BaselineUsedForDriftCheckStatistics": used[0],
        "BaselineUsedForDriftCheckConstraints": used[1],
        "SkipCheck": True,
        "RegisterNewBaseline": register,
    }


def _read_dataset(directory: Path, header: bool) -> pd.DataFrame:
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    if not files:
        raise StepError(f"ClientError: the dataset_source {directory.name} holds no file")
    frames = [model_monitor_analyzer.read_csv(p.read_text(encoding="utf-8"), header=header) for p in files]
    return pd.concat(frames, ignore_index=True)


def run_baseline(environment: dict[str, str], mapping: dict[str, Path], logs: list[str]) -> None:
    """Suggest a baseline as the container does; the paths in ``environment`` are container paths."""
    for name in _NOT_EMULATED:
        if environment.get(name):
            raise StepError(f"Sandbox: the Model Monitor {name} is not emulated")
    try:
        dataset_format = json.loads(environment.get("dataset_format", ""))
    except json.JSONDecodeError as error:
        raise StepError(f"ClientError: dataset_format is not JSON: {error}") from error
    if set(dataset_format) != {"csv"}:
        raise StepError(f"Sandbox: only the csv dataset_format is emulated, not {sorted(dataset_format)}")
    header = bool(dataset_format["csv"].get("header", True))
    source = Path(map_container_paths(environment.get("dataset_source", ""), mapping))
    output = Path(map_container_paths(environment.get("output_path", ""), mapping))
    if not source.is_dir() or not output.is_dir():
        raise StepError(
            "ClientError: dataset_source and output_path must be the job's input and output paths"
        )
    frame = _read_dataset(source, header)
    statistics: dict[str, Any]
    constraints: dict[str, Any]
    try:
        if environment.get("analysis_type") == "MODEL_QUALITY":
            statistics, constraints = model_quality_analyzer.suggest_baseline(
                frame,
                inference_attribute=environment.get("inference_attribute", ""),
                ground_truth_attribute=environment.get("ground_truth_attribute", ""),
                problem_type=environment.get("problem_type", ""),
            )
        else:
            statistics, constraints = model_monitor_analyzer.suggest_baseline(frame)
    except ValueError as error:
        raise StepError(f"AlgorithmError: {error}") from error
    (output / STATISTICS).write_text(json.dumps(statistics, indent=2), encoding="utf-8")
    (output / CONSTRAINTS).write_text(json.dumps(constraints, indent=2), encoding="utf-8")
    logs.append(f"baseline of {len(frame)} rows x {len(frame.columns)} columns: {STATISTICS}, {CONSTRAINTS}")
