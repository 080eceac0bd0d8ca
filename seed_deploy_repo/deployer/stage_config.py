"""Per-stage settings from ``config/<stage>.json``: endpoint size, data capture, the smoke test's limits, rollout.

Unknown keys are rejected so that a typo cannot silently fall back to a default; keys starting with ``_``
are ignored and may hold comments.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployer.errors import DeployerError
from deployer.monitoring_config import MonitoringSettings, parse_monitoring
from deployer.rollout_config import RolloutSettings, parse_rollout

PERCENTILES = ("p50", "p95", "p99")


@dataclass(frozen=True)
class EndpointSettings:
    instance_type: str
    initial_instance_count: int


@dataclass(frozen=True)
class DataCaptureSettings:
    enabled: bool
    sampling_percentage: int


@dataclass(frozen=True)
class SmokeTestSettings:
    sample_rows_file: str
    rounds: int
    prediction_min: float
    prediction_max: float
    latency_budget_ms: dict[str, float]


@dataclass(frozen=True)
class StageConfig:
    endpoint: EndpointSettings
    data_capture: DataCaptureSettings
    smoke_test: SmokeTestSettings
    rollout: RolloutSettings
    monitoring: MonitoringSettings


def config_path(stage: str, base: Path | None = None) -> Path:
    return (base or Path.cwd()) / "config" / f"{stage}.json"


def load_stage_config(path: Path) -> StageConfig:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeployerError(f"{path}: stage config not found (expected config/<stage>.json)") from None
    except json.JSONDecodeError as error:
        raise DeployerError(f"{path}: not valid JSON: {error}") from None
    return parse_stage_config(raw, str(path))


def parse_stage_config(raw: Any, where: str) -> StageConfig:
    # rollout and monitoring are optional (deployer/rollout_config.py, deployer/monitoring_config.py have their
    # defaults): configs written before them still load; _section then checks the rest.
    rollout_raw = raw.get("rollout") if isinstance(raw, dict) else None
    monitoring = raw.get("monitoring") if isinstance(raw, dict) else None
    if isinstance(raw, dict):
        raw = {key: value for key, value in raw.items() if key not in ("rollout", "monitoring")}
    top = _section(raw, where, "", {"endpoint", "data_capture", "smoke_test"})
    endpoint = _section(top.get("endpoint"), where, "endpoint", {"instance_type", "initial_instance_count"})
    capture = _section(top.get("data_capture"), where, "data_capture", {"enabled", "sampling_percentage"})
    smoke = _section(
        top.get("smoke_test"),
        where,
        "smoke_test",
        {"sample_rows_file", "rounds", "prediction_min", "prediction_max", "latency_budget_ms"},
    )
    budget = _section(smoke.get("latency_budget_ms"), where, "smoke_test.latency_budget_ms", set(PERCENTILES))

    instance_type = endpoint["instance_type"]
    if not isinstance(instance_type, str) or not instance_type.startswith("ml."):
        raise DeployerError(f"{where}: endpoint.instance_type must be an instance type such as 'ml.m5.large'")
    prediction_min = _number(smoke["prediction_min"], where, "smoke_test.prediction_min")
    prediction_max = _number(smoke["prediction_max"], where, "smoke_test.prediction_max")
    if prediction_min >= prediction_max:
        raise DeployerError(f"{where}: smoke_test.prediction_min must be below smoke_test.prediction_max")
    sample_rows_file = smoke["sample_rows_file"]
    if not isinstance(sample_rows_file, str) or not sample_rows_file:
        raise DeployerError(f"{where}: smoke_test.sample_rows_file must be a path relative to the repo root")
    enabled = capture["enabled"]
    if not isinstance(enabled, bool):
        raise DeployerError(f"{where}: data_capture.enabled must be true or false")

    return StageConfig(
        endpoint=EndpointSettings(
            instance_type=instance_type,
            initial_instance_count=_integer(
                endpoint["initial_instance_count"], where, "endpoint.initial_instance_count", 1, 100
            ),
        ),
        data_capture=DataCaptureSettings(
            enabled=enabled,
            sampling_percentage=_integer(
                capture["sampling_percentage"], where, "data_capture.sampling_percentage", 0, 100
            ),
        ),
        smoke_test=SmokeTestSettings(
            sample_rows_file=sample_rows_file,
            rounds=_integer(smoke["rounds"], where, "smoke_test.rounds", 1, 1000),
            prediction_min=prediction_min,
            prediction_max=prediction_max,
            latency_budget_ms={
                name: _positive(budget[name], where, f"smoke_test.latency_budget_ms.{name}")
                for name in PERCENTILES
            },
        ),
        rollout=parse_rollout(rollout_raw, where),
        monitoring=parse_monitoring(monitoring, where, enabled),
    )


def _section(value: Any, where: str, name: str, keys: set[str]) -> dict[str, Any]:
    label = name or "the top level"
    if not isinstance(value, dict):
        raise DeployerError(f"{where}: {label} must be a JSON object with keys {', '.join(sorted(keys))}")
    present = {key for key in value if not key.startswith("_")}
    unknown = sorted(present - keys)
    missing = sorted(keys - present)
    if unknown:
        raise DeployerError(f"{where}: unknown key(s) in {label}: {', '.join(unknown)}")
    if missing:
        raise DeployerError(f"{where}: missing key(s) in {label}: {', '.join(missing)}")
    return value


def _number(value: Any, where: str, name: str) -> float:
    # bool is an int in Python; `true` is never a meaningful number here.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DeployerError(f"{where}: {name} must be a finite number")
    return float(value)


def _positive(value: Any, where: str, name: str) -> float:
    number = _number(value, where, name)
    if number <= 0:
        raise DeployerError(f"{where}: {name} must be greater than 0")
    return number


def _integer(value: Any, where: str, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DeployerError(f"{where}: {name} must be a whole number from {low} to {high}")
    return value
