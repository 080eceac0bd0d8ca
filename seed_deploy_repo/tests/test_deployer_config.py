"""Stage configuration files and the CI/CD variables: what is accepted, and how bad input is refused."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from deployer import deploy
from deployer.baseline import DataQualityBaseline
from deployer.errors import DeployerError
from deployer.settings import STAGES, check_stage, project_settings
from deployer.stage_config import config_path, load_stage_config, parse_stage_config


@pytest.mark.parametrize("stage", STAGES)
def test_committed_configs_load(repo_root: Path, stage: str) -> None:
    config = load_stage_config(config_path(stage, repo_root))
    assert config.endpoint.instance_type.startswith("ml.")
    assert config.smoke_test.prediction_min < config.smoke_test.prediction_max
    assert set(config.smoke_test.latency_budget_ms) == {"p50", "p95", "p99"}
    assert (repo_root / config.smoke_test.sample_rows_file).is_file()


@pytest.fixture
def raw(repo_root: Path) -> dict[str, Any]:
    return dict(json.loads((repo_root / "config" / "staging.json").read_text()))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda c: c["endpoint"].update(instance_typ="ml.m5.large"),
            r"unknown key\(s\) in endpoint: instance_typ",
        ),
        (lambda c: c["smoke_test"].pop("rounds"), r"missing key\(s\) in smoke_test: rounds"),
        (
            lambda c: c["endpoint"].update(instance_type="m5.large"),
            r"endpoint.instance_type must be an instance type",
        ),
        (
            lambda c: c["endpoint"].update(initial_instance_count=0),
            r"initial_instance_count must be a whole number from 1",
        ),
        (
            lambda c: c["data_capture"].update(sampling_percentage=101),
            r"sampling_percentage must be a whole number",
        ),
        (lambda c: c["data_capture"].update(enabled="yes"), r"data_capture.enabled must be true or false"),
        (lambda c: c["smoke_test"].update(prediction_min=True), r"prediction_min must be a finite number"),
        (lambda c: c["smoke_test"].update(prediction_min=40), r"prediction_min must be below"),
        (
            lambda c: c["smoke_test"]["latency_budget_ms"].update(p95=0),
            r"latency_budget_ms.p95 must be greater than 0",
        ),
        (
            lambda c: c["smoke_test"]["latency_budget_ms"].pop("p99"),
            r"missing key\(s\) in smoke_test.latency_budget_ms: p99",
        ),
        (lambda c: c.update(endpoint=[]), r"endpoint must be a JSON object"),
    ],
)
def test_bad_config_is_refused_naming_the_key(raw: dict[str, Any], change: Any, message: str) -> None:
    broken = copy.deepcopy(raw)
    change(broken)
    with pytest.raises(DeployerError, match=message):
        parse_stage_config(broken, "config/staging.json")


def test_underscore_keys_are_comments(raw: dict[str, Any]) -> None:
    raw["endpoint"]["_why"] = "bigger for the load test"
    assert parse_stage_config(raw, "x").endpoint.instance_type == "ml.m5.large"


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "staging.json"
    path.write_text("{ not json")
    with pytest.raises(DeployerError, match=r"staging.json: not valid JSON"):
        load_stage_config(path)


def test_names_for_the_longest_project_name(project_env: dict[str, str]) -> None:
    project = project_settings()
    assert len(project_env["SAGEMAKER_PROJECT_NAME"]) == 32
    assert (
        project.stack_name("staging")
        == "sagemaker-abalone-regression-with-a-32char-p-abcdefghijkl-deploy-staging"
    )
    assert len(project.stack_name("staging")) <= 128  # CloudFormation's stack name limit
    with pytest.raises(DeployerError, match="unknown stage 'production': use one of staging, prod"):
        check_stage("production")


def test_stack_parameters_are_strings_from_config(project_env: dict[str, str], repo_root: Path) -> None:
    config = load_stage_config(config_path("prod", repo_root))
    quality_baseline = DataQualityBaseline("s3://b/statistics.json", "s3://b/constraints.json")
    parameters = deploy.stack_parameters(project_settings(), "prod", config, "arn:pkg", quality_baseline)
    assert parameters["StageName"] == "prod"
    assert parameters["ModelPackageArn"] == "arn:pkg"
    assert parameters["DataCaptureEnabled"] == ("true" if config.data_capture.enabled else "false")
    assert parameters["InitialInstanceCount"] == str(config.endpoint.initial_instance_count)
    assert all(isinstance(value, str) for value in parameters.values())


def test_missing_variables_are_all_named_at_once(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SAGEMAKER_PROJECT_NAME", "ARTIFACT_BUCKET", "DEPLOY_CFN_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(
        DeployerError, match=r"SAGEMAKER_PROJECT_NAME, .*ARTIFACT_BUCKET, .*DEPLOY_CFN_ROLE_ARN"
    ):
        project_settings()
