"""What the built-in XGBoost algorithm container validates before it trains: hyperparameters and channels.

Source: github.com/aws/sagemaker-xgboost-container at cb8df91 —
- src/sagemaker_xgboost_container/algorithm_mode/hyperparameter_validation.py (the table: names, types,
  ranges, aliases, the objective/num_class and eval_metric dependencies) with the checks and messages of
  src/sagemaker_algorithm_toolkit/hyperparameter_validation.py (`Hyperparameters.validate`: aliases, required,
  parse, range, dependencies; `Interval.__str__` for the range text);
- src/sagemaker_xgboost_container/algorithm_mode/channel_validation.py and
  src/sagemaker_algorithm_toolkit/channel_validation.py (channels train [required], validation, code; the
  default content type text/libsvm; supported (ContentType, TrainingInputMode, S3DistributionType));
- src/sagemaker_xgboost_container/data_utils.py (`VALID_CONTENT_TYPES`, `VALID_PIPED_CONTENT_TYPES`,
  `get_content_type` and its messages);
- algorithm_mode/train.py `sagemaker_train`: hyperparameters first, then channels; the train channel's
  content type is the data format of both channels.
A UserError becomes the job's FailureReason as "ClientError: <message>".
Not emulated (refused with a "Sandbox:" reason rather than accepted unchecked): the hyperparameters
updater, monotone_constraints, interaction_constraints and _tuning_objective_metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CSV, LIBSVM, PARQUET, RECORDIO_PROTOBUF = "csv", "libsvm", "parquet", "recordio-protobuf"
VALID_CONTENT_TYPES = [
    CSV,
    LIBSVM,
    PARQUET,
    RECORDIO_PROTOBUF,
    "text/csv",
    "text/libsvm",
    "text/x-libsvm",
    "application/x-parquet",
    "application/x-recordio-protobuf",
]
VALID_PIPED_CONTENT_TYPES = [
    CSV,
    PARQUET,
    RECORDIO_PROTOBUF,
    "text/csv",
    "application/x-parquet",
    "application/x-recordio-protobuf",
]
DEFAULT_CONTENT_TYPE = "text/libsvm"
CHANNELS = {"train": True, "validation": False, "code": False}  # name -> required

MAXIMIZE_METRICS = ["accuracy", "auc", "aucpr", "balanced_accuracy", "f1", "f1_binary", "f1_macro", "map", "ndcg",
                    "precision", "r2", "recall", "precision_macro", "precision_micro", "recall_macro", "recall_micro"]  # fmt: skip
MINIMIZE_METRICS = ["aft-nloglik", "cox-nloglik", "error", "gamma-deviance", "gamma-nloglik",
                    "interval-regression-accuracy", "logloss", "mae", "mape", "merror", "mlogloss", "mphe", "mse",
                    "poisson-nloglik", "rmse", "rmsle", "tweedie-nloglik"]  # fmt: skip
OBJECTIVES = ["aft_loss_distribution", "binary:logistic", "binary:logitraw", "binary:hinge", "count:poisson",
              "multi:softmax", "multi:softprob", "rank:pairwise", "rank:ndcg", "rank:map", "reg:linear",
              "reg:squarederror", "reg:logistic", "reg:gamma", "reg:pseudohubererror", "reg:squaredlogerror",
              "reg:absoluteerror", "reg:tweedie", "survival:aft", "survival:cox"]  # fmt: skip
ALIASES = {"learning_rate": "eta", "min_split_loss": "gamma", "reg_lambda": "lambda", "reg_alpha": "alpha"}
NOT_EMULATED = {"updater", "monotone_constraints", "interaction_constraints", "_tuning_objective_metric"}


class UserError(Exception):
    """The container's UserError: the job fails with FailureReason "ClientError: <message>"."""


@dataclass(frozen=True)
class Interval:
    min_open: float | None = None
    min_closed: float | None = None
    max_open: float | None = None
    max_closed: float | None = None

    def __contains__(self, value: float) -> bool:
        return not (
            (self.min_open is not None and value <= self.min_open)
            or (self.min_closed is not None and value < self.min_closed)
            or (self.max_open is not None and value >= self.max_open)
            or (self.max_closed is not None and value > self.max_closed)
        )

    def __str__(self) -> str:
        low = f"({self.min_open}, " if self.min_open is not None else f"[{self.min_closed}, " if self.min_closed is not None else "(-inf, "  # fmt: skip
        high = f"{self.max_open})" if self.max_open is not None else f"{self.max_closed}]" if self.max_closed is not None else "+inf)"  # fmt: skip
        return low + high


def _int(r: Interval) -> tuple[str, Any]:
    return ("int", r)


def _float(r: Interval) -> tuple[str, Any]:
    return ("float", r)


def _cat(values: list[str]) -> tuple[str, Any]:
    return ("cat", values)


ZERO_ONE, NON_NEGATIVE, OPEN_ZERO_ONE = Interval(min_closed=0, max_closed=1), Interval(min_closed=0), Interval(min_open=0, max_closed=1)  # fmt: skip
HYPERPARAMETERS: dict[str, tuple[str, Any]] = {
    "num_round": _int(Interval(min_closed=1)),
    "csv_weights": _int(ZERO_ONE),
    "early_stopping_rounds": _int(Interval(min_closed=1)),
    "booster": _cat(["gbtree", "gblinear", "dart"]),
    "verbosity": _int(Interval(min_closed=0, max_closed=3)),
    "nthread": _int(Interval(min_closed=1)),
    "eta": _float(ZERO_ONE),
    "gamma": _float(NON_NEGATIVE),
    "max_depth": _int(NON_NEGATIVE),
    "min_child_weight": _float(NON_NEGATIVE),
    "max_delta_step": _float(NON_NEGATIVE),
    "subsample": _float(OPEN_ZERO_ONE),
    "colsample_bytree": _float(OPEN_ZERO_ONE),
    "colsample_bylevel": _float(OPEN_ZERO_ONE),
    "colsample_bynode": _float(OPEN_ZERO_ONE),
    "lambda": _float(NON_NEGATIVE),
    "alpha": _float(NON_NEGATIVE),
    "tree_method": _cat(["auto", "exact", "approx", "hist", "gpu_hist"]),
    "sketch_eps": _float(Interval(min_open=0, max_open=1)),
    "scale_pos_weight": _float(Interval(min_open=0)),
    "dsplit": _cat(["row", "col"]),
    "refresh_leaf": _int(ZERO_ONE),
    "process_type": _cat(["default", "update"]),
    "grow_policy": _cat(["depthwise", "lossguide"]),
    "max_leaves": _int(NON_NEGATIVE),
    "max_bin": _int(NON_NEGATIVE),
    "predictor": _cat(["auto", "cpu_predictor", "gpu_predictor"]),
    "sample_type": _cat(["uniform", "weighted"]),
    "normalize_type": _cat(["tree", "forest"]),
    "rate_drop": _float(ZERO_ONE),
    "one_drop": _int(ZERO_ONE),
    "skip_drop": _float(ZERO_ONE),
    "lambda_bias": _float(ZERO_ONE),
    "tweedie_variance_power": _float(Interval(min_open=1, max_open=2)),
    "objective": _cat(OBJECTIVES),
    "num_class": _int(Interval(min_closed=2)),
    "base_score": _float(NON_NEGATIVE),
    "_kfold": _int(Interval(min_closed=2)),
    "_num_cv_round": _int(Interval(min_closed=1)),
    "eval_metric": ("list", None),
    "seed": _int(Interval(min_open=-(2**31), max_open=2**31 - 1)),
    "num_parallel_tree": _int(Interval(min_closed=1)),
    "save_model_on_termination": _cat(["true", "false"]),
    "aft_loss_distribution": _cat(["normal", "logistic", "extreme"]),
    "aft_loss_distribution_scale": _float(NON_NEGATIVE),
    "deterministic_histogram": _cat(["true", "false"]),
    "sampling_method": _cat(["uniform", "gradient_based"]),
    "prob_buffer_row": _int(Interval(min_open=1.0)),
    "use_dask_gpu_training": _cat(["true", "false"]),
}


def _metric_in_range(metric: str) -> bool:
    if "<function" in metric:
        raise UserError(f"User defined evaluation metric {metric} is not supported yet.")
    if "@" in metric:
        name, threshold = (part.strip() for part in metric.split("@", 1))
        if name not in ("error", "ndcg", "map"):
            raise UserError(
                f"Metric '{metric}' is not supported. Parameter 'eval_metric' with customized threshold should "
                "be one of these options: 'error', 'ndcg', 'map'."
            )
        try:
            float(threshold)
        except ValueError:
            raise UserError(f"Threshold value 't' in '{name}@t' expects float input.") from None
        return True
    return metric in MAXIMIZE_METRICS + MINIMIZE_METRICS


def validate_hyperparameters(given: dict[str, str]) -> dict[str, Any]:
    """`Hyperparameters.validate` of the container: the converted values, or UserError with its message."""
    values = {ALIASES.get(k, k): v for k, v in given.items()}
    if "num_round" not in values:
        raise UserError("Missing required hyperparameter: num_round")
    converted: dict[str, Any] = {}
    for name, value in values.items():
        if name in NOT_EMULATED:
            raise UserError(f"Sandbox: the container's validation of hyperparameter {name} is not emulated")
        if name not in HYPERPARAMETERS:
            raise UserError(f"Extraneous hyperparameter found: {name}")
        kind, _ = HYPERPARAMETERS[name]
        try:
            text = str(value)
            converted[name] = int(text) if kind == "int" else float(text) if kind == "float" else text
            if kind == "list":
                converted[name] = text.split(",")
        except ValueError:
            raise UserError(f"Hyperparameter {name}: could not parse value (caused by ValueError)") from None
    for name, value in converted.items():
        kind, allowed = HYPERPARAMETERS[name]
        if kind == "list":
            if any(not _metric_in_range(v) for v in value):
                supported = MAXIMIZE_METRICS + MINIMIZE_METRICS
                raise UserError(f"Hyperparameter {name}: value {value} not in range {supported}")
        elif value not in allowed:
            raise UserError(f"Hyperparameter {name}: {value} is not in {allowed}")
    objective, num_class = converted.get("objective"), converted.get("num_class")
    if objective in ("multi:softmax", "multi:softprob") and num_class is None:
        raise UserError("Require input for parameter 'num_class' for multi-classification")
    if objective is None and num_class is not None:
        raise UserError(
            "Do not need to setup parameter 'num_class' for learning task other than multi-classification."
        )
    metrics = converted.get("eval_metric", [])
    if "auc" in metrics and not str(objective).startswith(("binary:", "rank:")):
        raise UserError("Metric 'auc' can only be applied for classification and ranking problems.")
    if "aft-nloglik" in metrics and objective != "survival:aft":
        raise UserError("Metric 'aft-nloglik' can only be applied for 'survival:aft' objective.")
    return converted


def validate_channels(channels: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """`Channels.validate`: each channel's {ContentType, TrainingInputMode, S3DistributionType}, defaults in."""
    for name, required in CHANNELS.items():
        if required and name not in channels:
            raise UserError(f"Missing required channel: {name}")
    validated: dict[str, dict[str, str]] = {}
    for name, value in channels.items():
        if name not in CHANNELS:
            raise UserError(f"Extraneous channel found: {name}")
        config = {"ContentType": DEFAULT_CONTENT_TYPE, **value}
        if name == "code":
            supported = config["ContentType"] == "text/python" and config["TrainingInputMode"] == "File"
            supported = supported and config["S3DistributionType"] == "FullyReplicated"
        else:
            allowed = (
                VALID_CONTENT_TYPES if config["TrainingInputMode"] == "File" else VALID_PIPED_CONTENT_TYPES
            )
            supported = config["TrainingInputMode"] in ("File", "Pipe") and config["ContentType"] in allowed
            supported = supported and config["S3DistributionType"] in ("FullyReplicated", "ShardedByS3Key")
        if not supported:
            raise UserError(f"Channel configuration for '{name}' channel is not supported: {config}")
        validated[name] = config
    return validated


def data_format(content_type: str) -> str:
    """`get_content_type`: csv / libsvm / parquet / recordio-protobuf (the media type's parameters aside)."""
    media, _, parameters = content_type.lower().partition(";")
    media = media.strip()
    if media in (CSV, "text/csv"):
        params = dict(p.strip().split("=", 1) for p in parameters.split(";") if "=" in p)
        if params.get("label_size", "1") != "1":
            raise UserError(
                f"{content_type} is not an accepted csv ContentType. Optional parameter label_size must be equal to 1"
            )
        return CSV
    if media in (LIBSVM, "text/libsvm", "text/x-libsvm"):
        return LIBSVM
    if media in (PARQUET, "application/x-parquet"):
        return PARQUET
    if media in (RECORDIO_PROTOBUF, "application/x-recordio-protobuf"):
        return RECORDIO_PROTOBUF
    raise UserError(f"{content_type} is not an accepted ContentType: {', '.join(VALID_CONTENT_TYPES)}.")
