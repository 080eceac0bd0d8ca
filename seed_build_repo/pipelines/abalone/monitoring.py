"""The model's monitoring baselines: data quality of the training features, model quality on the test split.

Two ``QualityCheckStep``s run SageMaker Model Monitor's own container (the image the SDK names for
``DefaultModelMonitor`` / ``ModelQualityMonitor``) as baselining jobs. ``skip_check=True`` with
``register_new_baseline=True`` is the documented first-baseline setting
(https://docs.aws.amazon.com/sagemaker/latest/dg/pipelines-quality-clarify-baseline-lifecycle.html): no
drift check against an earlier model, the calculated statistics/constraints become the baseline. They are
registered with the model package twice, as AWS expects:

- ``ModelMetrics`` ModelDataQuality / ModelQuality: what the baselining job measured (the model card);
- ``DriftCheckBaselines`` ModelDataQuality / ModelQuality: what Model Monitor judges production against.
  The deploy repo reads these from DescribeModelPackage to build the endpoint's monitoring schedules.

The data-quality dataset is the training features without the target, headerless (preprocess.py
``baseline.csv``), so its columns ``_c0, _c1, ...`` line up with the CSV records the endpoint captures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipelines.abalone import evaluate as evaluate_script

DATA_QUALITY_STEP = "DataQualityBaseline"
MODEL_QUALITY_STEP = "ModelQualityBaseline"
_JSON = "application/json"


@dataclass(frozen=True)
class Baselines:
    """The two QualityCheck steps and what the RegisterModel step records of them."""

    steps: list[Any]
    model_metrics: Any
    drift_check_baselines: Any


def _check_job_config(role_arn: str, instance_type: Any, base_job_name: str, session: Any) -> Any:
    from sagemaker.mlops.workflow.check_job_config import CheckJobConfig

    return CheckJobConfig(
        role=role_arn,
        instance_count=1,
        instance_type=instance_type,
        volume_size_in_gb=30,
        max_runtime_in_seconds=3600,
        base_job_name=base_job_name,
        sagemaker_session=session,
    )


def baseline_steps(
    *,
    role_arn: str,
    base_job_prefix: str,
    instance_type: Any,
    baseline_dataset: Any,
    predictions_dataset: Any,
    output_s3_uri: Any,
    session: Any,
) -> Baselines:
    """The data- and model-quality baselining steps; ``output_s3_uri(name)`` is each step's results prefix."""
    from sagemaker.core.drift_check_baselines import DriftCheckBaselines
    from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
    from sagemaker.core.model_monitor.dataset_format import DatasetFormat
    from sagemaker.mlops.workflow.quality_check_step import (
        DataQualityCheckConfig,
        ModelQualityCheckConfig,
        QualityCheckStep,
    )

    def step(name: str, check_config: Any, job: str) -> Any:
        # skip_check + register_new_baseline: the documented first baseline of a model (see the module doc).
        return QualityCheckStep(
            name=name,
            quality_check_config=check_config,
            check_job_config=_check_job_config(role_arn, instance_type, f"{base_job_prefix}-{job}", session),
            skip_check=True,
            register_new_baseline=True,
        )

    def dataset(uri: Any, header: bool, name: str) -> dict[str, Any]:
        return {
            "baseline_dataset": uri,
            "dataset_format": DatasetFormat.csv(header=header),
            "output_s3_uri": output_s3_uri(name),
        }

    data_quality = step(
        DATA_QUALITY_STEP, DataQualityCheckConfig(**dataset(baseline_dataset, False, "data-quality")), "data-baseline"
    )
    model_quality = step(
        MODEL_QUALITY_STEP,
        ModelQualityCheckConfig(
            **dataset(predictions_dataset, True, "model-quality"),
            problem_type="Regression",
            inference_attribute=evaluate_script.PREDICTION_COLUMN,
            ground_truth_attribute=evaluate_script.LABEL_COLUMN,
        ),
        "model-baseline",
    )

    def source(step: Any, prop: str) -> Any:
        return MetricsSource(s3_uri=getattr(step.properties, prop), content_type=_JSON)

    model_metrics = ModelMetrics(
        model_statistics=source(model_quality, "CalculatedBaselineStatistics"),
        model_constraints=source(model_quality, "CalculatedBaselineConstraints"),
        model_data_statistics=source(data_quality, "CalculatedBaselineStatistics"),
        model_data_constraints=source(data_quality, "CalculatedBaselineConstraints"),
    )
    drift_check_baselines = DriftCheckBaselines(
        model_statistics=source(model_quality, "BaselineUsedForDriftCheckStatistics"),
        model_constraints=source(model_quality, "BaselineUsedForDriftCheckConstraints"),
        model_data_statistics=source(data_quality, "BaselineUsedForDriftCheckStatistics"),
        model_data_constraints=source(data_quality, "BaselineUsedForDriftCheckConstraints"),
    )
    return Baselines([data_quality, model_quality], model_metrics, drift_check_baselines)
