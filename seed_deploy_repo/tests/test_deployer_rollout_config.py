"""The stage config's ``rollout`` section: defaults, the committed stages' choices, and refused values."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from deployer import deploy
from deployer.baseline import DataQualityBaseline
from deployer.errors import DeployerError
from deployer.rollout_config import DEFAULT_ROLLOUT
from deployer.settings import project_settings
from deployer.stage_config import config_path, load_stage_config, parse_stage_config

# prod monitors data quality, so its parameters need the package's baseline.
BASELINE = DataQualityBaseline("s3://b/statistics.json", "s3://b/constraints.json")


@pytest.fixture
def raw(repo_root: Path) -> dict[str, Any]:
    return dict(json.loads((repo_root / "config" / "prod.json").read_text()))


def test_committed_stages_staging_all_at_once_and_prod_canary(repo_root: Path) -> None:
    staging = load_stage_config(config_path("staging", repo_root)).rollout
    prod = load_stage_config(config_path("prod", repo_root)).rollout
    assert (staging.type, staging.baking_seconds) == ("ALL_AT_ONCE", 300)
    assert (prod.type, prod.step_percent, prod.wait_seconds, prod.baking_seconds) == ("CANARY", 10, 300, 300)


def test_absent_section_is_blue_green_all_at_once(raw: dict[str, Any]) -> None:
    del raw["rollout"]
    rollout = parse_stage_config(raw, "config/prod.json").rollout
    assert rollout == DEFAULT_ROLLOUT
    assert (rollout.type, rollout.baking_seconds, rollout.error_threshold) == ("ALL_AT_ONCE", 300, 1)


def test_partial_section_keeps_the_defaults_for_the_rest(raw: dict[str, Any]) -> None:
    raw["rollout"] = {"type": "LINEAR", "step_percent": 25, "_why": "comments are allowed"}
    rollout = parse_stage_config(raw, "config/prod.json").rollout
    assert (rollout.type, rollout.step_percent, rollout.wait_seconds) == ("LINEAR", 25, 60)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"type": "BLUE_GREEN"},
            r"rollout.type must be one of ALL_AT_ONCE, CANARY, LINEAR, not 'BLUE_GREEN'",
        ),
        ({"type": "CANARY", "step_percent": 60}, r"rollout.step_percent must be a whole number from 1 to 50"),
        ({"type": "CANARY", "step_percent": 0}, r"rollout.step_percent must be a whole number from 1 to 50"),
        ({"type": "LINEAR", "step_percent": 5}, r"rollout.step_percent must be a whole number from 10 to 50"),
        ({"type": "CANARY", "step_percent": 10.5}, r"rollout.step_percent must be a whole number"),
        ({"wait_seconds": 3601}, r"rollout.wait_seconds must be a whole number from 0 to 3600"),
        ({"baking_seconds": -1}, r"rollout.baking_seconds must be a whole number from 0 to 3600"),
        ({"error_threshold": 0}, r"rollout.error_threshold must be a whole number from 1"),
        ({"error_threshold": True}, r"rollout.error_threshold must be a whole number"),
        ({"canary_percent": 10}, r"unknown key\(s\) in rollout: canary_percent"),
        ([], r"rollout must be a JSON object"),
    ],
)
def test_bad_rollout_is_refused_naming_the_key(raw: dict[str, Any], section: Any, message: str) -> None:
    broken = copy.deepcopy(raw)
    broken["rollout"] = section
    with pytest.raises(DeployerError, match=message):
        parse_stage_config(broken, "config/prod.json")


def test_rollout_parameters_and_latency_budget_in_microseconds(
    project_env: dict[str, str], raw: dict[str, Any]
) -> None:
    raw["smoke_test"]["latency_budget_ms"]["p99"] = 750
    config = parse_stage_config(raw, "config/prod.json")
    parameters = deploy.stack_parameters(project_settings(), "prod", config, "arn:pkg", BASELINE)
    assert parameters["RolloutType"] == "CANARY"
    assert parameters["RolloutStepPercent"] == "10"
    assert parameters["RolloutWaitSeconds"] == "300"
    assert parameters["BakingSeconds"] == "300"
    assert parameters["ErrorAlarmThreshold"] == "1"
    assert parameters["LatencyAlarmMicroseconds"] == "750000"


def test_rollout_settings_do_not_rename_the_model(project_env: dict[str, str], raw: dict[str, Any]) -> None:
    before = deploy.stack_parameters(
        project_settings(), "prod", parse_stage_config(raw, "p"), "arn:pkg", BASELINE
    )
    raw["rollout"]["type"] = "LINEAR"
    after = deploy.stack_parameters(
        project_settings(), "prod", parse_stage_config(raw, "p"), "arn:pkg", BASELINE
    )
    assert after["RolloutType"] == "LINEAR"
    assert after["ResourceSuffix"] == before["ResourceSuffix"]
