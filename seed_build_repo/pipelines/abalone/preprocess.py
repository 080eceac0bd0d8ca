"""Abalone preprocessing: validate the raw UCI file, engineer features, split reproducibly.

Runs as a single file in the SageMaker scikit-learn processing image (only pandas, numpy and
scikit-learn are available there, on an older Python), so it imports nothing from this repo and
avoids syntax newer than Python 3.8.

Outputs are CSV files in the built-in XGBoost format: target (rings) in the first column, the
features after it, no header, no index. The same feature columns, in the same order and without
the target, are what the deployed endpoint expects (see FEATURE_COLUMNS and the README).

Every container path comes from an argument whose default is SageMaker's convention, so the
script also runs on a laptop: ``python preprocess.py --input-dir data/ --output-dir out/``.
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import sys
from typing import Sequence

import numpy as np
import pandas as pd

LOG = logging.getLogger("preprocess")

RAW_COLUMNS = [
    "sex",
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
    "rings",
]
NUMERIC_COLUMNS = RAW_COLUMNS[1:8]
TARGET_COLUMN = "rings"
# A fixed category list (not whatever a split happens to contain) keeps the column layout
# identical across runs and between training and serving.
SEX_CATEGORIES = ("F", "I", "M")
ENGINEERED_COLUMNS = [
    "shucked_ratio",
    "viscera_ratio",
    "shell_ratio",
    "volume",
    "density",
]
FEATURE_COLUMNS = [f"sex_{s}" for s in SEX_CATEGORIES] + NUMERIC_COLUMNS + ENGINEERED_COLUMNS
# Weights are in grams/200 and lengths in mm/200 in the UCI file; the smallest real values are
# around 0.002, so this floor only guards the few zero heights against division by zero.
_RATIO_FLOOR = 1e-3
_MAX_ERRORS_SHOWN = 5

BASELINE_NAME = "baseline.csv"
DEFAULT_INPUT_DIR = "/opt/ml/processing/input/data"
DEFAULT_OUTPUT_DIR = "/opt/ml/processing"
# SageMaker Processing returns this file's first KB as the job's ExitMessage.
DEFAULT_EXIT_MESSAGE_FILE = "/opt/ml/output/message"


class SchemaError(ValueError):
    """The input does not look like the UCI Abalone file; the message says where and why."""


def _describe_rows(mask: pd.Series, frame: pd.DataFrame) -> str:
    bad = frame.loc[mask]
    shown = [f"{source} row {line}" for source, line in zip(bad["_source"], bad["_line"])][:_MAX_ERRORS_SHOWN]
    more = len(bad) - len(shown)
    return ", ".join(shown) + (f" (and {more} more)" if more else "")


def read_raw(paths: Sequence[str]) -> pd.DataFrame:
    """Read headerless UCI Abalone CSV files (a header row naming the columns is tolerated)."""
    if not paths:
        raise SchemaError(
            "no input CSV files found; point --input-dir at a folder holding the UCI Abalone CSV "
            "(pipeline parameter InputDataUrl)"
        )
    frames = []
    for path in paths:
        frame = pd.read_csv(path, header=None, dtype=str, skip_blank_lines=True, keep_default_na=False)
        if frame.empty:
            continue
        if frame.shape[1] != len(RAW_COLUMNS):
            raise SchemaError(
                f"{os.path.basename(path)}: expected {len(RAW_COLUMNS)} columns ({','.join(RAW_COLUMNS)}), "
                f"found {frame.shape[1]}; the UCI Abalone file is a headerless 9-column CSV"
            )
        frame.columns = RAW_COLUMNS
        frame["_source"] = os.path.basename(path)
        frame["_line"] = np.arange(1, len(frame) + 1)
        if str(frame.iloc[0]["sex"]).strip().lower() == "sex":
            frame = frame.iloc[1:]
        frames.append(frame)
    if not frames or sum(len(f) for f in frames) == 0:
        raise SchemaError(f"input files contain no rows: {', '.join(paths)}")
    return validate(pd.concat(frames, ignore_index=True))


def validate(raw: pd.DataFrame) -> pd.DataFrame:
    """Typed copy of ``raw``; raises SchemaError naming the offending file:line on bad values."""
    frame = raw.copy()
    if "_source" not in frame.columns:
        frame["_source"] = "input"
        frame["_line"] = np.arange(1, len(frame) + 1)
    missing = [c for c in RAW_COLUMNS if c not in frame.columns]
    if missing:
        raise SchemaError(f"missing columns: {', '.join(missing)}")

    frame["sex"] = frame["sex"].astype(str).str.strip().str.upper()
    bad_sex = ~frame["sex"].isin(SEX_CATEGORIES)
    if bad_sex.any():
        raise SchemaError(
            f"column 'sex' must be one of {'/'.join(SEX_CATEGORIES)}; bad rows: {_describe_rows(bad_sex, frame)}"
        )
    for column in [*NUMERIC_COLUMNS, TARGET_COLUMN]:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() | ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise SchemaError(
                f"column '{column}' must hold non-negative numbers; bad rows: {_describe_rows(bad, frame)}"
            )
        frame[column] = values.astype(float)
    return frame[RAW_COLUMNS].reset_index(drop=True)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator / denominator.clip(lower=_RATIO_FLOOR)


def engineer_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Model inputs in FEATURE_COLUMNS order: one-hot sex, raw measurements, shape/weight ratios.

    Every feature depends on its own row only, so computing them before the split cannot leak
    information between train, validation and test.
    """
    features = pd.DataFrame(index=frame.index)
    for category in SEX_CATEGORIES:
        features[f"sex_{category}"] = (frame["sex"] == category).astype(float)
    for column in NUMERIC_COLUMNS:
        features[column] = frame[column].astype(float)
    # Meat, gut and shell fractions of the total weight change with age; trees find ratios hard
    # to build from splits on the raw weights alone.
    features["shucked_ratio"] = _ratio(frame["shucked_weight"], frame["whole_weight"])
    features["viscera_ratio"] = _ratio(frame["viscera_weight"], frame["whole_weight"])
    features["shell_ratio"] = _ratio(frame["shell_weight"], frame["whole_weight"])
    features["volume"] = frame["length"] * frame["diameter"] * frame["height"]
    features["density"] = _ratio(frame["whole_weight"], features["volume"])
    return features[FEATURE_COLUMNS]


def split_indices(
    n_rows: int, seed: int, train_fraction: float, validation_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint, exhaustive train/validation/test row indices; the same seed gives the same split."""
    if not (0 < train_fraction < 1 and 0 < validation_fraction < 1):
        raise ValueError("train and validation fractions must be between 0 and 1")
    if train_fraction + validation_fraction >= 1:
        raise ValueError("train + validation fractions must leave rows for the test set (sum < 1)")
    n_train = round(train_fraction * n_rows)
    n_validation = round(validation_fraction * n_rows)
    if n_train < 1 or n_validation < 1 or n_rows - n_train - n_validation < 1:
        raise SchemaError(f"{n_rows} rows are too few for a train/validation/test split")
    order = np.random.default_rng(seed).permutation(n_rows)
    return order[:n_train], order[n_train : n_train + n_validation], order[n_train + n_validation :]


def xgboost_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Target first, then FEATURE_COLUMNS: the built-in XGBoost CSV layout."""
    features = engineer_features(frame)
    features.insert(0, TARGET_COLUMN, frame[TARGET_COLUMN].astype(float))
    return features


def split_dataset(
    frame: pd.DataFrame, seed: int, train_fraction: float, validation_fraction: float
) -> dict[str, pd.DataFrame]:
    matrix = xgboost_matrix(frame)
    train, validation, test = split_indices(len(matrix), seed, train_fraction, validation_fraction)
    return {
        "train": matrix.iloc[train].reset_index(drop=True),
        "validation": matrix.iloc[validation].reset_index(drop=True),
        "test": matrix.iloc[test].reset_index(drop=True),
    }


def baseline_features(train: pd.DataFrame) -> pd.DataFrame:
    """The training split without its target: the rows a data-quality baseline describes."""
    return train.drop(columns=[TARGET_COLUMN])


def write_csv(frame: pd.DataFrame, directory: str, name: str) -> str:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    frame.to_csv(path, header=False, index=False, float_format="%.6g")
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
    parser.add_argument("--input-dir", default=env("ABALONE_INPUT_DIR", DEFAULT_INPUT_DIR))
    parser.add_argument(
        "--output-dir",
        default=env("ABALONE_OUTPUT_DIR", DEFAULT_OUTPUT_DIR),
        help="parent of train/, validation/ and test/ unless those are given one by one",
    )
    parser.add_argument("--train-dir", default=env("ABALONE_TRAIN_DIR"))
    parser.add_argument("--validation-dir", default=env("ABALONE_VALIDATION_DIR"))
    parser.add_argument("--test-dir", default=env("ABALONE_TEST_DIR"))
    parser.add_argument(
        "--baseline-dir",
        default=env("ABALONE_BASELINE_DIR"),
        help="where baseline.csv goes: the training features without the target, as the endpoint receives them",
    )
    parser.add_argument("--split-seed", type=int, default=int(env("ABALONE_SPLIT_SEED", "42")))
    parser.add_argument("--train-fraction", type=float, default=0.7)
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--exit-message-file", default=env("ABALONE_EXIT_MESSAGE_FILE", DEFAULT_EXIT_MESSAGE_FILE))
    args = parser.parse_args(argv)
    for name in ("train", "validation", "test", "baseline"):
        if not getattr(args, f"{name}_dir"):
            setattr(args, f"{name}_dir", os.path.join(args.output_dir, name))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    paths = sorted(
        p for p in glob.glob(os.path.join(args.input_dir, "*")) if os.path.isfile(p) and not p.endswith(".py")
    )
    try:
        frame = read_raw(paths)
        splits = split_dataset(frame, args.split_seed, args.train_fraction, args.validation_fraction)
    except (SchemaError, ValueError) as error:
        LOG.error("preprocessing failed: %s", error)
        write_exit_message(args.exit_message_file, f"preprocessing failed: {error}")
        return 2
    for name, part in splits.items():
        path = write_csv(part, getattr(args, f"{name}_dir"), f"{name}.csv")
        LOG.info("wrote %d rows x %d features to %s", len(part), part.shape[1] - 1, path)
    # Model Monitor compares what the endpoint receives with this file, column by column (_c0, _c1, ...):
    # the same features in the same order, no target, no header.
    path = write_csv(baseline_features(splits["train"]), args.baseline_dir, BASELINE_NAME)
    LOG.info("wrote the data-quality baseline dataset to %s", path)
    LOG.info("split seed %d; feature columns: %s", args.split_seed, ",".join(FEATURE_COLUMNS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
