"""Parsing and validation of EventBridge events (pure)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from trigger.events import ApprovalStatus, Drop, PackageStateChange, parse_event

EVENTS_DIR = Path(__file__).parent / "events"
CASE_NAMES = sorted(p.stem for p in EVENTS_DIR.glob("*.json"))
GROUP = "abalone-p-abcdefghijkl"


def load_case(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / f"{name}.json").read_text())


@pytest.mark.parametrize("name", CASE_NAMES)
def test_corpus_events_are_dropped_exactly_when_expected(name: str) -> None:
    case = load_case(name)
    parsed = parse_event(case["event"], GROUP)
    assert isinstance(parsed, Drop) == (case["expect"]["action"] == "dropped"), parsed


def test_documented_approval_parses_into_its_fields() -> None:
    event = load_case("approved_update")["event"]
    parsed = parse_event(event, GROUP)
    assert parsed == PackageStateChange(
        event_id="0d6d9f3c-6b0a-4a52-9d0c-1f1e2a3b4c01",
        group_name=GROUP,
        package_arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abcdefghijkl/2",
        version=2,
        status=ApprovalStatus.APPROVED,
        updated_fields=("ModelApprovalStatus",),
        previous_status=None,
        last_modified_time="2026-11-20T17:00:14Z",
    )


def test_creation_event_has_no_updated_fields() -> None:
    parsed = parse_event(load_case("pending_registration")["event"], GROUP)
    assert isinstance(parsed, PackageStateChange)
    assert parsed.updated_fields is None
    assert parsed.status is ApprovalStatus.PENDING


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("other_group", "'churn-p-zyxwvutsrqpo' is not this project's"),
        ("other_detail_type", "detail-type is 'SageMaker Model State Change'"),
        ("other_source", "source is 'com.example.ml'"),
        ("missing_package_arn", "detail.ModelPackageArn is missing"),
        ("missing_approval_status", "detail.ModelApprovalStatus is missing"),
        ("missing_event_id", "no string 'id'"),
        ("missing_detail", "'detail' is a NoneType"),
        ("wrong_type_version_string", "detail.ModelPackageVersion is a str ('1')"),
        ("wrong_type_version_bool", "detail.ModelPackageVersion is a bool"),
        ("wrong_value_status", "detail.ModelApprovalStatus is a str ('APPROVED')"),
        ("wrong_type_detail_list", "'detail' is a list"),
        ("wrong_type_group", "ModelPackageGroupName is a int"),
        ("arn_version_mismatch", "does not name version 7"),
        ("wrong_type_updated_fields", "UpdatedModelPackageFields is a str"),
    ],
)
def test_drop_reasons_name_the_problem(name: str, fragment: str) -> None:
    parsed = parse_event(load_case(name)["event"], GROUP)
    assert isinstance(parsed, Drop)
    assert fragment in parsed.reason


@pytest.mark.parametrize("event", [None, "text", 3, [], {"detail-type": None}])
def test_non_events_are_dropped(event: object) -> None:
    assert isinstance(parse_event(event, GROUP), Drop)


def test_arn_of_another_group_is_dropped_even_when_group_field_matches() -> None:
    event = copy.deepcopy(load_case("approved_update")["event"])
    event["detail"]["ModelPackageArn"] = event["detail"]["ModelPackageArn"].replace(GROUP, "churn-p-1")
    parsed = parse_event(event, GROUP)
    assert isinstance(parsed, Drop)
    assert "does not name version 2" in parsed.reason


def test_gov_cloud_partition_arn_is_accepted() -> None:
    event = copy.deepcopy(load_case("approved_update")["event"])
    event["detail"]["ModelPackageArn"] = event["detail"]["ModelPackageArn"].replace(
        "arn:aws:sagemaker:us-east-1", "arn:aws-us-gov:sagemaker:us-gov-west-1"
    )
    assert isinstance(parse_event(event, GROUP), PackageStateChange)


def test_non_package_arn_is_dropped() -> None:
    event = copy.deepcopy(load_case("approved_update")["event"])
    event["detail"]["ModelPackageArn"] = "arn:aws:sagemaker:us-east-1:123456789012:model/abalone"
    parsed = parse_event(event, GROUP)
    assert isinstance(parsed, Drop)
    assert "the ARN of a versioned model package" in parsed.reason


def test_previous_status_of_wrong_type_is_dropped() -> None:
    event = copy.deepcopy(load_case("approved_update")["event"])
    event["detail"]["previousModelApprovalStatus"] = ["Approved"]
    parsed = parse_event(event, GROUP)
    assert isinstance(parsed, Drop)
    assert "previousModelApprovalStatus is a list" in parsed.reason


def test_seen_events_forget_the_oldest_beyond_capacity() -> None:
    from trigger.dedupe import SeenEvents

    seen = SeenEvents(capacity=2)
    for event_id in ("a", "b", "c"):
        seen.remember(event_id)
    assert ("a" in seen, "b" in seen, "c" in seen) == (False, True, True)
