"""The templates pass cfn-lint, checkov and taskcat lint as committed and as rendered into dist/."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-tools" / "checkov" / "bin" / "checkov"
TASKCAT = ROOT / ".venv-tools" / "taskcat" / "bin" / "taskcat"
COMMITTED = [ROOT / "product" / "template.yaml", ROOT / "product" / "platform.yaml"]


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--format", "parseable", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: f"committed-{path.name}")
def test_cfn_lint_has_no_findings_on_committed_templates(path: Path) -> None:
    result = cfn_lint(path)
    assert result.stdout.strip() == "", result.stdout + result.stderr
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", ["template.yaml", "platform.yaml"])
def test_cfn_lint_has_no_findings_on_rendered_templates(rendered_dir: Path, name: str) -> None:
    result = cfn_lint(rendered_dir / name)
    assert result.stdout.strip() == "", result.stdout + result.stderr
    assert result.returncode == 0, result.stderr


def test_cfn_lint_reports_a_broken_template(tmp_path: Path) -> None:
    # The lint tests above would pass vacuously if cfn-lint could not see findings: prove it can.
    broken = tmp_path / "broken.yaml"
    text = (ROOT / "product" / "template.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("Runtime: python3.13", "Runtime: python2.1", 1), encoding="utf-8")
    result = cfn_lint(broken)
    assert result.returncode != 0
    assert "python2.1" in result.stdout


def checkov(path: Path) -> dict[str, object]:
    result = subprocess.run(
        [
            str(CHECKOV),
            "--file",
            str(path),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    assert isinstance(report, dict), result.stderr
    return report


@pytest.mark.parametrize("path", COMMITTED, ids=lambda path: path.name)
def test_checkov_has_no_failed_checks_and_every_skip_is_justified(path: Path) -> None:
    report = checkov(path)
    results = report["results"]
    assert isinstance(results, dict)
    failed = [(check["check_id"], check["resource"]) for check in results["failed_checks"]]
    assert failed == []
    assert results["parsing_errors"] == []
    assert len(results["passed_checks"]) > 10  # checkov really looked at the resources
    for skipped in results["skipped_checks"]:
        comment = skipped["check_result"].get("suppress_comment", "")
        assert len(comment) > 40, (
            f"{skipped['check_id']} on {skipped['resource']} is skipped without a reason"
        )


def test_taskcat_lint_passes() -> None:
    result = subprocess.run(
        [str(TASKCAT), "-q", "lint"], cwd=ROOT, capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout


def test_taskcat_config_covers_both_templates() -> None:
    import yaml

    config = yaml.safe_load((ROOT / ".taskcat.yml").read_text(encoding="utf-8"))
    templates = {test["template"] for test in config["tests"].values()}
    assert templates == {"product/template.yaml", "product/platform.yaml"}
    project = config["tests"]["project"]["parameters"]
    # Studio passes only these two; a real-account run must not need anything else.
    assert {"SageMakerProjectName", "SageMakerProjectId"} <= set(project)
