"""Which model package gets deployed: resolution against moto's SageMaker model registry."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto.sagemaker.models import sagemaker_backends

from deployer import registry, resolve
from deployer.errors import DeployerError

ACCOUNT = "123456789012"
REGION = "us-east-1"


def count_list_calls(client: Any) -> list[str]:
    calls: list[str] = []
    client.meta.events.register(
        "before-parameter-build.sagemaker.ListModelPackages",
        lambda **kwargs: calls.append(kwargs["params"].get("NextToken")),
    )
    return calls


# --- newest Approved -------------------------------------------------------------------------------


def test_newest_approved_reads_every_page_of_more_than_100(model_registry: Any, sagemaker: Any) -> None:
    arns = model_registry.register_many(250)
    calls = count_list_calls(sagemaker)

    found = registry.newest_approved(sagemaker, model_registry.group)

    assert found.newest.arn == arns[-1]
    assert found.newest.version == 250
    assert found.count == 250
    assert found.pages == 3
    assert len(calls) == 3
    assert calls[0] is None
    assert calls[1]
    assert calls[2]


def test_never_the_oldest_approved(model_registry: Any, sagemaker: Any) -> None:
    arns = model_registry.register_many(120)
    # The default sort order of ListModelPackages is ascending: the first item is the oldest.
    default_first = sagemaker.list_model_packages(
        ModelPackageGroupName=model_registry.group, ModelApprovalStatus="Approved"
    )
    assert default_first["ModelPackageSummaryList"][0]["ModelPackageArn"] == arns[0]

    assert registry.newest_approved(sagemaker, model_registry.group).newest.arn == arns[-1]


def test_skips_newer_packages_that_are_not_approved(model_registry: Any, sagemaker: Any) -> None:
    approved = model_registry.register_many(130)
    model_registry.register("PendingManualApproval")
    rejected = model_registry.register("Approved")
    model_registry.set_status(rejected, "Rejected")
    model_registry.set_status(approved[-1], "Rejected")  # a rollback: the newest approved one is rejected

    found = registry.newest_approved(sagemaker, model_registry.group)

    assert found.newest.arn == approved[-2]
    assert found.newest.version == 129
    assert found.count == 129


def test_ignores_other_groups(model_registry: Any, sagemaker: Any) -> None:
    mine = model_registry.register("Approved")
    sagemaker.create_model_package_group(ModelPackageGroupName="other-project-p-zzzzzzzzzzzz")
    model_registry.register("Approved", group="other-project-p-zzzzzzzzzzzz")

    assert registry.newest_approved(sagemaker, model_registry.group).newest.arn == mine


def test_no_approved_package_is_a_clear_error(model_registry: Any, sagemaker: Any) -> None:
    model_registry.register("PendingManualApproval")
    with pytest.raises(DeployerError, match=r"no Approved model package in group .*Approve one"):
        registry.newest_approved(sagemaker, model_registry.group)


def test_creation_time_ties_are_broken_by_version(model_registry: Any, sagemaker: Any) -> None:
    arns = model_registry.register_many(5)
    # moto state manipulation: give every package the same creation time, as a fast pipeline could.
    same = datetime(2026, 1, 1, tzinfo=UTC)
    for package in sagemaker_backends[ACCOUNT][REGION].model_packages.values():
        package.creation_time = same
    assert registry.newest_approved(sagemaker, model_registry.group).newest.arn == arns[-1]


def test_newest_is_independent_of_input_order() -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    packages = [
        registry.ModelPackage(f"arn:{v}", "g", v, "Approved", base + timedelta(minutes=v % 7))
        for v in range(1, 30)
    ]
    # Latest creation time is minute 6: versions 6, 13, 20, 27 share it; the highest version wins.
    for seed in range(5):
        shuffled = packages[:]
        random.Random(seed).shuffle(shuffled)
        assert registry.newest(shuffled) is not None
        assert registry.newest(shuffled).version == 27  # type: ignore[union-attr]
    assert registry.newest([]) is None


# --- verifying the package the trigger named ------------------------------------------------------------


def test_verify_accepts_an_approved_package_of_the_group(model_registry: Any, sagemaker: Any) -> None:
    model_registry.register("Approved")
    arn = model_registry.register("Approved")
    package = registry.verify(sagemaker, arn, model_registry.group, "2")
    assert (package.arn, package.version, package.status) == (arn, 2, "Approved")


@pytest.mark.parametrize("status", ["PendingManualApproval", "Rejected"])
def test_verify_refuses_a_package_that_is_not_approved(
    model_registry: Any, sagemaker: Any, status: str
) -> None:
    arn = model_registry.register(status)
    with pytest.raises(
        DeployerError, match=rf"refusing to deploy .*approval status is {status}, not Approved"
    ):
        registry.verify(sagemaker, arn, model_registry.group)


def test_verify_refuses_a_package_of_another_group(model_registry: Any, sagemaker: Any) -> None:
    sagemaker.create_model_package_group(ModelPackageGroupName="someone-else-p-zzzzzzzzzzzz")
    foreign = model_registry.register("Approved", group="someone-else-p-zzzzzzzzzzzz")
    with pytest.raises(DeployerError, match=r"belongs to model package group 'someone-else-p-zzzzzzzzzzzz'"):
        registry.verify(sagemaker, foreign, model_registry.group)


def test_verify_refuses_a_version_mismatch(model_registry: Any, sagemaker: Any) -> None:
    arn = model_registry.register("Approved")
    with pytest.raises(DeployerError, match=r"MODEL_PACKAGE_VERSION=7 but the package is version 1"):
        registry.verify(sagemaker, arn, model_registry.group, "7")


def test_verify_refuses_an_unknown_package(model_registry: Any, sagemaker: Any) -> None:
    missing = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{model_registry.group}/99"
    with pytest.raises(DeployerError, match=r"model package .*/99 was not found"):
        registry.verify(sagemaker, missing, model_registry.group)


# --- the command ---------------------------------------------------------------------------------------


def test_command_writes_the_trigger_package_to_dotenv(
    model_registry: Any,
    project_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Any,
) -> None:
    older = model_registry.register("Approved")
    model_registry.register("Approved")
    monkeypatch.setenv("MODEL_PACKAGE_ARN", older)
    monkeypatch.setenv("MODEL_PACKAGE_VERSION", "1")
    monkeypatch.setenv("DEPLOY_REASON", "rollback")
    monkeypatch.setenv("APPROVAL_EVENT_ID", "0f1e2d3c-event")

    code = resolve.main(["--dotenv", str(tmp_path / "r.env"), "--json", str(tmp_path / "r.json")])

    assert code == 0
    assert (tmp_path / "r.env").read_text().splitlines() == [
        f"RESOLVED_MODEL_PACKAGE_ARN={older}",
        "RESOLVED_MODEL_PACKAGE_VERSION=1",
        "RESOLVED_DEPLOY_REASON=rollback",
    ]
    printed = capsys.readouterr().out
    assert "0f1e2d3c-event" in printed
    assert "version 2 is the newest Approved package; deploying version 1 as requested" in printed


def test_command_without_trigger_takes_the_newest(
    model_registry: Any, project_env: dict[str, str], tmp_path: Path, capsys: Any
) -> None:
    arns = model_registry.register_many(3)
    code = resolve.main(["--dotenv", str(tmp_path / "r.env"), "--json", str(tmp_path / "r.json")])
    assert code == 0
    assert f"RESOLVED_MODEL_PACKAGE_ARN={arns[-1]}" in (tmp_path / "r.env").read_text()
    assert "newest of 3 Approved package(s) (1 page(s) read)" in capsys.readouterr().out


def test_command_refuses_clearly_and_writes_nothing(
    model_registry: Any,
    project_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Any,
) -> None:
    pending = model_registry.register("PendingManualApproval")
    monkeypatch.setenv("MODEL_PACKAGE_ARN", pending)
    code = resolve.main(["--dotenv", str(tmp_path / "r.env"), "--json", str(tmp_path / "r.json")])
    assert code == 1
    assert "ERROR: refusing to deploy" in capsys.readouterr().err
    assert not (tmp_path / "r.env").exists()


def test_command_rejects_an_unknown_deploy_reason(
    model_registry: Any,
    project_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Any,
) -> None:
    model_registry.register("Approved")
    monkeypatch.setenv("DEPLOY_REASON", "because")
    assert resolve.main(["--dotenv", str(tmp_path / "r.env"), "--json", str(tmp_path / "r.json")]) == 1
    assert "DEPLOY_REASON='because' is not one of approved, rollback, manual" in capsys.readouterr().err


def test_missing_variables_are_named(
    aws: None, monkeypatch: pytest.MonkeyPatch, capsys: Any, tmp_path: Path
) -> None:
    monkeypatch.delenv("MODEL_PACKAGE_GROUP_NAME", raising=False)
    assert resolve.main(["--dotenv", str(tmp_path / "r.env"), "--json", str(tmp_path / "r.json")]) == 1
    assert "missing CI/CD variable(s): MODEL_PACKAGE_GROUP_NAME" in capsys.readouterr().err
