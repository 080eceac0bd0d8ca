"""The CLIs: settings from CI/CD variables, parameters, upsert + start, and the progress watcher."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pipelines import execution_watch, get_definition, run_pipeline
from pipelines.abalone.config import ConfigError, config_from_env

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def test_config_names_every_missing_variable() -> None:
    with pytest.raises(ConfigError) as info:
        config_from_env({"AWS_REGION": "eu-west-1", "ARTIFACT_BUCKET": "b"})
    message = str(info.value)
    for variable in ("SAGEMAKER_PIPELINE_ROLE_ARN", "SAGEMAKER_PIPELINE_NAME", "MODEL_PACKAGE_GROUP_NAME"):
        assert variable in message
    assert "ARTIFACT_BUCKET" not in message


def test_config_reads_ci_variables_and_flags_win(project_env: dict[str, str]) -> None:
    config = config_from_env({**project_env, "AWS_REGION": "us-east-1"}, pipeline_name="other", region=None)
    assert config.pipeline_name == "other"
    assert config.region == "us-east-1"
    assert config.tags == [
        {"Key": "sagemaker:project-id", "Value": "p-abcdefghijkl"},
        {"Key": "sagemaker:project-name", "Value": "abalone-demo"},
    ]
    kept = {k: v for k, v in project_env.items() if not k.startswith(("CI_", "INPUT_", "SAGEMAKER_PROJECT"))}
    bare = config_from_env({**kept, "AWS_DEFAULT_REGION": "eu-west-1"})
    assert bare.region == "eu-west-1"
    assert bare.lineage_metadata == {}
    assert bare.input_data_url == "s3://sagemaker-sample-files/datasets/tabular/uci_abalone/abalone.csv"


DEFINITION = {
    "Parameters": [
        {"Name": "MseThreshold", "Type": "Float", "DefaultValue": 6.0},
        {"Name": "MaxDepth", "Type": "Integer", "DefaultValue": 3},
        {"Name": "ModelApprovalStatus", "Type": "String", "DefaultValue": "PendingManualApproval"},
    ]
}


def test_parameters_are_checked_against_the_definition() -> None:
    assert run_pipeline.parse_parameters(["MseThreshold=5.5", "ModelApprovalStatus=Approved"], DEFINITION) == [
        {"Name": "MseThreshold", "Value": "5.5"},
        {"Name": "ModelApprovalStatus", "Value": "Approved"},
    ]
    with pytest.raises(run_pipeline.ParameterError, match="unknown pipeline parameter 'Depth'; known: MaxDepth"):
        run_pipeline.parse_parameters(["Depth=3"], DEFINITION)
    with pytest.raises(run_pipeline.ParameterError, match=r"MaxDepth is Integer, got '3\.5'"):
        run_pipeline.parse_parameters(["MaxDepth=3.5"], DEFINITION)
    with pytest.raises(run_pipeline.ParameterError, match="expected Name=Value"):
        run_pipeline.parse_parameters(["MseThreshold"], DEFINITION)


def test_missing_settings_exit_2_with_the_variable_names(
    fake_aws_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_pipeline.main([]) == 2
    assert "SAGEMAKER_PIPELINE_ROLE_ARN" in capsys.readouterr().err
    assert get_definition.main([]) == 2


def test_upsert_and_start_under_moto(
    project_env: dict[str, str], mocked_aws: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI_PIPELINE_ID", "77")
    monkeypatch.setenv("CI_COMMIT_SHORT_SHA", "0123abcd")
    assert run_pipeline.main(["--no-wait", "--parameters", "MseThreshold=5.5"]) == 0
    out = capsys.readouterr().out
    assert "execution started: arn:aws:sagemaker:us-east-1:" in out

    sm = boto3.client("sagemaker", region_name="us-east-1")
    pipeline = sm.describe_pipeline(PipelineName="abalone-demo-p-abcdefghijkl")
    assert pipeline["RoleArn"] == project_env["SAGEMAKER_PIPELINE_ROLE_ARN"]
    names = [s["Name"] for s in json.loads(pipeline["PipelineDefinition"])["Steps"]]
    assert names == ["Preprocess", "Train", "Evaluate", "DataQualityBaseline", "ModelQualityBaseline", "MseCheck"]
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=pipeline["PipelineArn"])["Tags"]}
    assert tags["sagemaker:project-id"] == "p-abcdefghijkl"
    (execution,) = sm.list_pipeline_executions(PipelineName="abalone-demo-p-abcdefghijkl")["PipelineExecutionSummaries"]
    described = sm.describe_pipeline_execution(PipelineExecutionArn=execution["PipelineExecutionArn"])
    assert described["PipelineExecutionDisplayName"] == "gitlab-77-0123abcd"

    # A second run updates the same pipeline instead of failing on "already exists".
    assert run_pipeline.main(["--no-wait"]) == 0
    assert (
        len(sm.list_pipeline_executions(PipelineName="abalone-demo-p-abcdefghijkl")["PipelineExecutionSummaries"]) == 2
    )


def test_unknown_parameter_exits_2_before_starting_anything(
    project_env: dict[str, str], mocked_aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_pipeline.main(["--no-wait", "--parameters", "Nope=1"]) == 2
    assert "unknown pipeline parameter 'Nope'" in capsys.readouterr().err
    sm = boto3.client("sagemaker", region_name="us-east-1")
    assert sm.list_pipelines()["PipelineSummaries"] == []


def test_get_definition_prints_json(
    project_env: dict[str, str], mocked_aws: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert get_definition.main([]) == 0
    definition = json.loads(capsys.readouterr().out)
    assert [p["Name"] for p in definition["Parameters"]][:2] == ["InputDataUrl", "ProcessingInstanceType"]


# ---- the watcher, against a scripted client -------------------------------------------------


def _step(name: str, status: str, start: int, end: int | None = None, **extra: Any) -> dict[str, Any]:
    step = {"StepName": name, "StepStatus": status, "StartTime": T0 + timedelta(seconds=start)}
    if end is not None:
        step["EndTime"] = T0 + timedelta(seconds=end)
    step.update(extra)
    return step


class ScriptedClient:
    """Returns one scripted poll per describe call; step lists are split into pages of 2."""

    def __init__(self, polls: list[tuple[str, list[dict[str, Any]]]], failure: str | None = None) -> None:
        self.polls = polls
        self.index = -1
        self.failure = failure
        self.page_requests: list[dict[str, Any]] = []

    def describe_pipeline_execution(self, PipelineExecutionArn: str) -> dict[str, Any]:  # noqa: N803
        self.index = min(self.index + 1, len(self.polls) - 1)
        status = self.polls[self.index][0]
        response = {
            "PipelineExecutionStatus": status,
            "CreationTime": T0,
            "LastModifiedTime": T0 + timedelta(seconds=95),
        }
        if self.failure:
            response["FailureReason"] = self.failure
        return response

    def list_pipeline_execution_steps(self, **kwargs: Any) -> dict[str, Any]:
        self.page_requests.append(kwargs)
        steps = list(reversed(self.polls[self.index][1]))  # the API lists the newest first
        start = int(kwargs.get("NextToken", 0))
        page = {"PipelineExecutionSteps": steps[start : start + 2]}
        if start + 2 < len(steps):
            page["NextToken"] = str(start + 2)
        return page


def _watch(client: ScriptedClient, timeout: float = 3600, heartbeat: float = 3600) -> tuple[list[str], tuple[Any, ...]]:
    lines: list[str] = []
    ticks = iter(range(0, 10_000, 30))
    watcher = execution_watch.Watcher(
        client=client,
        execution_arn="arn:exec",
        emit=lines.append,
        poll_seconds=30,
        timeout_seconds=timeout,
        heartbeat_seconds=heartbeat,
        sleep=lambda _: None,
        clock=lambda: float(next(ticks)),
    )
    return lines, watcher.run()


def test_watcher_reports_each_status_change_once_with_durations() -> None:
    polls = [
        ("Executing", [_step("Preprocess", "Executing", 0)]),
        ("Executing", [_step("Preprocess", "Executing", 0)]),
        (
            "Executing",
            [
                _step(
                    "Preprocess",
                    "Succeeded",
                    0,
                    65,
                    Metadata={"ProcessingJob": {"Arn": "arn:aws:sagemaker:r:1:processing-job/pp-1"}},
                ),
                _step("Train", "Executing", 66),
            ],
        ),
        (
            "Succeeded",
            [
                _step("Preprocess", "Succeeded", 0, 65),
                _step("Train", "Succeeded", 66, 3800),
                _step("Evaluate", "Succeeded", 3801, 3840),
                _step("MseCheck", "Succeeded", 3841, 3842, Metadata={"Condition": {"Outcome": "True"}}),
                _step("RegisterModel", "Succeeded", 3843, 3845, Metadata={"RegisterModel": {"Arn": "arn:pkg/1"}}),
            ],
        ),
    ]
    client = ScriptedClient(polls)
    lines, (status, states, _) = _watch(client)
    assert status == "Succeeded"
    text = [line.split("] ", 1)[1] for line in lines]
    assert text == [
        "Preprocess           Executing",
        "Preprocess           Succeeded after 1m05s (processingJob: pp-1)",
        "Train                Executing",
        "Train                Succeeded after 1h02m14s",
        "Evaluate             Succeeded after 39s",
        "MseCheck             Succeeded after 1s (condition outcome: True)",
        "RegisterModel        Succeeded after 2s (model package: arn:pkg/1)",
    ]
    assert lines[0].startswith("[     30s]")
    # All pages were read: 5 steps in pages of 2 → 3 requests for the last poll.
    assert [r.get("NextToken") for r in client.page_requests[-3:]] == [None, "2", "4"]
    assert set(states) == {"Preprocess", "Train", "Evaluate", "MseCheck", "RegisterModel"}


def test_failure_lines_give_the_failing_steps_reason() -> None:
    polls = [
        (
            "Failed",
            [
                _step("Preprocess", "Succeeded", 0, 10),
                _step("Train", "Succeeded", 10, 20),
                _step("Evaluate", "Succeeded", 20, 30),
                _step("MseCheck", "Succeeded", 30, 31, Metadata={"Condition": {"Outcome": "False"}}),
                _step("MseAboveThreshold", "Failed", 31, 32, FailureReason="Test MSE 7.1 is above MseThreshold 6.0"),
            ],
        )
    ]
    _, (status, states, execution) = _watch(
        ScriptedClient(polls, failure="Step failure: One or multiple steps failed.")
    )
    assert status == "Failed"
    assert execution_watch.failure_lines(states, execution) == [
        "step MseAboveThreshold Failed: Test MSE 7.1 is above MseThreshold 6.0"
    ]


class ProcessingJobs:
    def __init__(self, messages: dict[str, str]) -> None:
        self.messages = messages
        self.asked: list[str] = []

    def describe_processing_job(self, ProcessingJobName: str) -> dict[str, Any]:  # noqa: N803
        self.asked.append(ProcessingJobName)
        if ProcessingJobName not in self.messages:
            raise ClientError({"Error": {"Code": "ValidationException", "Message": "gone"}}, "Describe")
        return {"ProcessingJobName": ProcessingJobName, "ExitMessage": self.messages[ProcessingJobName]}


def test_a_failed_processing_steps_script_message_is_shown() -> None:
    arn = "arn:aws:sagemaker:us-east-1:1:processing-job/pipelines-abc-preprocess-xyz"
    states = execution_watch.parse_steps(
        [
            _step(
                "Preprocess",
                "Failed",
                0,
                5,
                FailureReason="AlgorithmError: see logs",
                Metadata={"ProcessingJob": {"Arn": arn}},
            ),
            _step("Other", "Failed", 0, 5, Metadata={"ProcessingJob": {"Arn": arn + "-gone"}}),
        ]
    )
    client = ProcessingJobs({"pipelines-abc-preprocess-xyz": "preprocessing failed: abalone.csv: expected 9 columns\n"})
    messages = run_pipeline.exit_messages(client, states)
    assert messages == {"Preprocess": "preprocessing failed: abalone.csv: expected 9 columns\n"}
    assert sorted(client.asked) == ["pipelines-abc-preprocess-xyz", "pipelines-abc-preprocess-xyz-gone"]
    assert execution_watch.failure_lines(states, {}, messages) == [
        "step Preprocess Failed: AlgorithmError: see logs",
        "  script said: preprocessing failed: abalone.csv: expected 9 columns",
        "step Other Failed: no reason given",
    ]


def test_execution_failure_without_a_failed_step_is_still_explained() -> None:
    _, (status, states, execution) = _watch(ScriptedClient([("Failed", [])], failure="role cannot be assumed"))
    assert status == "Failed"
    assert execution_watch.failure_lines(states, execution) == ["execution: role cannot be assumed"]


def test_watcher_says_what_is_still_running_during_a_long_step() -> None:
    long_step = ("Executing", [_step("Preprocess", "Succeeded", 0, 5), _step("Train", "Executing", 6)])
    polls = [long_step] * 7 + [
        ("Succeeded", [_step("Preprocess", "Succeeded", 0, 5), _step("Train", "Succeeded", 6, 200)])
    ]
    lines, _ = _watch(ScriptedClient(polls), heartbeat=90)
    text = [line.split("] ", 1)[1] for line in lines]
    # Polls every 30 s: the change at 30 s, then a reminder every 90 s without one.
    assert text.count("still running: Train") == 2
    assert text[-1].startswith("Train                Succeeded")


def test_watcher_gives_up_after_the_timeout_and_says_so() -> None:
    lines, (status, _, _) = _watch(ScriptedClient([("Executing", [])]), timeout=60)
    assert status == "TimedOut"
    assert "stopped waiting after 1m00s; the execution is still Executing: arn:exec" in lines[-1]


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "-"), (0, "0s"), (59.6, "1m00s"), (61, "1m01s"), (3600, "1h00m00s")]
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert execution_watch.format_duration(seconds) == text


class FlakyClient(ScriptedClient):
    """Throttles the first ``failures`` describe calls, as a busy account would."""

    def __init__(self, failures: int, polls: list[tuple[str, list[dict[str, Any]]]]) -> None:
        super().__init__(polls)
        self.failures = failures

    def describe_pipeline_execution(self, PipelineExecutionArn: str) -> dict[str, Any]:  # noqa: N803
        if self.failures > 0:
            self.failures -= 1
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "Describe")
        return super().describe_pipeline_execution(PipelineExecutionArn)


def test_watcher_retries_transient_polling_errors() -> None:
    client = FlakyClient(2, [("Succeeded", [_step("Preprocess", "Succeeded", 0, 5)])])
    lines, (status, _, _) = _watch(client)
    assert status == "Succeeded"
    assert sum("warning: polling failed" in line and "Rate exceeded" in line for line in lines) == 2


def test_watcher_gives_up_after_repeated_errors() -> None:
    with pytest.raises(ClientError, match="Rate exceeded"):
        _watch(FlakyClient(10, [("Executing", [])]))
