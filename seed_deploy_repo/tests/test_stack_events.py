"""The stack watcher's status sets come from CloudFormation's documented StackStatus values."""

from __future__ import annotations

import botocore.session

from deployer import stack_events

# Written out from the API reference (data type Stack, StackStatus), not derived from the module.
EXPECTED_TERMINAL = {
    "CREATE_COMPLETE",
    "CREATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "DELETE_COMPLETE",
    "DELETE_FAILED",
    "UPDATE_COMPLETE",
    "UPDATE_FAILED",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
    "IMPORT_ROLLBACK_FAILED",
}


def test_the_statuses_are_exactly_the_ones_cloudformation_publishes() -> None:
    """botocore ships AWS's own service model: a status AWS adds shows up here on the next boto3 pin."""
    model = botocore.session.get_session().get_service_model("cloudformation")
    assert set(model.shape_for("StackStatus").enum) == stack_events.STACK_STATUSES


def test_terminal_success_and_failure_partition_the_finished_statuses() -> None:
    assert stack_events.TERMINAL == EXPECTED_TERMINAL
    assert {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "DELETE_COMPLETE",
        "IMPORT_COMPLETE",
    } == stack_events.SUCCESS
    assert stack_events.FAILURE == EXPECTED_TERMINAL - stack_events.SUCCESS
    # A rollback that completed is a failure of the operation, not a success.
    assert {
        "ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    } <= stack_events.FAILURE
