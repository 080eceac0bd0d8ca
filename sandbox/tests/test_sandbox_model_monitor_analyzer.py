"""K4: the Model Monitor analyzer emulation against the documented formats and checks.

Expected values are worked out by hand from the documented definitions (statistics/constraints/violations
schemas, Deequ's linf_simple/linf_robust), not read back from the code under test.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from sandbox.local_aws import model_monitor_analyzer as mm
from sandbox.local_aws import model_quality_analyzer as mq


def _frame(**columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns)


BASELINE = _frame(_c0=["1", "2", "3", "4"], _c1=["0.5", "1.5", "", "2.5"], _c2=["M", "F", "M", "I"])


def _feature(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in document["features"] if f["name"] == name)


def _checks(violations: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((v["feature_name"], v["constraint_check_type"]) for v in violations["violations"])


def test_read_csv_names_headerless_columns_like_the_container() -> None:
    frame = mm.read_csv("1,0.5,M\n2,,F\n")
    assert list(frame.columns) == ["_c0", "_c1", "_c2"]
    assert frame["_c1"].tolist() == ["0.5", ""]


def test_statistics_follow_the_documented_schema() -> None:
    stats = mm.statistics(BASELINE)
    assert stats["version"] == 0
    assert stats["dataset"] == {"item_count": 4}
    c0 = _feature(stats, "_c0")
    assert c0["inferred_type"] == "Integral"
    numbers = c0["numerical_statistics"]
    assert numbers["common"] == {"num_present": 4, "num_missing": 0}
    assert (numbers["mean"], numbers["sum"], numbers["min"], numbers["max"]) == (2.5, 10.0, 1.0, 4.0)
    assert numbers["std_dev"] == pytest.approx(math.sqrt(1.25))  # population deviation of 1..4
    buckets = numbers["distribution"]["kll"]["buckets"]
    assert len(buckets) == 10  # "By default, the distribution is materialized in 10 buckets"
    assert buckets[0]["lower_bound"] == 1.0
    assert buckets[-1]["upper_bound"] == pytest.approx(4.0)
    assert [b["count"] for b in buckets] == [1, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    sketch = numbers["distribution"]["kll"]["sketch"]
    assert set(sketch["parameters"]) == {"c", "k"}
    assert sketch["data"] == [[1.0, 2.0, 3.0, 4.0]]
    c1 = _feature(stats, "_c1")
    assert c1["inferred_type"] == "Fractional"
    assert c1["numerical_statistics"]["common"] == {"num_present": 3, "num_missing": 1}
    c2 = _feature(stats, "_c2")
    assert c2["inferred_type"] == "String"
    strings = c2["string_statistics"]
    assert strings["common"] == {"num_present": 4, "num_missing": 0}
    assert strings["distinct_count"] == 3
    assert strings["distribution"]["categorical"]["buckets"] == [
        {"value": "F", "count": 1},
        {"value": "I", "count": 1},
        {"value": "M", "count": 2},
    ]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["1", "2"], "Integral"),
        (["1", "2.5"], "Fractional"),
        (["1", "2.5", "x"], "String"),
        (["", ""], "Unknown"),
        (["-3", "+4"], "Integral"),
        (["1e3", "2"], "Fractional"),
    ],
)
def test_type_inference_follows_deequ_precedence(cells: list[str], expected: str) -> None:
    assert _feature(mm.statistics(_frame(_c0=cells)), "_c0")["inferred_type"] == expected


def test_suggested_constraints_follow_the_documented_schema() -> None:
    _, constraints = mm.suggest_baseline(BASELINE)
    assert constraints["version"] == 0
    assert _feature(constraints, "_c0") == {
        "name": "_c0",
        "inferred_type": "Integral",
        "completeness": 1.0,
        "num_constraints": {"is_non_negative": True},
    }
    assert _feature(constraints, "_c1")["completeness"] == 0.75
    assert _feature(constraints, "_c2")["string_constraints"] == {"domains": ["F", "I", "M"]}
    config = constraints["monitoring_config"]
    assert set(config) == {
        "evaluate_constraints", "emit_metrics", "datatype_check_threshold", "domain_content_threshold",
        "distribution_constraints",
    }  # fmt: skip
    assert config["distribution_constraints"] == {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
    }


def test_baseline_of_an_empty_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match="no rows"):
        mm.suggest_baseline(_frame(_c0=[]))


def test_the_baseline_data_itself_has_no_violations() -> None:
    stats, constraints = mm.suggest_baseline(BASELINE)
    assert mm.check(BASELINE, stats, constraints)[1] == {"violations": []}


def test_data_type_check_reports_the_share_of_matching_values() -> None:
    stats, constraints = mm.suggest_baseline(BASELINE)
    current = _frame(_c0=["1", "2", "2.5", "3"], _c1=["1", "2", "3", "4"], _c2=["M", "F", "M", "I"])
    violations = mm.check(current, stats, constraints)[1]["violations"]
    # Integers are valid Fractional values (_c1 passes); 2.5 is not Integral.
    assert [v for v in violations if v["constraint_check_type"] == "data_type_check"] == [
        {
            "feature_name": "_c0",
            "constraint_check_type": "data_type_check",
            "description": "Data type match requirement is not met. Expected data type: Integral, "
            "Expected match: 100.0%. Observed: Only 75.0% of data is Integral.",
        }
    ]


def test_datatype_check_threshold_is_the_share_that_must_match() -> None:
    stats, constraints = mm.suggest_baseline(BASELINE)
    constraints["monitoring_config"]["datatype_check_threshold"] = 0.7
    current = _frame(_c0=["1", "2", "2.5", "3"], _c1=["1", "2", "3", "4"], _c2=["M", "F", "M", "I"])
    assert ("_c0", "data_type_check") not in _checks(mm.check(current, stats, constraints)[1])


def test_completeness_check() -> None:
    stats, constraints = mm.suggest_baseline(BASELINE)
    current = _frame(_c0=["1", "", "3", "4"], _c1=["0.5", "", "", "1.5"], _c2=["M", "F", "M", "I"])
    violations = {v["feature_name"]: v for v in mm.check(current, stats, constraints)[1]["violations"]}
    assert violations["_c0"]["constraint_check_type"] == "completeness_check"
    assert "Expected completeness: 100.0%" in violations["_c0"]["description"]
    assert "Only 75.0% of data is complete" in violations["_c0"]["description"]
    assert "Only 50.0%" in violations["_c1"]["description"]  # required 75.0%


def test_missing_and_extra_columns() -> None:
    stats, constraints = mm.suggest_baseline(BASELINE)
    fewer = mm.check(BASELINE[["_c0", "_c1"]], stats, constraints)[1]
    assert _checks(fewer) == [("_c2", "missing_column_check")]
    assert fewer["violations"][0]["description"] == (
        "There are missing columns in current dataset. Number of columns in current dataset: 2, "
        "Number of columns in baseline constraints: 3"
    )
    more = BASELINE.assign(_c3=["9", "9", "9", "9"])
    assert _checks(mm.check(more, stats, constraints)[1]) == [("_c3", "extra_column_check")]


def test_categorical_values_check_flags_values_outside_the_domain() -> None:
    stats, constraints = mm.suggest_baseline(BASELINE)
    current = BASELINE.assign(_c2=["M", "F", "X", "X"])
    violations = mm.check(current, stats, constraints)[1]["violations"]
    found = [v for v in violations if v["constraint_check_type"] == "categorical_values_check"]
    assert found[0]["feature_name"] == "_c2"
    assert "Only 50.0% of data" in found[0]["description"]


def _numbers(values: range) -> pd.DataFrame:
    return _frame(_c0=[str(v) for v in values])


def test_baseline_drift_by_robust_linf_distance() -> None:
    stats, constraints = mm.suggest_baseline(_numbers(range(100)))
    violations = mm.check(_numbers(range(50, 150)), stats, constraints)[1]["violations"]
    # CDFs of 0..99 and 50..149 differ by at most 0.5 (at x=49); Robust subtracts 1.8*sqrt(200/10000).
    expected = 0.5 - 1.8 * math.sqrt(200 / 10000)
    assert [v["constraint_check_type"] for v in violations] == ["baseline_drift_check"]
    distance = float(violations[0]["description"].split("distance: ")[1].split(" ")[0])
    assert distance == pytest.approx(expected)
    assert violations[0]["description"].endswith("exceeds threshold: 0.1")


def test_robust_method_forgives_small_samples_that_simple_flags() -> None:
    stats, constraints = mm.suggest_baseline(_numbers(range(10)))
    shifted = _numbers(range(2, 12))  # linf_simple = 0.2
    assert mm.check(shifted, stats, constraints)[1] == {"violations": []}  # 0.2 - 1.8*sqrt(0.2) < 0
    constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Simple"
    assert _checks(mm.check(shifted, stats, constraints)[1]) == [("_c0", "baseline_drift_check")]
    constraints["monitoring_config"]["distribution_constraints"]["perform_comparison"] = "Disabled"
    assert mm.check(shifted, stats, constraints)[1] == {"violations": []}


def test_distance_equal_to_the_threshold_is_not_a_violation() -> None:
    stats, constraints = mm.suggest_baseline(_numbers(range(10)))
    constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Simple"
    assert mm.check(_numbers(range(1, 11)), stats, constraints)[1] == {"violations": []}  # linf 0.1


def test_categorical_drift_uses_linf_of_the_category_shares() -> None:
    baseline = _frame(_c0=["M"] * 50 + ["F"] * 50)
    stats, constraints = mm.suggest_baseline(baseline)
    violations = mm.check(_frame(_c0=["M"] * 90 + ["F"] * 10), stats, constraints)[1]["violations"]
    distance = float(violations[0]["description"].split("distance: ")[1].split(" ")[0])
    assert distance == pytest.approx(0.4 - 1.8 * math.sqrt(200 / 10000))
    constraints["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] = "ChiSquared"
    with pytest.raises(ValueError, match="LInfinity"):
        mm.check(baseline, stats, constraints)


def test_evaluate_constraints_disabled_reports_no_violations() -> None:
    stats, constraints = mm.suggest_baseline(BASELINE)
    constraints["monitoring_config"]["evaluate_constraints"] = "Disabled"
    assert mm.check(BASELINE[["_c0"]], stats, constraints)[1] == {"violations": []}


def test_a_sketch_with_compacted_levels_weighs_every_item() -> None:
    stats = mm.statistics(_numbers(range(5000)))
    sketch = _feature(stats, "_c0")["numerical_statistics"]["distribution"]["kll"]["sketch"]
    assert len(sketch["data"]) > 1  # more items than k: compacted
    assert sum(len(items) * 2**level for level, items in enumerate(sketch["data"])) == 5000


def test_drift_reads_a_sketch_written_in_the_documented_level_shape() -> None:
    # A hand-written baseline: level 0 holds 0 and 1 (weight 1), level 1 holds 2 (weight 2): CDF at 1 = 0.5.
    baseline = {
        "features": [{
            "name": "_c0", "inferred_type": "Integral",
            "numerical_statistics": {"distribution": {"kll": {"sketch": {
                "parameters": {"c": 0.64, "k": 2048.0}, "data": [[0, 1], [2]]}}}},
        }]
    }  # fmt: skip
    constraints = {
        "features": [{"name": "_c0", "inferred_type": "Integral"}],
        "monitoring_config": {
            "distribution_constraints": {"comparison_threshold": 0.3, "comparison_method": "Simple"}
        },
    }
    # Current data all 2s: CDF 0 below 2, so the distance is 0.5 at x=1.
    violations = mm.check(_frame(_c0=["2", "2"]), baseline, constraints)[1]["violations"]
    assert violations[0]["description"] == "Baseline drift distance: 0.5 exceeds threshold: 0.3"


# ---- model quality ----------------------------------------------------------------------------------


def _predictions(truth: list[float], predicted: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"label": [str(t) for t in truth], "prediction": [str(p) for p in predicted]})


def test_regression_metrics_follow_the_documented_example_shape() -> None:
    stats, constraints = mq.suggest_baseline(
        _predictions([1, 2, 3, 4], [1, 2, 3, 5]),
        inference_attribute="prediction",
        ground_truth_attribute="label",
    )
    metrics = stats["regression_metrics"]
    assert set(metrics) == {"mae", "mse", "rmse", "r2"}
    assert metrics["mae"] == {"value": 0.25, "standard_deviation": "NaN"}  # fewer than 200 samples
    assert metrics["mse"]["value"] == 0.25
    assert metrics["rmse"]["value"] == 0.5
    assert metrics["r2"]["value"] == pytest.approx(1 - 1 / 5)  # residual 1, total 5
    assert constraints["regression_constraints"]["mae"] == {
        "threshold": 0.25,
        "comparison_operator": "GreaterThanThreshold",
    }
    assert constraints["regression_constraints"]["r2"]["comparison_operator"] == "LessThanThreshold"


def test_standard_deviation_from_200_samples_on() -> None:
    truth = [float(i % 7) for i in range(200)]
    stats = mq.statistics(
        _predictions(truth, [t + (i % 3) for i, t in enumerate(truth)]),
        inference_attribute="prediction",
        ground_truth_attribute="label",
    )
    deviation = stats["regression_metrics"]["mae"]["standard_deviation"]
    assert isinstance(deviation, float)
    assert deviation > 0


def test_model_quality_violation_names_metric_and_threshold() -> None:
    _, constraints = mq.suggest_baseline(
        _predictions([1, 2, 3, 4], [1, 2, 3, 4.5]),
        inference_attribute="prediction",
        ground_truth_attribute="label",
    )
    _, violations = mq.check(
        _predictions([1, 2, 3, 4], [2, 3, 4, 5]),
        constraints,
        inference_attribute="prediction",
        ground_truth_attribute="label",
    )
    by_metric = {v["metric_name"]: v for v in violations["violations"]}
    assert by_metric["mae"]["constraint_check_type"] == "GreaterThanThreshold"
    assert by_metric["mae"]["description"] == "Metric mae with 1.0 +/- NaN was GreaterThanThreshold '0.125'"
    assert by_metric["r2"]["constraint_check_type"] == "LessThanThreshold"  # 1 - 4/5 = 0.2 < 0.95


def test_model_quality_refuses_what_it_does_not_emulate() -> None:
    frame = _predictions([1, 2], [1, 2])
    with pytest.raises(ValueError, match="Regression"):
        mq.statistics(
            frame,
            inference_attribute="prediction",
            ground_truth_attribute="label",
            problem_type="BinaryClassification",
        )
    with pytest.raises(ValueError, match="'score' is not in the dataset"):
        mq.statistics(frame, inference_attribute="score", ground_truth_attribute="label")
