"""What the SageMaker Model Monitor analyzer container computes for data quality (K4): baseline and check.

Pure functions on a pandas DataFrame of the dataset's cells as text (what the container reads from CSV):
``suggest_baseline`` -> (statistics.json, constraints.json) and ``check`` -> (statistics.json,
constraint_violations.json). Sources:
- "Schema for Statistics (statistics.json file)",
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html — dataset.item_count,
  per feature inferred_type, numerical_statistics (common.num_present/num_missing, mean, sum, std_dev, min,
  max, distribution.kll.buckets [10 buckets, "You can't change this"] and the KLL sketch
  parameters c/k and data levels) or string_statistics (distinct_count, distribution.categorical.buckets).
- "Schema for Constraints (constraints.json file)",
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html — per feature
  inferred_type, completeness, num_constraints.is_non_negative, string_constraints.domains; monitoring_config
  (evaluate_constraints, emit_metrics, datatype_check_threshold, domain_content_threshold,
  distribution_constraints: perform_comparison, comparison_threshold [distance above it is a violation],
  comparison_method Simple|Robust, categorical_comparison_threshold [default: comparison_threshold],
  categorical_drift_method LInfinity).
- "Schema for Violations (constraint_violations.json file)",
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html — violations of
  feature_name, constraint_check_type (data_type_check, completeness_check, baseline_drift_check,
  missing_column_check, extra_column_check, categorical_values_check), description.
- The container is built on Deequ (github.com/awslabs/deequ): the type inference order of
  ``DataTypeHistogram.determineType`` (any String -> String, else any Fractional -> Fractional, else
  Integral, all missing -> Unknown) and the distances of ``analyzers/Distance.scala``: linf_simple = the
  largest absolute difference of the two CDFs, linf_robust = max(0, linf_simple - 1.8 * sqrt((n+m)/(n*m))).
- The wording of the descriptions follows reports the real container wrote (e.g. "Data type match
  requirement is not met. Expected data type: Integral, Expected match: 100.0%. Observed: Only 50.0% of
  data is Integral."), and the suggested thresholds are what it suggests (datatype/domain 1.0 = every value
  must match; comparison 0.1, Robust).
num_constraints.is_non_negative is suggested but never checked: none of the documented check types reads it.
Not emulated: the ChiSquared categorical drift method and bring-your-own preprocessing scripts (refused
with ValueError, never silently ignored); the KLL sketch keeps up to ``KLL_K`` items per level with a
deterministic compaction (the real sketch is randomised, so its exact items differ).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

import pandas as pd

INTEGRAL, FRACTIONAL, STRING, UNKNOWN = "Integral", "Fractional", "String", "Unknown"
KLL_C, KLL_K = 0.64, 2048  # the parameters the container writes in every sketch
BUCKETS = 10
DOMAIN_MAX_DISTINCT = 20  # "observed values for small cardinality": a domain is suggested up to this many
ROBUST_C_ALPHA = 1.8  # Deequ Distance.scala, linf_robust
_INTEGRAL_TEXT = re.compile(r"^[+-]?\d+$")


def column_names(count: int) -> list[str]:
    """The names the container gives headerless CSV columns: _c0, _c1, ... (Spark's defaults)."""
    return [f"_c{i}" for i in range(count)]


def read_csv(text: str, *, header: bool = False) -> pd.DataFrame:
    """A CSV dataset as the container reads it: every cell as text, headerless columns named _c0..."""
    import io

    frame = pd.read_csv(io.StringIO(text), header=0 if header else None, dtype=str, keep_default_na=False)
    if not header:
        frame.columns = column_names(len(frame.columns))
    return frame


def _kind(cell: Any) -> str | None:
    """The Deequ type of one cell, None when missing (empty or null)."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return None
    text = str(cell).strip()
    if not text:
        return None
    if _INTEGRAL_TEXT.match(text):
        return INTEGRAL
    try:
        value = float(text)
    except ValueError:
        return STRING
    return FRACTIONAL if math.isfinite(value) else STRING


def _present(series: pd.Series) -> list[tuple[str, str]]:
    return [(str(cell).strip(), kind) for cell in series if (kind := _kind(cell)) is not None]


def infer_type(kinds: list[str]) -> str:
    """Deequ DataTypeHistogram.determineType: String wins, then Fractional, then Integral."""
    if not kinds:
        return UNKNOWN
    if STRING in kinds:
        return STRING
    return FRACTIONAL if FRACTIONAL in kinds else INTEGRAL


# ---- KLL sketch (items at level h weigh 2**h) ---------------------------------------------------------


def _sketch(values: list[float]) -> dict[str, Any]:
    """A KLL-shaped sketch: level 0 holds the items until it exceeds k, then every other sorted item moves up."""
    levels: list[list[float]] = [sorted(values)]
    h = 0
    while len(levels[h]) > KLL_K:
        items = sorted(levels[h])
        levels[h] = []
        promoted = items[1::2]  # keeping the odd ranks is the compaction; each promoted item stands for two
        if len(items) % 2:
            levels[h].append(items[-1])
        if len(levels) == h + 1:
            levels.append([])
        levels[h + 1] = sorted(levels[h + 1] + promoted)
        h += 1
    return {"parameters": {"c": KLL_C, "k": float(KLL_K)}, "data": levels}


def _weighted(sketch: dict[str, Any]) -> list[tuple[float, float]]:
    return sorted(
        (float(item), float(2**level)) for level, items in enumerate(sketch["data"]) for item in items
    )


def _cdf_distance(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(linf_simple, n, m): the largest |CDF_a(x) - CDF_b(x)| over every item of either sample."""
    n, m = sum(w for _, w in a), sum(w for _, w in b)
    points = sorted({x for x, _ in a} | {x for x, _ in b})
    ia = ib = 0
    ca = cb = 0.0
    distance = 0.0
    for x in points:
        while ia < len(a) and a[ia][0] <= x:
            ca += a[ia][1]
            ia += 1
        while ib < len(b) and b[ib][0] <= x:
            cb += b[ib][1]
            ib += 1
        distance = max(distance, abs(ca * m - cb * n) / (n * m))  # one division: 0.1 stays 0.1
    return distance, n, m


def _categorical_distance(a: dict[str, float], b: dict[str, float]) -> tuple[float, float, float]:
    n, m = sum(a.values()), sum(b.values())
    distance = max(
        (abs(a.get(k, 0.0) * m - b.get(k, 0.0) * n) / (n * m) for k in set(a) | set(b)), default=0.0
    )
    return distance, n, m


def _select(linf_simple: float, n: float, m: float, method: str) -> float:
    """Deequ selectMetrics: Robust subtracts the two-sample Kolmogorov-Smirnov critical term."""
    if method == "Simple":
        return linf_simple
    if method != "Robust":
        raise ValueError(f"comparison_method must be Simple or Robust, not {method!r}")
    return max(0.0, linf_simple - ROBUST_C_ALPHA * math.sqrt((n + m) / (n * m)))


# ---- statistics --------------------------------------------------------------------------------------


def _numerical(values: list[float], num_missing: int) -> dict[str, Any]:
    count = len(values)
    total = math.fsum(values)
    mean = total / count
    low, high = min(values), max(values)
    width = (high - low) / BUCKETS
    counts = [0] * BUCKETS
    for value in values:
        index = BUCKETS - 1 if width == 0 else min(int((value - low) / width), BUCKETS - 1)
        counts[index] += 1
    buckets = [
        {"lower_bound": low + i * width, "upper_bound": low + (i + 1) * width, "count": float(counts[i])}
        for i in range(BUCKETS)
    ]
    return {
        "common": {"num_present": count, "num_missing": num_missing},
        "mean": mean,
        "sum": total,
        # The population standard deviation (Spark's stddev_pop, which Deequ's StandardDeviation computes).
        "std_dev": math.sqrt(math.fsum((v - mean) ** 2 for v in values) / count),
        "min": low,
        "max": high,
        "distribution": {"kll": {"buckets": buckets, "sketch": _sketch(values)}},
    }


def _string(cells: list[str], num_missing: int) -> dict[str, Any]:
    counts = Counter(cells)
    return {
        "common": {"num_present": len(cells), "num_missing": num_missing},
        "distinct_count": float(len(counts)),
        "distribution": {
            "categorical": {"buckets": [{"value": v, "count": c} for v, c in sorted(counts.items())]}
        },
    }


def statistics(frame: pd.DataFrame) -> dict[str, Any]:
    """statistics.json of ``frame`` (each column's type inferred from its own cells)."""
    features = []
    for name in frame.columns:
        present = _present(frame[name])
        missing = len(frame) - len(present)
        inferred = infer_type([kind for _, kind in present])
        feature: dict[str, Any] = {"name": str(name), "inferred_type": inferred}
        if inferred in (INTEGRAL, FRACTIONAL):
            feature["numerical_statistics"] = _numerical([float(cell) for cell, _ in present], missing)
        elif inferred == STRING:
            feature["string_statistics"] = _string([cell for cell, _ in present], missing)
        features.append(feature)
    return {"version": 0.0, "dataset": {"item_count": len(frame)}, "features": features}


# ---- baseline ---------------------------------------------------------------------------------------


def default_monitoring_config() -> dict[str, Any]:
    """The monitoring_config the container suggests."""
    return {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": 0.1,
            "comparison_method": "Robust",
        },
    }


def suggest_baseline(frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """(statistics.json, constraints.json) of a baseline dataset, as the suggest-baseline job writes them."""
    if frame.empty:
        raise ValueError("the baseline dataset has no rows: Model Monitor cannot suggest constraints for it")
    stats = statistics(frame)
    features = []
    for feature in stats["features"]:
        numbers = feature.get("numerical_statistics")
        strings = feature.get("string_statistics")
        common = (numbers or strings or {"common": {"num_present": 0}})["common"]
        constraint: dict[str, Any] = {
            "name": feature["name"],
            "inferred_type": feature["inferred_type"],
            "completeness": common["num_present"] / stats["dataset"]["item_count"],
        }
        if numbers:
            constraint["num_constraints"] = {"is_non_negative": numbers["min"] >= 0}
        if strings and strings["distinct_count"] <= DOMAIN_MAX_DISTINCT:
            buckets = strings["distribution"]["categorical"]["buckets"]
            constraint["string_constraints"] = {"domains": [bucket["value"] for bucket in buckets]}
        features.append(constraint)
    return stats, {"version": 0.0, "features": features, "monitoring_config": default_monitoring_config()}


# ---- check ------------------------------------------------------------------------------------------


def _percent(fraction: float) -> str:
    return f"{fraction * 100}%"


def _violation(feature: str, check_type: str, description: str) -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check_type, "description": description}


def _type_matches(expected: str, kind: str) -> bool:
    # An integer is a valid Fractional value; nothing but an integer is Integral; a String column takes anything.
    return kind == expected or (expected == FRACTIONAL and kind == INTEGRAL) or expected == STRING


def _feature_violations(
    name: str,
    cells: pd.Series,
    constraint: dict[str, Any],
    baseline: dict[str, Any] | None,
    config: dict[str, Any],
) -> list[dict[str, str]]:
    present = _present(cells)
    violations = []
    expected = constraint.get("inferred_type", UNKNOWN)
    threshold = float(config.get("datatype_check_threshold", 1.0))
    if present and expected != UNKNOWN:
        matching = sum(_type_matches(expected, kind) for _, kind in present) / len(present)
        if matching < threshold:
            violations.append(_violation(name, "data_type_check", (
                f"Data type match requirement is not met. Expected data type: {expected}, Expected match: "
                f"{_percent(threshold)}. Observed: Only {_percent(matching)} of data is {expected}."
            )))  # fmt: skip
    required = constraint.get("completeness")
    completeness = len(present) / len(cells) if len(cells) else 0.0
    if required is not None and completeness < float(required):
        violations.append(_violation(name, "completeness_check", (
            f"Data completeness requirement is not met. Expected completeness: {_percent(float(required))}. "
            f"Observed: Only {_percent(completeness)} of data is complete."
        )))  # fmt: skip
    domains = constraint.get("string_constraints", {}).get("domains")
    if domains is not None and present:
        allowed = set(domains)
        in_domain = sum(cell in allowed for cell, _ in present) / len(present)
        content_threshold = float(config.get("domain_content_threshold", 1.0))
        if in_domain < content_threshold:
            violations.append(_violation(name, "categorical_values_check", (
                f"Data content requirement is not met. Expected match: {_percent(content_threshold)}. "
                f"Observed: Only {_percent(in_domain)} of data is within the baseline domain {sorted(allowed)}."
            )))  # fmt: skip
    drift = _drift(cells, present, baseline, config.get("distribution_constraints", {}))
    if drift is not None:
        violations.append(_violation(name, "baseline_drift_check", drift))
    return violations


def _drift(
    cells: pd.Series, present: list[tuple[str, str]], baseline: dict[str, Any] | None, rules: dict[str, Any]
) -> str | None:
    """The baseline_drift_check description when the distance is above the threshold, else None."""
    if rules.get("perform_comparison", "Enabled") != "Enabled" or baseline is None or not present:
        return None
    method = rules.get("comparison_method", "Robust")
    threshold = float(rules.get("comparison_threshold", 0.1))
    numbers = baseline.get("numerical_statistics")
    strings = baseline.get("string_statistics")
    if numbers:
        values = [float(cell) for cell, kind in present if kind in (INTEGRAL, FRACTIONAL)]
        if not values:
            return None  # nothing numeric to compare: the data_type_check already says so
        simple, n, m = _cdf_distance(
            _weighted(numbers["distribution"]["kll"]["sketch"]), _weighted(_sketch(values))
        )
    elif strings:
        if rules.get("categorical_drift_method", "LInfinity") != "LInfinity":
            raise ValueError("Sandbox: only the LInfinity categorical_drift_method is emulated")
        threshold = float(rules.get("categorical_comparison_threshold", threshold))
        expected = {b["value"]: float(b["count"]) for b in strings["distribution"]["categorical"]["buckets"]}
        observed = {k: float(v) for k, v in Counter(cell for cell, _ in present).items()}
        simple, n, m = _categorical_distance(expected, observed)
    else:
        return None
    distance = _select(simple, n, m, method)
    if distance <= threshold:
        return None
    return f"Baseline drift distance: {distance} exceeds threshold: {threshold}"


def check(
    frame: pd.DataFrame, baseline_statistics: dict[str, Any], baseline_constraints: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(statistics.json, constraint_violations.json) of a monitored dataset against its baseline.

    Columns are matched by name (the container names headerless CSV columns _c0, _c1, ... on both sides).
    """
    config = baseline_constraints.get("monitoring_config", {})
    stats = statistics(frame)
    if config.get("evaluate_constraints", "Enabled") != "Enabled":
        return stats, {"violations": []}
    constraints = {feature["name"]: feature for feature in baseline_constraints.get("features", [])}
    baseline = {feature["name"]: feature for feature in baseline_statistics.get("features", [])}
    columns = [str(name) for name in frame.columns]
    violations: list[dict[str, str]] = []
    for name in [n for n in constraints if n not in columns]:
        violations.append(_violation(name, "missing_column_check", (
            f"There are missing columns in current dataset. Number of columns in current dataset: {len(columns)}, "
            f"Number of columns in baseline constraints: {len(constraints)}"
        )))  # fmt: skip
    for name in [n for n in columns if n not in constraints]:
        violations.append(_violation(name, "extra_column_check", (
            f"There are extra columns in current dataset. Number of columns in current dataset: {len(columns)}, "
            f"Number of columns in baseline constraints: {len(constraints)}"
        )))  # fmt: skip
    for name, column in zip(columns, frame.columns, strict=True):
        if name in constraints:
            violations += _feature_violations(
                name, frame[column], constraints[name], baseline.get(name), config
            )
    return stats, {"violations": violations}
