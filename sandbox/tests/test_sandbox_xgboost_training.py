"""Training validation and input formats of the built-in XGBoost container emulation (xgboost_validation)."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

from sandbox.local_aws import xgboost_container
from sandbox.local_aws.xgboost_validation import UserError, validate_channels, validate_hyperparameters

ROOT = Path(__file__).resolve().parents[2]
FILE = {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"eta": "0.1"}, "Missing required hyperparameter: num_round"),
        ({"num_round": "0"}, "Hyperparameter num_round: 0 is not in [1, +inf)"),
        ({"num_round": "1.5"}, "Hyperparameter num_round: could not parse value (caused by ValueError)"),
        ({"num_round": "10", "eta": "2"}, "Hyperparameter eta: 2.0 is not in [0, 1]"),
        ({"num_round": "10", "subsample": "0"}, "Hyperparameter subsample: 0.0 is not in (0, 1]"),
        (
            {"num_round": "10", "booster": "forest"},
            "Hyperparameter booster: forest is not in ['gbtree', 'gblinear', 'dart']",
        ),
        ({"num_round": "10", "etaa": "0.1"}, "Extraneous hyperparameter found: etaa"),
        (
            {"num_round": "10", "objective": "multi:softmax"},
            "Require input for parameter 'num_class' for multi-classification",
        ),
        (
            {"num_round": "10", "objective": "reg:squarederror", "eval_metric": "auc"},
            "Metric 'auc' can only be applied for classification and ranking problems.",
        ),
        (
            {"num_round": "10", "eval_metric": "rmse@0.5"},
            "Metric 'rmse@0.5' is not supported. Parameter 'eval_metric' with customized threshold should be one of these options: 'error', 'ndcg', 'map'.",
        ),
    ],
)
def test_hyperparameters_are_refused_as_the_container_refuses_them(given, message) -> None:
    with pytest.raises(UserError) as refused:
        validate_hyperparameters(given)
    assert str(refused.value) == message


def test_aliases_and_the_projects_own_hyperparameters_pass() -> None:
    assert validate_hyperparameters({"num_round": "5", "learning_rate": "0.3"}) == {
        "num_round": 5,
        "eta": 0.3,
    }
    project = runpy.run_path(str(ROOT / "seed_build_repo" / "pipelines" / "abalone" / "hyperparameters.py"))
    validate_hyperparameters({**project["DEFAULT_HYPERPARAMETERS"], **project["FIXED_HYPERPARAMETERS"]})


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ({"validation": {**FILE, "ContentType": "text/csv"}}, "Missing required channel: train"),
        ({"train": {**FILE, "ContentType": "text/csv"}, "test": {**FILE}}, "Extraneous channel found: test"),
        (
            {"train": {**FILE, "ContentType": "text/csv; label_size=1"}},
            "Channel configuration for 'train' channel is not supported",
        ),
        (
            {
                "train": {
                    "TrainingInputMode": "Pipe",
                    "S3DistributionType": "FullyReplicated",
                    "ContentType": "text/libsvm",
                }
            },
            "Channel configuration for 'train' channel is not supported",
        ),
    ],
)
def test_channels_are_refused_as_the_container_refuses_them(channels, message) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace("[", r"\[")):
        validate_channels(channels)


def test_a_channel_without_content_type_is_libsvm_as_in_the_container() -> None:
    assert validate_channels({"train": dict(FILE)})["train"]["ContentType"] == "text/libsvm"


def _dataset(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = rng.random((60, 3))
    return features, features @ np.array([1.0, 2.0, 3.0])


def _train(tmp_path: Path, content_type: str, writer, hyperparameters=None, mode: str = "File") -> list[str]:
    channel = tmp_path / "train"
    channel.mkdir()
    writer(channel, *_dataset())
    config = {
        "train": {
            "TrainingInputMode": mode,
            "S3DistributionType": "FullyReplicated",
            "ContentType": content_type,
        }
    }
    return xgboost_container.train(
        hyperparameters or {"num_round": "3"}, {"train": channel}, tmp_path / "model", config
    )


def _libsvm(directory: Path, features, labels) -> None:
    lines = [
        f"{y} " + " ".join(f"{j + 1}:{v}" for j, v in enumerate(row))
        for row, y in zip(features, labels, strict=True)
    ]
    (directory / "data.libsvm").write_text("\n".join(lines) + "\n", encoding="ascii")


def _parquet(directory: Path, features, labels) -> None:
    import pandas as pd

    frame = pd.DataFrame(np.column_stack([labels, features]), columns=["y", "a", "b", "c"])
    frame.to_parquet(directory / "data.parquet")


def _csv_weighted(directory: Path, features, labels) -> None:
    rows = np.column_stack([labels, np.ones(len(labels)), features])
    np.savetxt(directory / "data.csv", rows, delimiter=",")


@pytest.mark.parametrize(
    ("content_type", "writer", "hyperparameters"),
    [
        ("text/libsvm", _libsvm, None),
        ("application/x-parquet", _parquet, None),
        ("text/csv", _csv_weighted, {"num_round": "3", "csv_weights": "1"}),
    ],
)
def test_supported_formats_train_a_model(tmp_path, content_type, writer, hyperparameters) -> None:
    logs = _train(tmp_path, content_type, writer, hyperparameters)
    assert logs[0].startswith("[0]#011train-rmse:")
    booster = xgboost_container.load_booster(xgboost_container.package_model(tmp_path / "model"))
    assert booster.num_features() == 3


def test_recordio_protobuf_input_is_refused_with_a_sandbox_reason(tmp_path) -> None:
    with pytest.raises(
        xgboost_container.ContainerError, match="Sandbox: recordio-protobuf input is not emulated"
    ):
        _train(tmp_path, "application/x-recordio-protobuf", _csv_weighted)


def test_pipe_mode_csv_fails_as_in_the_container(tmp_path) -> None:
    with pytest.raises(xgboost_container.ContainerError, match="Pipe mode for CSV is no longer supported"):
        _train(tmp_path, "text/csv", _csv_weighted, mode="Pipe")


def test_a_validation_failure_is_the_jobs_client_error(tmp_path) -> None:
    with pytest.raises(xgboost_container.ContainerError) as failed:
        _train(tmp_path, "text/csv", _csv_weighted, {"num_round": "3", "max_depth": "-1"})
    assert str(failed.value) == "ClientError: Hyperparameter max_depth: -1 is not in [0, +inf)"
