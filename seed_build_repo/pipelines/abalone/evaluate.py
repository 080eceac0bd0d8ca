"""Evaluate the trained XGBoost model on the held-out test split and write evaluation.json.

Runs as a single file in the built-in XGBoost image (xgboost, pandas, numpy, scikit-learn, an
older Python), so it imports nothing from this repo and avoids syntax newer than Python 3.8.

The report follows the SageMaker model-quality format for regression, so it serves both as the
quality gate's input (JsonGet on ``regression_metrics.mse.value``) and as the registered model
package's ModelQuality statistics::

    {"regression_metrics": {"mse": {"value": 4.2, "standard_deviation": 9.1}, "rmse": ..., ...},
     "n_samples": 627}

``standard_deviation`` is the spread of the per-row terms whose mean is the metric: squared
errors for MSE, absolute errors for MAE, ``1 - e**2 / var(y)`` for R² (that is
``std(e**2) / var(y)``), and the residuals themselves for RMSE (as in AWS's Abalone sample).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import pickle
import sys
import tarfile
import tempfile
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # numpy.typing is only needed by the type checker, not in the container
    from numpy.typing import ArrayLike

LOG = logging.getLogger("evaluate")

MODEL_MEMBER = "xgboost-model"
_PICKLE_MAGIC = b"\x80"  # protocol 2+ pickles start with PROTO
REPORT_NAME = "evaluation.json"
# The model-quality baseline's dataset: one row per test row, the prediction next to the label. The
# column names are the pipeline's inference_attribute and ground_truth_attribute.
PREDICTIONS_NAME = "predictions.csv"
PREDICTION_COLUMN, LABEL_COLUMN = "prediction", "label"
# The JsonGet path the pipeline's quality gate reads; tests check the report really has it.
MSE_JSON_PATH = "regression_metrics.mse.value"

DEFAULT_MODEL_DIR = "/opt/ml/processing/model"
DEFAULT_TEST_DIR = "/opt/ml/processing/test"
DEFAULT_OUTPUT_DIR = "/opt/ml/processing/evaluation"
# SageMaker Processing returns this file's first KB as the job's ExitMessage.
DEFAULT_EXIT_MESSAGE_FILE = "/opt/ml/output/message"


class EvaluationError(RuntimeError):
    """The model or the test data cannot be used; the message names the file and the fix."""


def regression_metrics(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, dict[str, float]]:
    truth = np.asarray(y_true, dtype=float)
    predicted = np.asarray(y_pred, dtype=float)
    if truth.shape != predicted.shape or truth.size == 0:
        raise EvaluationError(f"need equally many targets and predictions, got {truth.size} and {predicted.size}")
    errors = truth - predicted
    squared = errors**2
    mse = float(squared.mean())
    variance = float(truth.var())
    # R² is undefined for a constant target; 0 spread and 0 score keep the report valid JSON.
    r2 = 1.0 - mse / variance if variance > 0 else 0.0
    r2_std = float(squared.std() / variance) if variance > 0 else 0.0
    return {
        "mse": {"value": mse, "standard_deviation": float(squared.std())},
        "rmse": {"value": math.sqrt(mse), "standard_deviation": float(errors.std())},
        "mae": {"value": float(np.abs(errors).mean()), "standard_deviation": float(np.abs(errors).std())},
        "r2": {"value": float(r2), "standard_deviation": r2_std},
    }


def build_report(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, Any]:
    return {"regression_metrics": regression_metrics(y_true, y_pred), "n_samples": int(np.asarray(y_true).size)}


def load_booster(model_dir: str) -> Any:
    """The Booster in ``model_dir``/model.tar.gz (or a bare xgboost-model file).

    Accepts both formats the built-in container has produced: ``Booster.save_model`` output
    (current) and a pickled Booster (older versions).
    """
    import xgboost as xgb

    archive = os.path.join(model_dir, "model.tar.gz")
    bare = os.path.join(model_dir, MODEL_MEMBER)
    if os.path.isfile(archive):
        with tarfile.open(archive, "r:gz") as tar:
            # Read the one member we need instead of extracting: nothing in the archive can
            # write outside a temp file, whatever its member names are.
            try:
                member = tar.extractfile(MODEL_MEMBER)
            except KeyError:
                member = None
            if member is None:
                raise EvaluationError(
                    f"{archive} has no '{MODEL_MEMBER}' member (found: {', '.join(tar.getnames()) or 'nothing'}); "
                    "the training step must be the built-in XGBoost algorithm"
                )
            payload = member.read()
    elif os.path.isfile(bare):
        with open(bare, "rb") as handle:
            payload = handle.read()
    else:
        raise EvaluationError(f"no model.tar.gz or {MODEL_MEMBER} in {model_dir}")

    if payload[:1] == _PICKLE_MAGIC:
        return _unpickle_booster(payload)
    with tempfile.TemporaryDirectory() as scratch:
        # XGBoost picks the format from the file name: JSON, UBJSON, or (no suffix) the legacy
        # binary format that older built-in containers wrote.
        path = os.path.join(scratch, MODEL_MEMBER + _model_suffix(payload))
        with open(path, "wb") as handle:
            handle.write(payload)
        booster = xgb.Booster()
        try:
            booster.load_model(path)
        except (xgb.core.XGBoostError, UnicodeDecodeError) as error:
            raise EvaluationError(
                f"{MODEL_MEMBER} is neither an XGBoost model file nor a pickled Booster: {str(error)[:400]}"
            ) from error
        return booster


def _model_suffix(payload: bytes) -> str:
    if payload[:1] != b"{":
        return ""
    try:
        json.loads(payload.decode("utf-8"))
        return ".json"
    except ValueError:
        return ".ubj"


def _unpickle_booster(payload: bytes) -> Any:
    import xgboost as xgb

    try:
        # The artifact is this pipeline's own training output, read from the project's bucket.
        loaded = pickle.loads(payload)  # noqa: S301
    except Exception as error:
        raise EvaluationError(f"{MODEL_MEMBER} looks pickled but cannot be unpickled: {error}") from error
    if not isinstance(loaded, xgb.Booster):
        raise EvaluationError(f"{MODEL_MEMBER} unpickles to {type(loaded).__name__}, not an xgboost Booster")
    return loaded


def read_test_set(test_dir: str) -> tuple[np.ndarray, np.ndarray]:
    """Target (first column) and features of every CSV in ``test_dir`` (headerless XGBoost layout)."""
    paths = (
        sorted(os.path.join(test_dir, name) for name in os.listdir(test_dir) if name.endswith(".csv"))
        if os.path.isdir(test_dir)
        else []
    )
    if not paths:
        raise EvaluationError(f"no test CSV files in {test_dir}; it should receive the preprocessing 'test' output")
    frame = pd.concat([pd.read_csv(path, header=None) for path in paths], ignore_index=True)
    if frame.shape[1] < 2:
        raise EvaluationError("test data needs the target in column 1 and at least one feature")
    values = frame.to_numpy(dtype=float)
    return values[:, 0], values[:, 1:]


def predict(booster: Any, features: np.ndarray) -> np.ndarray:
    import xgboost as xgb

    # Predict with every tree, exactly as the endpoint serving this artifact will.
    return np.asarray(booster.predict(xgb.DMatrix(features)), dtype=float)


def write_report(report: dict[str, Any], output_dir: str) -> str:
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, REPORT_NAME)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    return path


def write_predictions(y_true: ArrayLike, y_pred: ArrayLike, output_dir: str) -> str:
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, PREDICTIONS_NAME)
    frame = pd.DataFrame(
        {PREDICTION_COLUMN: np.asarray(y_pred, dtype=float), LABEL_COLUMN: np.asarray(y_true, dtype=float)}
    )
    frame.to_csv(path, index=False)  # full precision: the baseline's metrics match evaluation.json's
    return path


def write_exit_message(path: str, message: str) -> None:
    """Leave the failure reason where SageMaker Processing reports it (DescribeProcessingJob ExitMessage).

    Only inside a processing container: elsewhere the directory does not exist and this does nothing.
    """
    if path and os.path.isdir(os.path.dirname(path)):
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(message[:1000])


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", default=env("ABALONE_MODEL_DIR", DEFAULT_MODEL_DIR))
    parser.add_argument("--test-dir", default=env("ABALONE_TEST_DIR", DEFAULT_TEST_DIR))
    parser.add_argument("--output-dir", default=env("ABALONE_EVALUATION_DIR", DEFAULT_OUTPUT_DIR))
    parser.add_argument(
        "--predictions-dir",
        default=env("ABALONE_PREDICTIONS_DIR"),
        help=f"where {PREDICTIONS_NAME} goes (the model-quality baseline's dataset); not written when unset",
    )
    parser.add_argument("--exit-message-file", default=env("ABALONE_EXIT_MESSAGE_FILE", DEFAULT_EXIT_MESSAGE_FILE))
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    try:
        booster = load_booster(args.model_dir)
        y_true, features = read_test_set(args.test_dir)
        predictions = predict(booster, features)
        report = build_report(y_true, predictions)
    except EvaluationError as error:
        LOG.error("evaluation failed: %s", error)
        write_exit_message(args.exit_message_file, f"evaluation failed: {error}")
        return 2
    path = write_report(report, args.output_dir)
    if args.predictions_dir:
        LOG.info("predictions next to labels: %s", write_predictions(y_true, predictions, args.predictions_dir))
    metrics = report["regression_metrics"]
    LOG.info(
        "test MSE %.4f, RMSE %.4f, MAE %.4f, R2 %.4f on %d rows; report: %s",
        metrics["mse"]["value"],
        metrics["rmse"]["value"],
        metrics["mae"]["value"],
        metrics["r2"]["value"],
        report["n_samples"],
        path,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
