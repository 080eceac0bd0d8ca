"""Pure parts of the sandbox: pipeline expressions, ID tokens, data loading, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox import data as data_module
from sandbox import oidc
from sandbox.local_aws import pipeline_expressions as px
from sandbox.local_aws.pipeline_executor import dependencies, flatten_steps, map_container_paths
from sandbox.report import Report, Stage, timeline


def _scope() -> px.Scope:
    scope = px.Scope(parameters={"Threshold": 6.0, "Name": "x"}, execution={"PipelineExecutionId": "abc123"})
    scope.steps["Prep"] = {
        "ProcessingOutputConfig": {
            "Outputs": [{"OutputName": "train", "S3Output": {"S3Uri": "s3://b/train"}}]
        }
    }
    scope.property_files["Eval.Report"] = {"regression_metrics": {"mse": {"value": 4.5}}, "items": [1, 2]}
    return scope


def test_get_join_and_jsonget_resolve_like_sagemaker() -> None:
    scope = _scope()
    value = {
        "Std:Join": {
            "On": "/",
            "Values": [
                {"Get": "Steps.Prep.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"},
                {"Get": "Execution.PipelineExecutionId"},
                {
                    "Std:JsonGet": {
                        "PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"},
                        "Path": "items[1]",
                    }
                },
            ],
        }
    }
    assert px.resolve(value, scope) == "s3://b/train/abc123/2"
    with pytest.raises(px.ExpressionError, match="step Nope has not run"):
        px.resolve({"Get": "Steps.Nope.X"}, scope)


def test_conditions_compare_numbers_and_combine() -> None:
    scope = _scope()
    mse = {
        "Std:JsonGet": {
            "PropertyFile": {"Get": "Steps.Eval.PropertyFiles.Report"},
            "Path": "regression_metrics.mse.value",
        }
    }
    threshold = {"Get": "Parameters.Threshold"}
    assert px.condition({"Type": "LessThanOrEqualTo", "LeftValue": mse, "RightValue": threshold}, scope)
    assert not px.condition({"Type": "GreaterThan", "LeftValue": mse, "RightValue": threshold}, scope)
    assert px.condition(
        {"Type": "Not", "Expression": {"Type": "Equals", "LeftValue": 1, "RightValue": 2}}, scope
    )
    assert px.condition({"Type": "In", "QueryValue": {"Get": "Parameters.Name"}, "Values": ["y", "x"]}, scope)


def test_parameters_are_typed_and_unknown_ones_rejected() -> None:
    definition = {
        "Parameters": [{"Name": "N", "Type": "Integer", "DefaultValue": 1}, {"Name": "F", "Type": "Float"}]
    }
    assert px.parameter_values(definition, [{"Name": "F", "Value": "0.5"}]) == {"N": 1, "F": 0.5}
    with pytest.raises(px.ExpressionError, match="without a value: F"):
        px.parameter_values(definition, [])
    with pytest.raises(px.ExpressionError, match="Parameter Z is not defined"):
        px.parameter_values(definition, [{"Name": "Z", "Value": "1"}])


def test_branch_steps_depend_on_their_condition_and_data_references() -> None:
    definition = {
        "Steps": [
            {"Name": "A", "Type": "Processing", "Arguments": {}},
            {
                "Name": "Gate",
                "Type": "Condition",
                "Arguments": {
                    "Conditions": [{"Get": "Steps.A.X"}],
                    "IfSteps": [
                        {"Name": "R", "Type": "RegisterModel", "Arguments": {"M": {"Get": "Steps.A.Y"}}}
                    ],
                    "ElseSteps": [],
                },
            },
        ]
    }
    steps, owner = flatten_steps(definition)
    names = {s["Name"] for s in steps}
    assert owner == {"R": "Gate"}
    assert dependencies(steps[1], owner, names) == {"A"}
    assert dependencies(steps[2], owner, names) == {"A", "Gate"}


def test_container_paths_map_to_their_host_dirs_longest_first(tmp_path) -> None:
    mapping = {
        "/opt/ml/processing/input": tmp_path / "in",
        "/opt/ml/processing/input/code": tmp_path / "code",
    }
    assert map_container_paths("/opt/ml/processing/input/code/x.py", mapping) == f"{tmp_path}/code/x.py"
    assert map_container_paths("/opt/ml/processing/input", mapping) == f"{tmp_path}/in"
    assert map_container_paths("/opt/ml/processing/inputs", mapping) == "/opt/ml/processing/inputs"


def test_id_token_has_gitlabs_claims_and_a_verifiable_signature() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    identity = oidc.JobIdentity("http://gl", "ml/team/p-build", 7, "ml/team", 3, "main", 11, "push", 12)
    signer = oidc.Signer()
    token = signer.sign(oidc.claims(identity, "sts.amazonaws.com"))
    claims = oidc.decode_unverified(token)
    assert claims["sub"] == "project_path:ml/team/p-build:ref_type:branch:ref:main"
    assert claims["aud"] == "sts.amazonaws.com"
    assert claims["exp"] > claims["iat"]
    head, body, signature = token.split(".")
    import base64

    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    signer._key.public_key().verify(raw, f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())


def test_data_file_is_validated_with_an_actionable_message(tmp_path, monkeypatch) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sex,length\nM,1\n")
    with pytest.raises(
        data_module.DataError, match="line 1 has 2 columns; expected the 9 UCI Abalone columns"
    ):
        data_module.load(str(bad), print)
    monkeypatch.setenv("ABALONE_CSV", str(tmp_path / "missing.csv"))
    with pytest.raises(data_module.DataError, match=r"ABALONE_CSV=.*missing\.csv: no such file"):
        data_module.load(None, print)


def test_offline_falls_back_to_synthetic_data_loudly(monkeypatch) -> None:
    import requests

    def offline(*args, **kwargs):
        raise requests.ConnectionError("offline")

    monkeypatch.delenv("ABALONE_CSV", raising=False)
    monkeypatch.setattr(requests, "get", offline)
    messages: list[str] = []
    dataset = data_module.load(None, messages.append)
    assert dataset.synthetic
    assert dataset.rows == 4177
    assert "SYNTHETIC" in messages[0]
    assert data_module.validate(dataset.content, "x") == 4177


def test_report_json_and_timeline(tmp_path) -> None:
    report = Report()
    report.stages = [
        Stage("build", "4 build", "passed", 12.5, {"test_mse": 4.4321}),
        Stage("staging", "6 staging", "failed", 3.0, error="smoke test failed"),
    ]
    report.finish()
    path = tmp_path / "r.json"
    report.write(path)
    document = json.loads(path.read_text())
    assert document["schema"] == "sagemaker-gitlab-sandbox-report/1"
    assert document["result"] == "failed"
    assert document["stages"][0]["facts"] == {"test_mse": 4.4321}
    text = timeline(report)
    assert "[ok  ] 4 build" in text
    assert "test_mse: 4.432" in text
    assert "error: smoke test failed" in text


def test_the_jobs_pip_shim_is_the_checked_module_and_runs_uv(tmp_path: Path) -> None:
    """job_python.job_python_env installs sandbox/job_pip.py as the jobs' pip (issue 13: no code in strings)."""
    import subprocess

    from sandbox.job_python import job_python_env

    target = job_python_env(tmp_path)
    shim = next((target / "lib").glob("python3*/site-packages/pip/__main__.py"))
    assert shim.read_text() == (Path(__file__).parents[1] / "sandbox" / "job_pip.py").read_text()
    refused = subprocess.run([str(target / "bin" / "pip"), "download", "x"], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "sandbox pip supports: install, uninstall, freeze, list, show" in refused.stderr
    listed = subprocess.run([str(target / "bin" / "pip"), "list"], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
