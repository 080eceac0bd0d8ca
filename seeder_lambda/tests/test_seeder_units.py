"""Unit tests of the seeder's pure logic: properties, names, variables, seed archives, retry, responses."""

from __future__ import annotations

import base64
import json
import logging
import zipfile
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from seeder_testkit import BUILD_EXECUTABLE, BUILD_SEED, make_zip

from seeder import cfn_response, names, redact, seed_archive
from seeder.deadline import Deadline
from seeder.errors import DeadlineExceededError, SeederError
from seeder.properties import DeletionPolicy, parse_properties
from seeder.retry import backoff_delay, retry_after_seconds
from seeder.variables import Variable, VariableChange, can_mask, desired_variables, plan_changes

VALID = {
    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:seeder",
    "ProjectName": "churn",
    "ProjectId": "p-abcdefghijkl",
    "SeedCodeBucket": "bucket",
    "SeedBuildRepoKey": "b.zip",
    "SeedDeployRepoKey": "d.zip",
    "TriggerSecretName": "sagemaker-gitlab/churn-p-abcdefghijkl/deploy-trigger",
    "DeployStackNames": [
        "sagemaker-churn-p-abcdefghijkl-deploy-staging",
        "sagemaker-churn-p-abcdefghijkl-deploy-prod",
    ],
    "BuildRepoVariables": {"AWS_REGION": "us-east-1"},
    "DeployRepoVariables": {"STAGING_ROLE_ARN": "arn:aws:iam::123456789012:role/staging"},
}


# --- properties -------------------------------------------------------------------------------------


def test_properties_parse_normalises_and_defaults_to_archive() -> None:
    props = parse_properties(VALID)
    assert props.deletion_policy is DeletionPolicy.ARCHIVE
    assert props.deploy_stack_names == (
        "sagemaker-churn-p-abcdefghijkl-deploy-staging",
        "sagemaker-churn-p-abcdefghijkl-deploy-prod",
    )
    assert props.variables("deploy") == {"STAGING_ROLE_ARN": "arn:aws:iam::123456789012:role/staging"}
    assert props.seed_key("build") == "b.zip"


@pytest.mark.parametrize(
    ("given", "expected"), [("delete", DeletionPolicy.DELETE), ("Retain", DeletionPolicy.RETAIN)]
)
def test_properties_policy_is_case_insensitive(given: str, expected: DeletionPolicy) -> None:
    assert parse_properties({**VALID, "RepositoryDeletionPolicy": given}).deletion_policy is expected


def test_properties_accepts_comma_separated_stack_names() -> None:
    props = parse_properties({**VALID, "DeployStackNames": "a, b,"})
    assert props.deploy_stack_names == ("a", "b")


def test_properties_report_every_problem_at_once() -> None:
    bad = {
        **VALID,
        "ProjectName": "9starts-with-digit",
        "ProjectId": "abcdefghijkl",
        "RepositoryDeletionPolicy": "Shred",
        "BuildRepoVariables": {"BAD KEY": "x", "N": 5},
    }
    del bad["SeedCodeBucket"]
    with pytest.raises(SeederError) as err:
        parse_properties(bad)
    text = str(err.value)
    assert text.startswith("invalid properties: ")
    for fragment in (
        "ProjectName '9starts-with-digit' is invalid",
        "ProjectId 'abcdefghijkl' is invalid",
        "RepositoryDeletionPolicy 'Shred' must be one of Retain, Archive, Delete",
        "BuildRepoVariables key 'BAD KEY' is not a valid CI/CD variable name",
        "BuildRepoVariables.N must be a string",
        "SeedCodeBucket is required",
    ):
        assert fragment in text


def test_properties_accept_a_32_character_project_name() -> None:
    name = "a" + "-b" * 15 + "c"
    assert len(name) == 32
    assert parse_properties({**VALID, "ProjectName": name}).project_name == name
    with pytest.raises(SeederError, match="ProjectName"):
        parse_properties({**VALID, "ProjectName": name + "d"})


# --- names ------------------------------------------------------------------------------------------


def test_names_follow_the_contract() -> None:
    assert names.repo_name("churn", "p-abc", names.BUILD) == "churn-p-abc-model-build"
    assert (
        names.repo_full_path("ml/team", "churn", "p-abc", names.DEPLOY) == "ml/team/churn-p-abc-model-deploy"
    )
    assert names.physical_id("ml/team", "churn", "p-abc") == "gitlab:ml/team/churn-p-abc"
    assert names.ownership_marker("p-abc") in names.repo_description("churn", "p-abc", names.BUILD)
    assert names.ownership_marker("p-abc") in names.trigger_description("p-abc")
    assert names.project_tags("churn", "p-abc") == [
        {"Key": "sagemaker:project-name", "Value": "churn"},
        {"Key": "sagemaker:project-id", "Value": "p-abc"},
    ]


# --- variables --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "maskable"),
    [
        ("arn:aws:iam::123456789012:role/churn-build", True),
        ("us-east-1", True),
        ("short", False),
        ("has space in it", False),
        ("two\nlines-here", False),
        ("pipe|character", False),
        # GitLab anchors with \A...\z: a trailing newline is refused there, so it must not pass here
        # (Python's "$" matches before a final newline; issue 10.6).
        ("abcdefgh\n", False),
        ("\nabcdefgh", False),
    ],
)
def test_can_mask_follows_gitlab_rules(value: str, maskable: bool) -> None:
    assert can_mask(value) is maskable


def test_desired_variables_mask_role_arns_and_protect_all() -> None:
    got = desired_variables(
        {
            "AWS_REGION": "us-east-1",
            "BUILD_ROLE_ARN": "arn:aws:iam::123456789012:role/b",
            "ODD_ROLE_ARN": "not maskable!",
        }
    )
    assert got["AWS_REGION"] == Variable("AWS_REGION", "us-east-1", masked=False)
    assert got["BUILD_ROLE_ARN"].masked is True
    assert got["ODD_ROLE_ARN"].masked is False  # GitLab would reject masking it
    assert all(v.protected and v.raw for v in got.values())


def test_plan_changes_creates_updates_and_deletes_only_managed() -> None:
    current = {
        "KEEP": Variable("KEEP", "1", masked=False),
        "CHANGE": Variable("CHANGE", "old", masked=False),
        "DROPPED": Variable("DROPPED", "x", masked=False),
        "HUMAN": Variable("HUMAN", "mine", masked=False),
        "UNPROTECTED": Variable("UNPROTECTED", "v", masked=False, protected=False),
    }
    desired = desired_variables({"KEEP": "1", "CHANGE": "new", "NEW": "n", "UNPROTECTED": "v"})
    changes = plan_changes(current, desired, previously_managed={"KEEP", "CHANGE", "DROPPED", "GONE_ALREADY"})
    assert changes == [
        VariableChange("update", "CHANGE", desired["CHANGE"]),
        VariableChange("create", "NEW", desired["NEW"]),
        VariableChange("update", "UNPROTECTED", desired["UNPROTECTED"]),
        VariableChange("delete", "DROPPED"),
    ]


# --- seed archives ----------------------------------------------------------------------------------


def test_seed_archive_actions_are_base64_and_keep_exec_bit() -> None:
    files = seed_archive.read_files(make_zip(BUILD_SEED, BUILD_EXECUTABLE), "s3://b/k")
    actions = {a["file_path"]: a for a in seed_archive.commit_actions(files)}
    assert set(actions) == set(BUILD_SEED)
    for path, content in BUILD_SEED.items():
        assert base64.b64decode(actions[path]["content"]) == content
        assert actions[path]["encoding"] == "base64"
        assert actions[path]["action"] == "create"
        assert actions[path]["execute_filemode"] is (path in BUILD_EXECUTABLE)


def test_seed_archive_skips_directory_entries() -> None:
    data = make_zip({"a/b.txt": b"x"})
    import io

    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("a/", b"")
    assert [f.path for f in seed_archive.read_files(buffer.getvalue(), "s3://b/k")] == ["a/b.txt"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"not a zip", "is not a zip file"),
        (make_zip({}), "is empty"),
        (make_zip({"../evil": b"x"}), "unsafe path"),
        (make_zip({"/etc/passwd": b"x"}), "unsafe path"),
    ],
)
def test_seed_archive_rejects_bad_archives(data: bytes, problem: str) -> None:
    with pytest.raises(SeederError, match=problem) as err:
        seed_archive.read_files(data, "s3://bucket/key.zip")
    assert "s3://bucket/key.zip" in str(err.value)


def test_seed_archive_rejects_symlinks() -> None:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "target")
    with pytest.raises(SeederError, match="symlink"):
        seed_archive.read_files(buffer.getvalue(), "s3://b/k")


# --- retry ------------------------------------------------------------------------------------------


def test_backoff_is_full_jitter_capped() -> None:
    assert backoff_delay(0, base=0.5, cap=8.0, rand=lambda: 1.0) == 0.5
    assert backoff_delay(3, base=0.5, cap=8.0, rand=lambda: 1.0) == 4.0
    assert backoff_delay(10, base=0.5, cap=8.0, rand=lambda: 1.0) == 8.0
    assert backoff_delay(10, base=0.5, cap=8.0, rand=lambda: 0.25) == 2.0


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(later, now=now.timestamp()) == pytest.approx(30.0)
    assert retry_after_seconds(format_datetime(now, usegmt=True), now=now.timestamp() + 5) == 0.0


# --- deadline ---------------------------------------------------------------------------------------


def test_deadline_keeps_a_reserve_and_releases_it() -> None:
    clock = [100.0]
    deadline = Deadline(60, reserve=20, clock=lambda: clock[0])
    assert deadline.remaining() == 40
    clock[0] = 141.0
    with pytest.raises(DeadlineExceededError, match="while committing"):
        deadline.check("committing")
    deadline.release_reserve(keep=5)
    assert deadline.remaining() == 14
    assert deadline.hard_remaining() == 19


# --- responses and redaction ------------------------------------------------------------------------

EVENT: dict[str, Any] = {
    "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
    "RequestId": "r-1",
    "LogicalResourceId": "GitLabRepositories",
    "ResponseURL": "http://unused",
}


def test_response_body_follows_the_custom_resource_spec() -> None:
    body = json.loads(cfn_response.build_body(EVENT, "SUCCESS", "", "gitlab:g/n-i", {"BuildRepoId": "1"}))
    assert body == {
        "Status": "SUCCESS",
        "Reason": "",
        "PhysicalResourceId": "gitlab:g/n-i",
        "StackId": EVENT["StackId"],
        "RequestId": "r-1",
        "LogicalResourceId": "GitLabRepositories",
        "NoEcho": False,
        "Data": {"BuildRepoId": "1"},
    }


def test_response_body_fits_4096_bytes_even_with_a_huge_escaped_reason() -> None:
    reason = 'quote " and newline \n ' * 1000
    body = cfn_response.build_body(EVENT, "FAILED", reason, "gitlab:g/n-i")
    assert len(body) <= cfn_response.MAX_BODY_BYTES
    parsed = json.loads(body)
    assert parsed["Reason"].startswith('quote " and newline')
    assert parsed["Reason"].endswith(" ...")


def test_response_reason_is_redacted() -> None:
    redact.forget_all()
    redact.register("glpat-SECRETSECRETSECRET")
    try:
        body = cfn_response.build_body(EVENT, "FAILED", "boom glpat-SECRETSECRETSECRET boom", "x")
    finally:
        redact.forget_all()
    assert b"glpat-SECRET" not in body
    assert json.loads(body)["Reason"] == "boom *** boom"


def test_redaction_covers_records_of_every_logger(caplog: pytest.LogCaptureFixture) -> None:
    redact.install()
    redact.register("glptt-0123456789abcdef")
    caplog.set_level(logging.DEBUG)
    try:
        logging.getLogger("urllib3.connectionpool").debug("body %s", {"token": "glptt-0123456789abcdef"})
        try:
            raise ValueError("bad glptt-0123456789abcdef")
        except ValueError:
            logging.getLogger("other").exception("failed")
    finally:
        redact.forget_all()
    assert "glptt-0123456789abcdef" not in caplog.text
    assert "'token': '***'" in caplog.text
    assert "ValueError: bad ***" in caplog.text
