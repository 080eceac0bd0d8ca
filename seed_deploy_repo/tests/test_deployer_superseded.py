"""Out-of-order trigger pipelines cannot put an older model back in service (issue 10.7).

GitLab's default resource-group process mode runs waiting jobs in no particular order, so the pipeline of an
earlier approval may deploy after the pipeline of a later one. Expected outcomes are written by hand from the
trigger's rule: the newest Approved package is what staging must serve.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deployer import deploy, promotion, smoke_test, superseded
from deployer.registry import ModelPackage


def _package(arn: str, version: int) -> ModelPackage:
    return ModelPackage(
        arn=arn, group="g", version=version, status="Approved", created=datetime(2026, 12, 3, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("reason", "requested", "expected"),
    [
        ("approved", "arn:v1", "arn:v2"),  # an approval's pipeline overtaken by a later approval
        ("rollback", "arn:v1", "arn:v2"),  # a rollback's pipeline overtaken by a later approval
        ("approved", "arn:v2", None),  # still the newest: deploy it
        ("manual", "arn:v1", None),  # a person asked for v1 on purpose
    ],
)
def test_superseding_follows_the_trigger_rule(reason: str, requested: str, expected: str | None) -> None:
    newer = superseded.superseding(requested, _package("arn:v2", 2), reason)
    assert (newer.arn if newer else None) == expected


def _stack_exists(cloudformation: Any, name: str) -> bool:
    try:
        cloudformation.describe_stacks(StackName=name)
    except ClientError:
        return False
    return True


def test_a_late_approval_pipeline_does_not_deploy_the_older_model(
    project_env: dict[str, str],
    model_registry: Any,
    cloudformation: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Any,
) -> None:
    v1 = model_registry.register("Approved")
    v2 = model_registry.register("Approved")  # approved after v1's pipeline was started
    monkeypatch.setenv("RESOLVED_MODEL_PACKAGE_ARN", v1)
    monkeypatch.setenv("RESOLVED_DEPLOY_REASON", "approved")

    code = deploy.main(["--stage", "staging", "--poll-seconds", "0", "--report", str(tmp_path / "d.json")])

    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "skipped" in printed
    assert "version 2" in printed
    assert json.loads((tmp_path / "d.json").read_text())["superseded_by"] == v2
    stack = f"sagemaker-{project_env['SAGEMAKER_PROJECT_NAME']}-{project_env['SAGEMAKER_PROJECT_ID']}-deploy-staging"
    assert not _stack_exists(cloudformation, stack)


def test_a_manual_pipeline_deploys_the_older_model_it_was_asked_for(
    project_env: dict[str, str],
    model_registry: Any,
    cloudformation: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    v1 = model_registry.register("Approved")
    model_registry.register("Approved")
    monkeypatch.setenv("RESOLVED_MODEL_PACKAGE_ARN", v1)
    monkeypatch.setenv("RESOLVED_DEPLOY_REASON", "manual")

    assert (
        deploy.main(["--stage", "staging", "--poll-seconds", "0", "--report", str(tmp_path / "d.json")]) == 0
    )

    assert json.loads((tmp_path / "d.json").read_text())["model_package_arn"] == v1
    stack = f"sagemaker-{project_env['SAGEMAKER_PROJECT_NAME']}-{project_env['SAGEMAKER_PROJECT_ID']}-deploy-staging"
    assert _stack_exists(cloudformation, stack)


def test_an_overtaken_smoke_test_stops_and_promotes_nothing(
    project_env: dict[str, str],
    model_registry: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: Any,
) -> None:
    v1 = model_registry.register("Approved")
    monkeypatch.setenv("RESOLVED_MODEL_PACKAGE_ARN", v1)
    monkeypatch.setenv("RESOLVED_MODEL_PACKAGE_VERSION", "1")
    monkeypatch.setenv("RESOLVED_DEPLOY_REASON", "approved")
    assert (
        deploy.main(["--stage", "staging", "--poll-seconds", "0", "--report", str(tmp_path / "d.json")]) == 0
    )
    v2 = model_registry.register("Approved")  # approved while v1's pipeline waited for its test job
    capsys.readouterr()

    report = tmp_path / "smoke-test-staging.json"
    assert smoke_test.main(["--stage", "staging", "--report", str(report)]) == 0
    assert json.loads(report.read_text())["superseded_by"] == v2
    assert promotion.main(report) == 0

    printed = capsys.readouterr().out
    assert "smoke test of staging: skipped" in printed
    assert "Nothing to promote from this pipeline" in printed
    assert "prod-v1" not in printed  # no tag offered for the overtaken version
