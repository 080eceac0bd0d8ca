"""The smoke test: serving format, prediction checks, latency percentiles, and the command end to end."""

from __future__ import annotations

import functools
import io
import itertools
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.response import StreamingBody
from botocore.stub import Stubber

from deployer import deploy, smoke_test
from deployer.errors import DeployerError
from deployer.latency import percentile, percentiles
from deployer.serving import load_sample_rows, parse_predictions
from deployer.smoke_test import SmokeReport, exercise, latency_problems, prediction_problems
from deployer.stage_config import SmokeTestSettings, config_path, load_stage_config

# --- serving format ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["7.5\n9.25\n11\n", "7.5,9.25,11", "7.5, 9.25, 11\n", "7.5\r\n9.25\r\n11", "7.5,\n9.25,\n11,\n"],
)
def test_predictions_separated_by_newlines_or_commas(body: str) -> None:
    assert parse_predictions(body) == [7.5, 9.25, 11.0]


def test_non_numbers_in_a_response_are_a_format_error() -> None:
    with pytest.raises(
        ValueError, match=r"not a number in the endpoint's response: '\{\"predictions\": \[1\.0\]\}'"
    ):
        parse_predictions('{"predictions": [1.0]}')


def test_nan_and_inf_parse_so_they_can_be_reported_as_non_finite() -> None:
    values = parse_predictions("nan\ninf\n-inf")
    assert math.isnan(values[0])
    assert values[1:] == [math.inf, -math.inf]


def test_committed_sample_rows_are_in_serving_format(repo_root: Path) -> None:
    rows = load_sample_rows(repo_root / "config" / "sample-rows.csv")
    assert len(rows) == 10
    # one-hot sex (3) + 7 measurements + 5 engineered features, exactly one sex per row
    for row in rows:
        fields = [float(field) for field in row.split(",")]
        assert len(fields) == 15
        assert sum(fields[:3]) == 1.0
    # every row is derived from the raw measurements in the comment above it
    text = (repo_root / "config" / "sample-rows.csv").read_text().splitlines()
    raw = [line.removeprefix("# raw: ").split(",") for line in text if line.startswith("# raw: ")]
    assert len(raw) == len(rows)
    for measurements, row in zip(raw, rows, strict=True):
        fields = [float(field) for field in row.split(",")]
        length, diameter, height, whole, shucked, viscera, shell = map(float, measurements[1:])
        assert fields[["F", "I", "M"].index(measurements[0])] == 1.0
        assert fields[3:10] == [length, diameter, height, whole, shucked, viscera, shell]
        assert fields[10] == pytest.approx(shucked / whole, rel=1e-5)
        assert fields[13] == pytest.approx(length * diameter * height, rel=1e-5)
        assert fields[14] == pytest.approx(whole / (length * diameter * height), rel=1e-5)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("# only a comment\n\n", "no sample rows"),
        ("1,2,3\n1,x,3\n", r"rows.csv:2: every field must be a number"),
        ("1,2,3\n1,2\n", r"rows.csv:2: 2 columns, but earlier rows have 3"),
        ("1,nan,3\n", r"rows.csv:1: fields must be finite numbers"),
    ],
)
def test_bad_sample_files_are_refused_with_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(content)
    with pytest.raises(DeployerError, match=message):
        load_sample_rows(path)


# --- checks -----------------------------------------------------------------------------------------------


def test_prediction_problems_flag_non_finite_and_out_of_range_values() -> None:
    problems = prediction_problems([1.0, 30.0, math.nan, math.inf, -math.inf, 0.99, 30.5, 12.0], 1.0, 30.0)
    assert problems == [
        "prediction #3 is not a finite number: nan",
        "prediction #4 is not a finite number: inf",
        "prediction #5 is not a finite number: -inf",
        "prediction #6 = 0.99 is outside the plausible range [1, 30]",
        "prediction #7 = 30.5 is outside the plausible range [1, 30]",
    ]


def test_percentiles_match_hand_computed_values() -> None:
    # n = 5, sorted [15, 20, 35, 40, 50]: p50 at rank 2 -> 35; p95 at rank 3.8 -> 40 + 0.8 * 10 = 48;
    # p99 at rank 3.96 -> 40 + 0.96 * 10 = 49.6
    values = [50.0, 15.0, 40.0, 20.0, 35.0]
    assert percentile(values, 50) == 35.0
    assert percentile(values, 95) == pytest.approx(48.0)
    assert percentile(values, 99) == pytest.approx(49.6)
    # 1..10: p50 at rank 4.5 -> 5.5; p95 at rank 8.55 -> 9.55; p99 at rank 8.91 -> 9.91
    assert percentiles([float(v) for v in range(10, 0, -1)], ["p50", "p95", "p99"]) == pytest.approx(
        {"p50": 5.5, "p95": 9.55, "p99": 9.91}
    )
    assert percentile([7.0], 99) == 7.0
    assert percentile(values, 0) == 15.0
    assert percentile(values, 100) == 50.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_latency_problems_name_each_percentile_over_budget() -> None:
    assert latency_problems(
        {"p50": 10.0, "p95": 600.0, "p99": 1000.0}, {"p50": 200, "p95": 500, "p99": 1000}
    ) == ["p95 latency 600.0 ms exceeds its budget of 500 ms"]


def settings(**overrides: Any) -> SmokeTestSettings:
    values: dict[str, Any] = {
        "sample_rows_file": "rows.csv",
        "rounds": 2,
        "prediction_min": 1.0,
        "prediction_max": 30.0,
        "latency_budget_ms": {"p50": 25.0, "p95": 60.0, "p99": 100.0},
    }
    values.update(overrides)
    return SmokeTestSettings(**values)


def fake_clock(elapsed_ms: list[float]) -> Iterator[float]:
    """perf_counter readings: each request's start and end, with the given durations between them."""
    now = 100.0
    for duration in elapsed_ms:
        yield now
        now += duration / 1000
        yield now
        now += 1.0


def test_exercise_measures_single_row_requests_and_checks_the_batch() -> None:
    rows = ["1,0,0,0.5", "0,1,0,0.3"]
    replies = {"1,0,0,0.5": "9.5\n", "0,1,0,0.3": "6.25\n", "1,0,0,0.5\n0,1,0,0.3": "9.5,6.25"}
    sent: list[str] = []

    def invoke(body: str) -> str:
        sent.append(body)
        return replies[body]

    # four single-row requests (2 rows x 2 rounds) then the batch
    clock = fake_clock([10.0, 20.0, 40.0, 80.0, 5.0])
    report = exercise(invoke, rows, settings(), SmokeReport("ep", "staging"), clock=lambda: next(clock))

    assert sent == ["1,0,0,0.5", "0,1,0,0.3", "1,0,0,0.5", "0,1,0,0.3", "1,0,0,0.5\n0,1,0,0.3"]
    assert report.requests == 5
    assert report.predictions == [9.5, 6.25, 9.5, 6.25, 9.5, 6.25]
    assert report.latencies_ms == pytest.approx([10.0, 20.0, 40.0, 80.0])  # the batch is not a latency sample
    # sorted [10, 20, 40, 80]: p50 at rank 1.5 -> 30; p95 at rank 2.85 -> 40 + 0.85 * 40 = 74;
    # p99 at rank 2.97 -> 40 + 0.97 * 40 = 78.8
    assert report.percentiles_ms == pytest.approx({"p50": 30.0, "p95": 74.0, "p99": 78.8})
    assert report.problems == [
        "p50 latency 30.0 ms exceeds its budget of 25 ms",
        "p95 latency 74.0 ms exceeds its budget of 60 ms",
    ]
    assert not report.passed


def test_exercise_reports_bad_predictions_and_wrong_counts() -> None:
    rows = ["1", "2"]
    replies = {"1": "nan", "2": "45", "1\n2": "3"}
    report = exercise(replies.__getitem__, rows, settings(rounds=1), SmokeReport("ep", "prod"))
    assert report.problems == [
        "batch of 2 rows: expected 2 prediction(s), got 1",
        "prediction #1 is not a finite number: nan",
        "prediction #2 = 45 is outside the plausible range [1, 30]",
    ]


def test_invocation_errors_are_reported_not_raised() -> None:
    from botocore.exceptions import ClientError

    def invoke(body: str) -> str:
        raise ClientError(
            {"Error": {"Code": "ModelError", "Message": "feature_names mismatch"}}, "InvokeEndpoint"
        )

    report = exercise(invoke, ["1"], settings(rounds=1), SmokeReport("ep", "prod"))
    assert report.problems == [
        "row 1 (round 1): ModelError: feature_names mismatch",
        "batch of 1 rows: ModelError: feature_names mismatch",
        "no request succeeded, so there is no latency to report",
    ]


def test_runtime_invoker_sends_csv_and_reads_csv(aws: None) -> None:
    """Stubber: checks the exact InvokeEndpoint request the smoke test makes."""
    client = boto3.client("sagemaker-runtime", region_name="us-east-1")
    stubber = Stubber(client)
    stubber.add_response(
        "invoke_endpoint",
        {"Body": StreamingBody(io.BytesIO(b"10.5\n"), 5), "ContentType": "text/csv"},
        {
            "EndpointName": "n-p-1-staging",
            "ContentType": "text/csv",
            "Accept": "text/csv",
            "Body": b"1,0,0,0.5",
        },
    )
    with stubber:
        assert smoke_test.runtime_invoker(client, "n-p-1-staging")("1,0,0,0.5") == "10.5\n"
    stubber.assert_no_pending_responses()


# --- the command against moto ------------------------------------------------------------------------------


def deploy_staging(model_registry: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    arn = model_registry.register("Approved")
    monkeypatch.setenv("RESOLVED_MODEL_PACKAGE_ARN", arn)
    assert (
        deploy.main(["--stage", "staging", "--poll-seconds", "0", "--report", str(tmp_path / "d.json")]) == 0
    )
    return str(json.loads((tmp_path / "d.json").read_text())["outputs"]["EndpointName"])


def queue_endpoint_results(bodies: list[str]) -> None:
    """moto's documented API for InvokeEndpoint replies: one per distinct request body, in order."""
    response = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/sagemaker/endpoint-results",
        json={"results": [{"Body": body, "ContentType": "text/csv"} for body in bodies]},
        timeout=10,
    )
    response.raise_for_status()


def test_command_passes_against_a_deployed_endpoint(
    project_env: dict[str, str],
    model_registry: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    repo_root: Path,
    capsys: Any,
) -> None:
    endpoint = deploy_staging(model_registry, monkeypatch, tmp_path)
    rows = load_sample_rows(repo_root / "config" / "sample-rows.csv")
    singles = [f"{5 + n}.5\n" for n in range(len(rows))]
    queue_endpoint_results([*singles, ",".join(s.strip() for s in singles)])
    # Latency is measured by its own tests with a fake clock; here every request takes 1 ms, so a loaded CI
    # machine (moto's first answer can take a second) cannot fail the budget check.
    readings = itertools.count()
    monkeypatch.setattr(
        smoke_test, "exercise", functools.partial(smoke_test.exercise, clock=lambda: next(readings) / 1000)
    )
    capsys.readouterr()

    code = smoke_test.main(["--stage", "staging", "--report", str(tmp_path / "s.json")])

    printed = capsys.readouterr().out
    assert code == 0, printed
    report = json.loads((tmp_path / "s.json").read_text())
    config = load_stage_config(config_path("staging", repo_root)).smoke_test
    assert report["endpoint"] == endpoint  # read from the stack's Outputs
    assert report["passed"] is True
    assert report["requests"] == config.rounds * len(rows) + 1
    assert len(report["predictions"]) == config.rounds * len(rows) + len(rows)
    assert min(report["predictions"]) == 5.5
    assert max(report["predictions"]) == 14.5
    assert f"Smoke test of endpoint {endpoint} (stage staging)" in printed
    assert "result       : PASSED" in printed


def test_command_fails_on_an_implausible_prediction(
    project_env: dict[str, str],
    model_registry: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Any,
) -> None:
    deploy_staging(model_registry, monkeypatch, tmp_path)
    queue_endpoint_results(["7.0\n", "nan\n", *["8.0\n"] * 8, "7,nan,8,8,8,8,8,8,8,8"])

    code = smoke_test.main(["--stage", "staging", "--report", str(tmp_path / "s.json")])

    printed = capsys.readouterr().out
    assert code == 1
    assert "result       : FAILED" in printed
    assert "is not a finite number: nan" in printed
    report = json.loads((tmp_path / "s.json").read_text())  # valid JSON although a prediction is NaN
    assert report["passed"] is False
    assert "nan" in report["predictions"]


def test_command_without_a_stack_says_deploy_first(
    project_env: dict[str, str], tmp_path: Path, capsys: Any
) -> None:
    assert smoke_test.main(["--stage", "prod", "--report", str(tmp_path / "s.json")]) == 1
    assert "deploy-prod does not exist: deploy this stage first" in capsys.readouterr().err


def test_command_refuses_to_vouch_for_a_model_another_pipeline_replaced(
    project_env: dict[str, str],
    model_registry: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Any,
) -> None:
    ours = model_registry.register("Approved")
    monkeypatch.setenv("RESOLVED_MODEL_PACKAGE_ARN", ours)
    assert (
        deploy.main(["--stage", "staging", "--poll-seconds", "0", "--report", str(tmp_path / "d.json")]) == 0
    )
    # another pipeline deploys a newer package to staging before this pipeline's smoke test runs
    theirs = model_registry.register("Approved")
    assert (
        deploy.main(
            ["--stage", "staging", "--model-package-arn", theirs, "--report", str(tmp_path / "d2.json")]
        )
        == 0
    )

    assert smoke_test.main(["--stage", "staging", "--report", str(tmp_path / "s.json")]) == 1
    error = capsys.readouterr().err
    assert f"now serves {theirs}, not {ours} that this pipeline deployed" in error
    assert not (tmp_path / "s.json").exists()
