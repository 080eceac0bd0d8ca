"""The built-in SageMaker XGBoost algorithm (training and serving), emulated with the `xgboost` package.

Training, like the algorithm container: hyperparameters and channels validated first (xgboost_validation);
data read in the train channel's format (src/sagemaker_xgboost_container/data_utils.py): text/csv without
header, target in the first column (instance weights in the second with csv_weights=1), LIBSVM, Parquet
(target in the first column); `num_round`, `early_stopping_rounds`, and every other hyperparameter passed to
xgboost as a booster parameter; logs `[i]#011train-rmse:...#011validation-rmse:...`; the model saved with
`Booster.save_model` as `xgboost-model`, packaged as `model.tar.gz`.
Serving: `text/csv` rows without the target in, newline-separated predictions out; a model file saved by
`save_model` or a pickled Booster (as older containers wrote) is accepted.
Mode selection when serving, as the real container's `serving.py` `main()` does it
(github.com/aws/sagemaker-xgboost-container, src/sagemaker_xgboost_container/serving.py at cb8df91,
2026-06-25): `env.ServingEnv().module_name` comes from `SAGEMAKER_PROGRAM`; only when it is *absent* does
the container serve the model in algorithm mode (`ScoringService.csdk_start()`); when it is present — even
empty — it imports that user module (`importlib.import_module`), which fails for "" or a module the image
does not have, so the server never answers `/ping` and SageMaker marks the endpoint Failed.
Not emulated: recordio-protobuf input (refused with a "Sandbox:" reason), distributed training, checkpoints,
the `application/x-recordio-protobuf` and `application/json` serving formats.
"""

from __future__ import annotations

import io
import os
import pickle
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "xgboost-model"
_NOT_BOOSTER_PARAMS = {"num_round", "early_stopping_rounds", "csv_weights"}


class ContainerError(Exception):
    """A failure the real container would report (the training job's FailureReason, a ModelError).

    `status`: the HTTP status the serving container answers for it (400 for a payload it cannot parse).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


PROGRAM_VARIABLE = "SAGEMAKER_PROGRAM"
PING_FAILURE = (
    "The primary container for production variant {variant} did not pass the ping health check. "
    "Please check CloudWatch logs for this endpoint."
)


def script_mode_failure(environment: dict[str, str]) -> str | None:
    """Why the container would fail its health check under ``environment``, or ``None`` (algorithm mode).

    The sandbox ships no user modules, so script mode always fails here, as it does on AWS for the empty
    program name ``ModelBuilder.register()`` writes.
    """
    if PROGRAM_VARIABLE not in environment:
        return None
    program = environment[PROGRAM_VARIABLE]
    return (
        f"{PROGRAM_VARIABLE}={program!r} is set, so the built-in XGBoost container starts in script mode and "
        f"imports the user module {program!r}, which fails ("
        + ("ValueError: Empty module name" if not program else f"No module named {program!r}")
        + f"). Remove {PROGRAM_VARIABLE} (and SAGEMAKER_SUBMIT_DIRECTORY) from the container's Environment "
        "to serve the model in algorithm mode."
    )


def warm_up() -> None:
    """Import xgboost ahead of the first training job (~1.5 s), as the algorithm image is ready before a job."""
    import xgboost  # noqa: F401


def _number(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


def booster_params(hyperparameters: dict[str, str]) -> dict[str, Any]:
    """Hyperparameters (strings, as SageMaker passes them) → xgboost booster parameters."""
    params = {k: _number(str(v)) for k, v in hyperparameters.items() if k not in _NOT_BOOSTER_PARAMS}
    params.setdefault("nthread", max(1, (os.cpu_count() or 1)))
    params.setdefault("verbosity", 0)
    return params


def _files(directory: Path) -> list[Path]:
    files = sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))
    if not files:
        raise ContainerError(f"ClientError: no data files found in channel directory {directory}")
    return files


def _read_csv(directory: Path, csv_weights: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    frames = []
    for path in _files(directory):
        try:
            frames.append(np.loadtxt(path, delimiter=",", ndmin=2, dtype=np.float64))
        except ValueError as exc:
            raise ContainerError(f"ClientError: Failed to load csv data with exception:\n{exc}") from exc
    data = np.vstack(frames)
    if csv_weights == 1:
        return data[:, 2:], data[:, 0], data[:, 1]
    return data[:, 1:], data[:, 0], None


def _read_libsvm(directory: Path) -> tuple[Any, np.ndarray, None]:
    import scipy.sparse  # type: ignore[import-untyped]
    from sklearn.datasets import load_svmlight_files

    try:
        loaded = load_svmlight_files([str(p) for p in _files(directory)], zero_based="auto")
    except ValueError as exc:
        raise ContainerError(f"ClientError: Failed to load libsvm data with exception:\n{exc}") from exc
    features = scipy.sparse.vstack(loaded[0::2]).tocsr()
    return features, np.concatenate(loaded[1::2]), None


def _read_parquet(directory: Path) -> tuple[np.ndarray, np.ndarray, None]:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        data = pq.read_table(str(directory)).to_pandas().to_numpy(dtype=np.float64)
    except Exception as exc:  # the container reports any reader failure this way
        raise ContainerError(f"ClientError: Failed to load parquet data with exception:\n{exc}") from exc
    return data[:, 1:], data[:, 0], None


def read_channel(directory: Path, data_format: str, input_mode: str, csv_weights: int) -> Any:
    """A channel as an xgboost DMatrix, read as the container's data_utils reads its format."""
    import xgboost as xgb

    from sandbox.local_aws import xgboost_validation as v

    if input_mode == "Pipe" and data_format in (v.CSV, v.PARQUET):
        name = "CSV" if data_format == v.CSV else "Parquet"
        raise ContainerError(
            f"ClientError: Pipe mode for {name} is no longer supported. Please use Fast File mode (default) "
            "instead. Set input_mode='File' in your SageMaker Estimator or TrainingInput."
        )
    if data_format == v.CSV:
        features, labels, weights = _read_csv(directory, csv_weights)
    elif data_format == v.LIBSVM:
        if input_mode == "Pipe":
            raise ContainerError("ClientError: Pipe mode not supported for LibSVM.")
        features, labels, weights = _read_libsvm(directory)
    elif data_format == v.PARQUET:
        features, labels, weights = _read_parquet(directory)
    else:
        raise ContainerError(f"ClientError: Sandbox: {data_format} input is not emulated")
    return xgb.DMatrix(features, label=labels, weight=weights)


def train(
    hyperparameters: dict[str, str],
    channels: dict[str, Path],
    model_dir: Path,
    channel_configs: dict[str, dict[str, str]] | None = None,
) -> list[str]:
    """Train like the algorithm container; returns the log lines it printed. Writes model_dir/xgboost-model.

    `channel_configs`: each channel's ContentType / TrainingInputMode / S3DistributionType, as the job's
    InputDataConfig gives them (File mode, FullyReplicated and the container's default content type when
    absent).
    """
    import xgboost as xgb

    from sandbox.local_aws import xgboost_validation as v

    configs = channel_configs or {
        name: {"TrainingInputMode": "File", "S3DistributionType": "FullyReplicated"} for name in channels
    }
    try:
        validated = v.validate_hyperparameters(hyperparameters)
        channel_config = v.validate_channels({k: dict(c) for k, c in configs.items()})
        data_format = v.data_format(channel_config["train"]["ContentType"])
    except v.UserError as exc:
        raise ContainerError(f"ClientError: {exc}") from exc
    csv_weights = int(validated.get("csv_weights", 0))
    mode = channel_config["train"]["TrainingInputMode"]
    dtrain = read_channel(channels["train"], data_format, mode, csv_weights)
    evals = [(dtrain, "train")]
    if "validation" in channels:
        evals.append((read_channel(channels["validation"], data_format, mode, csv_weights), "validation"))
    num_round = int(validated["num_round"])
    early = validated.get("early_stopping_rounds")
    history: dict[str, Any] = {}
    booster = xgb.train(
        booster_params(hyperparameters),
        dtrain,
        num_boost_round=num_round,
        evals=evals,
        evals_result=history,
        early_stopping_rounds=int(early) if early and len(evals) > 1 else None,
        verbose_eval=False,
    )
    logs = []
    names = list(history)
    rounds = len(next(iter(history[names[0]].values()))) if names else 0
    for i in range(rounds):
        parts = [
            f"{name}-{metric}:{values[i]:.5f}" for name in names for metric, values in history[name].items()
        ]
        logs.append(f"[{i}]#011" + "#011".join(parts))
    model_dir.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(model_dir / MODEL_FILE))
    return logs


def package_model(model_dir: Path) -> bytes:
    """model.tar.gz of everything in model_dir, as SageMaker uploads /opt/ml/model."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(model_dir.rglob("*")):
            archive.add(path, arcname=str(path.relative_to(model_dir)), recursive=False)
    return buffer.getvalue()


def load_booster(model_tar_gz: bytes) -> Any:
    """The Booster inside a model.tar.gz (save_model format or pickle)."""
    import xgboost as xgb

    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(fileobj=io.BytesIO(model_tar_gz), mode="r:gz") as archive:
            archive.extractall(tmp, filter="data")
        candidates = [p for p in Path(tmp).rglob("*") if p.is_file()]
        if not candidates:
            raise ContainerError("model.tar.gz is empty")
        path = next((p for p in candidates if p.name == MODEL_FILE), candidates[0])
        booster = xgb.Booster()
        try:
            # Quiet: the file has no extension, so xgboost warns while it detects the format.
            with xgb.config_context(verbosity=0):
                booster.load_model(str(path))
        except xgb.core.XGBoostError:
            with path.open("rb") as fh:
                loaded = pickle.load(fh)  # noqa: S301 - see module note
            if not isinstance(loaded, xgb.Booster):
                raise ContainerError(
                    f"{path.name} is neither an XGBoost model nor a pickled Booster"
                ) from None
            booster = loaded
        return booster


def predict_csv(booster: Any, body: str) -> str:
    """text/csv rows (no target) → newline-separated predictions."""
    import xgboost as xgb

    rows = [line for line in body.strip().splitlines() if line.strip()]
    if not rows:
        raise ContainerError("Unable to evaluate payload provided: empty text/csv body")
    try:
        data = np.array([[float(v) for v in row.split(",")] for row in rows], dtype=np.float64)
    except ValueError as exc:
        raise ContainerError(f"Unable to evaluate payload provided: {exc}") from exc
    expected = booster.num_features()
    if data.shape[1] != expected:
        raise ContainerError(
            f"Feature size of csv inference data {data.shape[1]} is not consistent with "
            f"feature size of trained model {expected}."
        )
    predictions = booster.predict(xgb.DMatrix(data))
    return "\n".join(repr(float(p)) for p in predictions)
