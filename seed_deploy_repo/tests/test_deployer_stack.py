"""Create-or-update of a stage's stack against moto's CloudFormation, and the progress waiter.

moto runs stack operations synchronously and never reports some states (an operation still in progress, a
rollback after a failed update, "No updates are to be performed" for templates with Number parameters,
which it resolves to integers). Those paths use botocore's Stubber or set the state in moto's backend;
each such test says so.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.cloudformation.models import cloudformation_backends

from deployer import deploy, stack_events
from deployer.baseline import DataQualityBaseline
from deployer.errors import DeployerError
from deployer.settings import project_settings
from deployer.stack import Action, StackRequest, Waiting, deploy_stack, plan
from deployer.stage_config import config_path, load_stage_config

ACCOUNT = "123456789012"
REGION = "us-east-1"
NO_WAIT = Waiting(poll_seconds=0, sleep=lambda _seconds: None)


def request_for(repo_root: Path, stage: str, package_arn: str, **overrides: Any) -> StackRequest:
    project = project_settings()
    config = load_stage_config(config_path(stage, repo_root))
    quality_baseline = DataQualityBaseline("s3://b/statistics.json", "s3://b/constraints.json")
    parameters = deploy.stack_parameters(project, stage, config, package_arn, quality_baseline)
    parameters.update(overrides)
    return StackRequest(
        name=project.stack_name(stage),
        template_body=(repo_root / "templates" / "endpoint.yaml").read_text(),
        parameters=parameters,
        role_arn=project.deploy_cfn_role_arn,
        tags=project.tags(stage),
    )


def moto_stack(stack_id: str) -> Any:
    return cloudformation_backends[ACCOUNT][REGION].stacks[stack_id]


# --- the plan ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (None, Action.CREATE),
        ("DELETE_COMPLETE", Action.CREATE),
        ("CREATE_COMPLETE", Action.UPDATE),
        ("UPDATE_COMPLETE", Action.UPDATE),
        ("UPDATE_ROLLBACK_COMPLETE", Action.UPDATE),
        ("ROLLBACK_COMPLETE", Action.RECREATE),
        ("ROLLBACK_FAILED", Action.RECREATE),
        ("REVIEW_IN_PROGRESS", Action.RECREATE),
        ("CREATE_IN_PROGRESS", Action.WAIT),
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", Action.WAIT),
        ("UPDATE_ROLLBACK_FAILED", Action.REFUSE),
        ("DELETE_FAILED", Action.REFUSE),
    ],
)
def test_plan(status: str | None, action: Action) -> None:
    assert plan(status) is action


# --- against moto's CloudFormation -----------------------------------------------------------------------


def test_create_prints_events_and_returns_outputs(
    project_env: dict[str, str],
    model_registry: Any,
    cloudformation: Any,
    sagemaker: Any,
    repo_root: Path,
    lines: Any,
) -> None:
    printed, out = lines
    arn = model_registry.register("Approved")

    result = deploy_stack(cloudformation, request_for(repo_root, "staging", arn), out, NO_WAIT)

    assert (result.action, result.status, result.changed) == ("created", "CREATE_COMPLETE", True)
    assert result.outputs["ModelPackageArn"] == arn
    assert (
        sagemaker.describe_endpoint(EndpointName=result.outputs["EndpointName"])["EndpointStatus"]
        == "InService"
    )
    statuses = [line.split()[1] for line in printed if line.startswith("  ")]
    assert statuses == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert printed[0].startswith("Creating stack sagemaker-")
    stack = cloudformation.describe_stacks(StackName=result.stack_id)["Stacks"][0]
    assert stack["RoleARN"] == project_env["DEPLOY_CFN_ROLE_ARN"]
    assert {tag["Key"]: tag["Value"] for tag in stack["Tags"]} == {
        "sagemaker:project-name": project_env["SAGEMAKER_PROJECT_NAME"],
        "sagemaker:project-id": project_env["SAGEMAKER_PROJECT_ID"],
        "sagemaker:deployment-stage": "staging",
    }


def test_update_deploys_the_new_package_and_prints_only_new_events(
    project_env: dict[str, str],
    model_registry: Any,
    cloudformation: Any,
    sagemaker: Any,
    repo_root: Path,
    lines: Any,
) -> None:
    printed, out = lines
    first, second = model_registry.register("Approved"), model_registry.register("Approved")
    created = deploy_stack(cloudformation, request_for(repo_root, "staging", first), out, NO_WAIT)
    printed.clear()

    updated = deploy_stack(cloudformation, request_for(repo_root, "staging", second), out, NO_WAIT)

    assert (updated.action, updated.status, updated.stack_id) == (
        "updated",
        "UPDATE_COMPLETE",
        created.stack_id,
    )
    assert updated.outputs["ModelPackageArn"] == second
    model = sagemaker.describe_model(ModelName=updated.outputs["ModelName"])
    assert model["PrimaryContainer"]["ModelPackageName"] == second
    statuses = [line.split()[1] for line in printed if line.startswith("  ")]
    assert statuses == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]  # the creation's events are not repeated


def test_rollback_complete_stack_is_deleted_and_created_again(
    project_env: dict[str, str], model_registry: Any, cloudformation: Any, repo_root: Path, lines: Any
) -> None:
    printed, out = lines
    arn = model_registry.register("Approved")
    failed = deploy_stack(cloudformation, request_for(repo_root, "prod", arn), out, NO_WAIT)
    # moto state manipulation: moto cannot fail a creation into ROLLBACK_COMPLETE (its creates raise instead).
    moto_stack(failed.stack_id).status = "ROLLBACK_COMPLETE"
    printed.clear()

    result = deploy_stack(cloudformation, request_for(repo_root, "prod", arn), out, NO_WAIT)

    assert (result.action, result.status) == ("recreated", "CREATE_COMPLETE")
    assert result.stack_id != failed.stack_id
    old = cloudformation.describe_stacks(StackName=failed.stack_id)["Stacks"][0]
    assert old["StackStatus"] == "DELETE_COMPLETE"
    assert "is ROLLBACK_COMPLETE (a failed first creation cannot be updated); deleting it" in printed[0]
    statuses = [line.split()[1] for line in printed if line.startswith("  ")]
    assert statuses == ["DELETE_IN_PROGRESS", "DELETE_COMPLETE", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"]


def test_update_rollback_failed_is_refused_with_the_fix(
    project_env: dict[str, str], model_registry: Any, cloudformation: Any, repo_root: Path, lines: Any
) -> None:
    _, out = lines
    arn = model_registry.register("Approved")
    created = deploy_stack(cloudformation, request_for(repo_root, "prod", arn), out, NO_WAIT)
    moto_stack(created.stack_id).status = "UPDATE_ROLLBACK_FAILED"  # moto state manipulation
    with pytest.raises(
        DeployerError, match=r"is UPDATE_ROLLBACK_FAILED: run `aws cloudformation continue-update-rollback"
    ):
        deploy_stack(cloudformation, request_for(repo_root, "prod", arn), out, NO_WAIT)


def test_a_running_operation_is_waited_for_before_updating(
    project_env: dict[str, str], model_registry: Any, cloudformation: Any, repo_root: Path, lines: Any
) -> None:
    printed, out = lines
    first, second = model_registry.register("Approved"), model_registry.register("Approved")
    created = deploy_stack(cloudformation, request_for(repo_root, "staging", first), out, NO_WAIT)
    # moto state manipulation: another pipeline's update is still running; it finishes during our first sleep.
    moto_stack(created.stack_id).status = "UPDATE_IN_PROGRESS"
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        moto_stack(created.stack_id).status = "UPDATE_COMPLETE"

    result = deploy_stack(
        cloudformation, request_for(repo_root, "staging", second), out, Waiting(poll_seconds=7, sleep=sleep)
    )

    assert sleeps == [7]
    assert result.action == "updated"
    assert result.outputs["ModelPackageArn"] == second
    assert any("is UPDATE_IN_PROGRESS (another operation); waiting" in line for line in printed)


# --- paths moto cannot produce: botocore Stubber ----------------------------------------------------------

STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/sagemaker-x-p-1-deploy-staging/1111"
T0 = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)


def event(n: int, status: str, resource: str = "Endpoint", reason: str = "") -> dict[str, Any]:
    kind = "AWS::CloudFormation::Stack" if resource == "stack" else f"AWS::SageMaker::{resource}"
    item: dict[str, Any] = {
        "StackId": STACK_ID,
        "EventId": f"event-{n}",
        "StackName": "sagemaker-x-p-1-deploy-staging",
        "LogicalResourceId": resource,
        "ResourceType": kind,
        "Timestamp": T0 + dt.timedelta(seconds=n),
        "ResourceStatus": status,
    }
    if reason:
        item["ResourceStatusReason"] = reason
    return item


def stack(status: str, reason: str = "") -> dict[str, Any]:
    item: dict[str, Any] = {
        "StackId": STACK_ID,
        "StackName": "sagemaker-x-p-1-deploy-staging",
        "CreationTime": T0,
        "StackStatus": status,
        "Outputs": [{"OutputKey": "EndpointName", "OutputValue": "x-p-1-staging"}],
    }
    if reason:
        item["StackStatusReason"] = reason
    return item


def stub_request() -> StackRequest:
    return StackRequest(
        name="sagemaker-x-p-1-deploy-staging",
        template_body="{}",
        parameters={"StageName": "staging"},
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/cfn",
        tags=[{"Key": "sagemaker:project-id", "Value": "p-1"}],
    )


@pytest.fixture
def stubbed(aws: None) -> tuple[Any, Stubber]:
    client = boto3.client("cloudformation", region_name=REGION)
    return client, Stubber(client)


def test_no_updates_is_success(stubbed: tuple[Any, Stubber], lines: Any) -> None:
    """Stubber: moto never says "No updates are to be performed" for this template (see module doc)."""
    client, stubber = stubbed
    printed, out = lines
    stubber.add_response("describe_stacks", {"Stacks": [stack("UPDATE_COMPLETE")]})
    stubber.add_response("describe_stack_events", {"StackEvents": [event(9, "UPDATE_COMPLETE", "stack")]})
    stubber.add_client_error(
        "update_stack",
        service_error_code="ValidationError",
        service_message="No updates are to be performed.",
        http_status_code=400,
    )
    with stubber:
        result = deploy_stack(client, stub_request(), out, NO_WAIT)
    stubber.assert_no_pending_responses()
    assert (result.action, result.changed, result.outputs) == (
        "unchanged",
        False,
        {"EndpointName": "x-p-1-staging"},
    )
    assert printed[-1] == "No changes: the stack already runs this model package with this configuration"


def test_other_update_errors_are_not_swallowed(stubbed: tuple[Any, Stubber], lines: Any) -> None:
    client, stubber = stubbed
    _, out = lines
    stubber.add_response("describe_stacks", {"Stacks": [stack("UPDATE_COMPLETE")]})
    stubber.add_response("describe_stack_events", {"StackEvents": []})
    stubber.add_client_error(
        "update_stack", service_error_code="ValidationError", service_message="Role is invalid"
    )
    with stubber, pytest.raises(Exception, match="Role is invalid"):
        deploy_stack(client, stub_request(), out, NO_WAIT)


def test_failed_update_prints_events_as_they_happen_and_reports_the_failing_ones(
    stubbed: tuple[Any, Stubber], lines: Any
) -> None:
    """Stubber: moto cannot fail an update into UPDATE_ROLLBACK_COMPLETE."""
    client, stubber = stubbed
    printed, out = lines
    stubber.add_response("describe_stacks", {"Stacks": [stack("UPDATE_COMPLETE")]})
    stubber.add_response("describe_stack_events", {"StackEvents": [event(1, "UPDATE_COMPLETE", "stack")]})
    stubber.add_response("update_stack", {"StackId": STACK_ID})
    # poll 1: the update is running
    stubber.add_response("describe_stacks", {"Stacks": [stack("UPDATE_IN_PROGRESS")]})
    stubber.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                event(3, "UPDATE_IN_PROGRESS", "Endpoint"),
                event(2, "UPDATE_IN_PROGRESS", "stack"),
                event(1, "UPDATE_COMPLETE", "stack"),
            ]
        },
    )
    # poll 2: the endpoint failed and the stack rolled back; events arrive over two pages
    stubber.add_response("describe_stacks", {"Stacks": [stack("UPDATE_ROLLBACK_COMPLETE")]})
    stubber.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                event(6, "UPDATE_ROLLBACK_COMPLETE", "stack"),
                event(
                    5,
                    "UPDATE_ROLLBACK_IN_PROGRESS",
                    "stack",
                    "The following resource(s) failed to update: [Endpoint].",
                ),
            ],
            "NextToken": "page-2",
        },
    )
    stubber.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                event(
                    4, "UPDATE_FAILED", "Endpoint", "Failed to launch: insufficient capacity for ml.m5.large"
                ),
                event(3, "UPDATE_IN_PROGRESS", "Endpoint"),
            ]
        },
    )
    sleeps: list[float] = []
    with stubber, pytest.raises(DeployerError) as failure:
        deploy_stack(client, stub_request(), out, Waiting(poll_seconds=5, sleep=sleeps.append))
    stubber.assert_no_pending_responses()

    assert sleeps == [5]
    shown = [line.split()[1] for line in printed if line.startswith("  ")]
    assert shown == [
        "UPDATE_IN_PROGRESS",  # event 2 (stack)
        "UPDATE_IN_PROGRESS",  # event 3 (Endpoint)
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]
    message = str(failure.value)
    assert message.startswith("stack sagemaker-x-p-1-deploy-staging ended in UPDATE_ROLLBACK_COMPLETE")
    assert "failing events:" in message
    assert "insufficient capacity for ml.m5.large" in message
    assert "failed to update: [Endpoint]" in message
    assert "UPDATE_ROLLBACK_COMPLETE " not in message.split("failing events:")[1]


def test_waiter_gives_up_after_the_timeout(stubbed: tuple[Any, Stubber], lines: Any) -> None:
    client, stubber = stubbed
    _, out = lines
    for _ in range(3):
        stubber.add_response("describe_stacks", {"Stacks": [stack("CREATE_IN_PROGRESS")]})
        stubber.add_response("describe_stack_events", {"StackEvents": []})
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with stubber:
        result = stack_events.wait_for_stack(
            client,
            STACK_ID,
            since_event_id=None,
            out=out,
            poll_seconds=30,
            timeout_seconds=60,
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert not result.succeeded
    assert result.status == "CREATE_IN_PROGRESS"
    assert "after 1 min" in result.reason
    assert now[0] == 60


# --- pure parts of the waiter -----------------------------------------------------------------------------


def test_new_events_stops_at_the_last_seen_event_and_returns_oldest_first() -> None:
    pages = [[event(5, "A"), event(4, "B")], [event(3, "C"), event(2, "D"), event(1, "E")]]
    assert [e["EventId"] for e in stack_events.new_events(pages, "event-2")] == [
        "event-3",
        "event-4",
        "event-5",
    ]
    assert [e["EventId"] for e in stack_events.new_events(pages, None)] == [f"event-{n}" for n in range(1, 6)]
    assert stack_events.new_events(pages, "event-5") == []


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        ("CREATE_IN_PROGRESS", False),
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", False),
        ("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", False),
        ("CREATE_COMPLETE", True),
        ("ROLLBACK_COMPLETE", True),
        ("UPDATE_ROLLBACK_FAILED", True),
        ("REVIEW_IN_PROGRESS", False),
        ("IMPORT_ROLLBACK_IN_PROGRESS", False),
        ("IMPORT_ROLLBACK_FAILED", True),
        # A status AWS adds later: never wait forever on a name that does not say it is in progress.
        ("SOMETHING_NEW_COMPLETE", True),
        ("SOMETHING_NEW_IN_PROGRESS", False),
    ],
)
def test_is_terminal(status: str, terminal: bool) -> None:
    assert stack_events.is_terminal(status) is terminal


def test_format_event() -> None:
    line = stack_events.format_event(event(4, "UPDATE_FAILED", "Endpoint", "no capacity"))
    assert line.split()[:4] == ["03:00:04", "UPDATE_FAILED", "AWS::SageMaker::Endpoint", "Endpoint"]
    assert line.endswith("  no capacity")


# --- the command ------------------------------------------------------------------------------------------


def test_deploy_command_deploys_the_resolved_package(
    project_env: dict[str, str],
    model_registry: Any,
    sagemaker: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Any,
) -> None:
    arn = model_registry.register("Approved")
    monkeypatch.setenv("RESOLVED_MODEL_PACKAGE_ARN", arn)

    code = deploy.main(["--stage", "staging", "--poll-seconds", "0", "--report", str(tmp_path / "d.json")])

    assert code == 0
    record = json.loads((tmp_path / "d.json").read_text())
    assert (record["action"], record["model_package_version"]) == ("created", 1)
    endpoint = record["outputs"]["EndpointName"]
    assert sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointStatus"] == "InService"
    printed = capsys.readouterr().out
    assert "Deploying model package version 1 to staging" in printed
    assert f"EndpointName        : {endpoint}" in printed
    # Role ARNs are masked CI/CD variables: nothing gains from printing them.
    assert project_env["MODEL_EXECUTION_ROLE_ARN"] not in printed
    assert project_env["DEPLOY_CFN_ROLE_ARN"] not in printed


def test_deploy_command_refuses_a_package_rejected_since_staging(
    project_env: dict[str, str],
    model_registry: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Any,
) -> None:
    arn = model_registry.register("Approved")
    model_registry.set_status(arn, "Rejected")
    monkeypatch.setenv("RESOLVED_MODEL_PACKAGE_ARN", arn)
    assert deploy.main(["--stage", "prod", "--report", str(tmp_path / "d.json")]) == 1
    assert "approval status is Rejected" in capsys.readouterr().err
    assert not (tmp_path / "d.json").exists()


def test_deploy_command_without_a_package_says_what_to_run(
    project_env: dict[str, str], tmp_path: Path, capsys: Any
) -> None:
    assert deploy.main(["--stage", "prod", "--report", str(tmp_path / "d.json")]) == 1
    assert "run `python -m deployer.resolve` first" in capsys.readouterr().err
