"""What the SageMaker Model Monitor container computes for regression model quality: baseline and check.

Sources:
- "Model quality metrics", https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html
  — statistics.json ``regression_metrics`` with mae, mse, rmse, r2, each ``{"value", "standard_deviation"}``;
  "Standard deviation for metrics are provided only when at least 200 samples are available. Model Monitor
  computes standard deviation by randomly sampling 80% of the data 5 times" (below 200: the string "NaN",
  as the documented classification example shows).
- constraints.json ``regression_constraints``: per metric ``{"threshold", "comparison_operator"}``, the shape
  the suggest-baseline job writes (the SDK's ``ModelQualityMonitor.suggest_baseline`` examples in
  github.com/aws/amazon-sagemaker-examples, sagemaker_model_monitor/model_quality, read these fields):
  errors are bounded above (GreaterThanThreshold is the violation), r2 below (LessThanThreshold); the
  suggested thresholds are the baseline's own values.
- constraint_violations.json for model quality: ``{"constraint_check_type": <the operator>, "metric_name",
  "description": "Metric <name> with <value> +/- <std> was <operator> '<threshold>'"}`` as the container
  words it.
Only ProblemType Regression is emulated; the classification types are refused with ValueError.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

STD_MIN_SAMPLES = 200
_SUBSAMPLES, _FRACTION = 5, 0.8
_OPERATORS = {"mae": "GreaterThanThreshold", "mse": "GreaterThanThreshold", "rmse": "GreaterThanThreshold",
              "r2": "LessThanThreshold"}  # fmt: skip


def _mse(truth: Sequence[float], predicted: Sequence[float]) -> float:
    return math.fsum((t - p) ** 2 for t, p in zip(truth, predicted, strict=True)) / len(truth)


def _mae(truth: Sequence[float], predicted: Sequence[float]) -> float:
    return math.fsum(abs(t - p) for t, p in zip(truth, predicted, strict=True)) / len(truth)


def _r2(truth: Sequence[float], predicted: Sequence[float]) -> float:
    mean = math.fsum(truth) / len(truth)
    total = math.fsum((t - mean) ** 2 for t in truth)
    residual = math.fsum((t - p) ** 2 for t, p in zip(truth, predicted, strict=True))
    return 1.0 - residual / total if total else float("nan")


_METRICS: dict[str, Callable[[Sequence[float], Sequence[float]], float]] = {
    "mae": _mae,
    "mse": _mse,
    "rmse": lambda t, p: math.sqrt(_mse(t, p)),
    "r2": _r2,
}


def _columns(
    frame: pd.DataFrame, inference_attribute: str, ground_truth_attribute: str
) -> tuple[list[float], list[float]]:
    for name in (inference_attribute, ground_truth_attribute):
        if name not in frame.columns:
            raise ValueError(
                f"column {name!r} is not in the dataset (its columns: {', '.join(map(str, frame.columns))})"
            )
    rows = frame[[ground_truth_attribute, inference_attribute]].astype(str)
    try:
        pairs = [(float(t), float(p)) for t, p in rows.itertuples(index=False) if t.strip() and p.strip()]
    except ValueError as error:
        raise ValueError(f"a Regression problem needs numeric labels and predictions: {error}") from error
    if not pairs:
        raise ValueError("the dataset has no row with both a label and a prediction")
    return [t for t, _ in pairs], [p for _, p in pairs]


def statistics(
    frame: pd.DataFrame,
    *,
    inference_attribute: str,
    ground_truth_attribute: str,
    problem_type: str = "Regression",
) -> dict[str, Any]:
    """statistics.json of the model's predictions next to the labels."""
    if problem_type != "Regression":
        raise ValueError(f"Sandbox: only ProblemType Regression is emulated, not {problem_type!r}")
    truth, predicted = _columns(frame, inference_attribute, ground_truth_attribute)
    # A fixed seed: the container's 5 subsamples are random; a rerun here gives the same report.
    rng = random.Random(0)  # noqa: S311 - statistics, not secrets
    size = int(len(truth) * _FRACTION)
    samples = (
        [rng.sample(range(len(truth)), size) for _ in range(_SUBSAMPLES)]
        if len(truth) >= STD_MIN_SAMPLES
        else []
    )
    metrics: dict[str, Any] = {}
    for name, metric in _METRICS.items():
        entry: dict[str, Any] = {"value": metric(truth, predicted), "standard_deviation": "NaN"}
        if samples:
            values = [metric([truth[i] for i in s], [predicted[i] for i in s]) for s in samples]
            mean = math.fsum(values) / len(values)
            entry["standard_deviation"] = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
        metrics[name] = entry
    return {"version": 0.0, "dataset": {"item_count": len(truth)}, "regression_metrics": metrics}


def suggest_baseline(frame: pd.DataFrame, **attributes: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(statistics.json, constraints.json): the baseline's metrics become the thresholds.

    ``attributes`` are those of ``statistics``: inference_attribute, ground_truth_attribute, problem_type.
    """
    stats = statistics(frame, **attributes)
    constraints = {
        name: {"threshold": entry["value"], "comparison_operator": _OPERATORS[name]}
        for name, entry in stats["regression_metrics"].items()
    }
    return stats, {"version": 0.0, "regression_constraints": constraints}


def _violated(value: float, threshold: float, operator: str) -> bool:
    if operator == "GreaterThanThreshold":
        return value > threshold
    if operator == "LessThanThreshold":
        return value < threshold
    raise ValueError(
        f"comparison_operator must be GreaterThanThreshold or LessThanThreshold, not {operator!r}"
    )


def check(
    frame: pd.DataFrame, baseline_constraints: dict[str, Any], **attributes: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(statistics.json, constraint_violations.json) of merged predictions and labels against the constraints.

    ``attributes`` are those of ``statistics``: inference_attribute, ground_truth_attribute, problem_type.
    """
    stats = statistics(frame, **attributes)
    violations = []
    for name, rule in baseline_constraints.get("regression_constraints", {}).items():
        entry = stats["regression_metrics"].get(name)
        if entry is None:
            raise ValueError(
                f"regression_constraints names an unknown metric {name!r} (known: {', '.join(_METRICS)})"
            )
        operator, threshold = rule["comparison_operator"], float(rule["threshold"])
        if _violated(entry["value"], threshold, operator):
            violations.append({
                "constraint_check_type": operator,
                "metric_name": name,
                "description": (
                    f"Metric {name} with {entry['value']} +/- {entry['standard_deviation']} "
                    f"was {operator} '{threshold}'"
                ),
            })  # fmt: skip
    return stats, {"violations": violations}
