"""Evaluation: metrics against hand-computed values, the report schema, both model formats."""

from __future__ import annotations

import io
import json
import math
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from pipelines.abalone import evaluate


def _constant_booster(value: float, n_features: int = 3) -> xgb.Booster:
    """A Booster with no trees: it predicts its base score, so expected metrics are hand-computable."""
    features = np.zeros((4, n_features))
    return xgb.train(
        {"base_score": value, "objective": "reg:squarederror"}, xgb.DMatrix(features, label=[value] * 4), 0
    )


def _write_tar(model_dir: Path, member_name: str, payload: bytes) -> Path:
    model_dir.mkdir(parents=True, exist_ok=True)
    archive = model_dir / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo(member_name)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return archive


def _saved_model_bytes(booster: xgb.Booster, tmp_path: Path, suffix: str = ".ubj") -> bytes:
    path = tmp_path / f"saved{suffix}"
    booster.save_model(str(path))
    return path.read_bytes()


def _write_test_csv(test_dir: Path, targets: list[float], n_features: int = 3) -> None:
    test_dir.mkdir(parents=True, exist_ok=True)
    lines = [",".join([str(t), *["0.5"] * n_features]) for t in targets]
    (test_dir / "test.csv").write_text("\n".join(lines) + "\n")


def test_metrics_match_hand_computed_values() -> None:
    # errors e = y - p = [1, 0, -2]; e² = [1, 0, 4]; |e| = [1, 0, 2]; var(y) = 8/3.
    metrics = evaluate.regression_metrics([3, 5, 7], [2, 5, 9])
    assert metrics["mse"]["value"] == pytest.approx(5 / 3)
    assert metrics["mse"]["standard_deviation"] == pytest.approx(math.sqrt(26) / 3)
    assert metrics["rmse"]["value"] == pytest.approx(math.sqrt(5 / 3))
    assert metrics["rmse"]["standard_deviation"] == pytest.approx(math.sqrt(14) / 3)
    assert metrics["mae"]["value"] == pytest.approx(1.0)
    assert metrics["mae"]["standard_deviation"] == pytest.approx(math.sqrt(2 / 3))
    assert metrics["r2"]["value"] == pytest.approx(0.375)
    assert metrics["r2"]["standard_deviation"] == pytest.approx(math.sqrt(26) / 8)


def test_perfect_predictions_and_constant_targets_stay_valid_json() -> None:
    perfect = evaluate.regression_metrics([1, 2, 3], [1, 2, 3])
    assert perfect["mse"]["value"] == 0.0
    assert perfect["r2"]["value"] == pytest.approx(1.0)
    constant = evaluate.regression_metrics([4, 4], [3, 5])
    assert constant["r2"] == {"value": 0.0, "standard_deviation": 0.0}
    json.dumps(constant, allow_nan=False)


def test_mismatched_or_empty_inputs_are_refused() -> None:
    with pytest.raises(evaluate.EvaluationError, match="equally many"):
        evaluate.regression_metrics([1, 2], [1])
    with pytest.raises(evaluate.EvaluationError, match="equally many"):
        evaluate.regression_metrics([], [])


def test_report_schema_is_the_sagemaker_regression_format() -> None:
    report = evaluate.build_report([3, 5, 7], [2, 5, 9])
    assert set(report) == {"regression_metrics", "n_samples"}
    assert report["n_samples"] == 3
    assert set(report["regression_metrics"]) == {"mse", "rmse", "mae", "r2"}
    for metric in report["regression_metrics"].values():
        assert set(metric) == {"value", "standard_deviation"}
        assert all(isinstance(v, float) for v in metric.values())


@pytest.mark.parametrize("model_format", ["ubj", "json", "pickle"])
def test_main_reads_model_tar_and_writes_report(tmp_path: Path, model_format: str) -> None:
    booster = _constant_booster(5.0)
    payload = (
        pickle.dumps(booster) if model_format == "pickle" else _saved_model_bytes(booster, tmp_path, f".{model_format}")
    )
    _write_tar(tmp_path / "model", evaluate.MODEL_MEMBER, payload)
    _write_test_csv(tmp_path / "test", [3, 5, 7])

    code = evaluate.main(
        [
            "--model-dir",
            str(tmp_path / "model"),
            "--test-dir",
            str(tmp_path / "test"),
            "--output-dir",
            str(tmp_path / "evaluation"),
        ]
    )

    assert code == 0
    report = json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())
    # Predictions are all 5: errors [-2, 0, 2] → MSE 8/3, MAE 4/3, R² 0.
    assert report["regression_metrics"]["mse"]["value"] == pytest.approx(8 / 3, rel=1e-6)
    assert report["regression_metrics"]["mae"]["value"] == pytest.approx(4 / 3, rel=1e-6)
    assert report["regression_metrics"]["r2"]["value"] == pytest.approx(0.0, abs=1e-6)
    assert report["n_samples"] == 3


def test_json_path_used_by_the_quality_gate_exists_in_the_written_report(tmp_path: Path) -> None:
    _write_tar(tmp_path / "model", evaluate.MODEL_MEMBER, _saved_model_bytes(_constant_booster(5.0), tmp_path))
    _write_test_csv(tmp_path / "test", [4, 6])
    evaluate.main(
        ["--model-dir", str(tmp_path / "model"), "--test-dir", str(tmp_path / "test"), "--output-dir", str(tmp_path)]
    )
    node = json.loads((tmp_path / "evaluation.json").read_text())
    for key in evaluate.MSE_JSON_PATH.split("."):
        node = node[key]
    assert node == pytest.approx(1.0)


def test_a_bare_model_file_is_accepted(tmp_path: Path) -> None:
    booster = _constant_booster(2.0)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / evaluate.MODEL_MEMBER).write_bytes(_saved_model_bytes(booster, tmp_path))
    loaded = evaluate.load_booster(str(tmp_path / "model"))
    assert evaluate.predict(loaded, np.zeros((2, 3))).tolist() == pytest.approx([2.0, 2.0])


def test_archive_without_the_model_member_names_what_it_found(tmp_path: Path) -> None:
    _write_tar(tmp_path / "model", "something-else", b"x")
    with pytest.raises(evaluate.EvaluationError, match=r"no 'xgboost-model' member .*something-else"):
        evaluate.load_booster(str(tmp_path / "model"))


def test_garbage_model_is_a_clear_error(tmp_path: Path) -> None:
    _write_tar(tmp_path / "model", evaluate.MODEL_MEMBER, b"not a model")
    with pytest.raises(evaluate.EvaluationError, match="neither an XGBoost model file nor a pickled Booster"):
        evaluate.load_booster(str(tmp_path / "model"))


def test_pickled_non_booster_is_refused(tmp_path: Path) -> None:
    _write_tar(tmp_path / "model", evaluate.MODEL_MEMBER, pickle.dumps({"not": "a booster"}))
    with pytest.raises(evaluate.EvaluationError, match="unpickles to dict"):
        evaluate.load_booster(str(tmp_path / "model"))


def test_missing_inputs_fail_with_status_2_and_reason(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    code = evaluate.main(
        ["--model-dir", str(tmp_path / "nothing"), "--test-dir", str(tmp_path), "--output-dir", str(tmp_path / "out")]
    )
    assert code == 2
    assert "no model.tar.gz" in caplog.text
    assert not (tmp_path / "out").exists()


def test_failure_reason_is_left_in_the_exit_message_file(tmp_path: Path) -> None:
    message = tmp_path / "message"
    args = [
        "--model-dir",
        str(tmp_path / "nothing"),
        "--test-dir",
        str(tmp_path),
        "--output-dir",
        str(tmp_path / "out"),
    ]
    assert evaluate.main([*args, "--exit-message-file", str(message)]) == 2
    assert message.read_text().startswith("evaluation failed: no model.tar.gz or xgboost-model in")


def test_missing_test_data_names_the_directory(tmp_path: Path) -> None:
    with pytest.raises(evaluate.EvaluationError, match=r"no test CSV files in .*empty"):
        evaluate.read_test_set(str(tmp_path / "empty"))


def test_defaults_are_sagemaker_container_paths() -> None:
    args = evaluate.parse_args([])
    assert (args.model_dir, args.test_dir, args.output_dir) == (
        "/opt/ml/processing/model",
        "/opt/ml/processing/test",
        "/opt/ml/processing/evaluation",
    )
