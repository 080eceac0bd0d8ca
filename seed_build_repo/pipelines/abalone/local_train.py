"""Train and evaluate the model on this machine, the way the pipeline does in SageMaker.

The pipeline trains with SageMaker's built-in XGBoost container; this module reproduces that
training call with the local ``xgboost`` package (same hyperparameters, same train/validation
channels, same early stopping) so a change can be measured in seconds::

    python -m pipelines.abalone.local_train --data abalone.csv --seeds 0 1 2

It uses preprocess.py and evaluate.py unchanged, so what it reports is what the pipeline's
evaluation step would report for the same split.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pipelines.abalone import evaluate, preprocess
from pipelines.abalone.hyperparameters import DEFAULT_HYPERPARAMETERS, FIXED_HYPERPARAMETERS


def xgboost_training_arguments(hyperparameters: Mapping[str, str]) -> tuple[dict[str, Any], int, int | None]:
    """(params, num_boost_round, early_stopping_rounds) for ``xgboost.train`` from container-style strings."""
    merged = {**FIXED_HYPERPARAMETERS, **hyperparameters}
    num_round = int(merged.pop("num_round"))
    early = merged.pop("early_stopping_rounds", None)
    params: dict[str, Any] = {}
    for key, value in merged.items():
        try:
            number = float(value)
            params[key] = int(number) if number.is_integer() and key == "max_depth" else number
        except ValueError:
            params[key] = value
    return params, num_round, int(early) if early is not None else None


def train(hyperparameters: Mapping[str, str], train_matrix: pd.DataFrame, validation_matrix: pd.DataFrame) -> Any:
    """A Booster trained like the built-in container: early stopping on the validation channel."""
    import xgboost as xgb

    params, num_round, early = xgboost_training_arguments(hyperparameters)
    dtrain = xgb.DMatrix(train_matrix.iloc[:, 1:].to_numpy(), label=train_matrix.iloc[:, 0].to_numpy())
    dvalidation = xgb.DMatrix(validation_matrix.iloc[:, 1:].to_numpy(), label=validation_matrix.iloc[:, 0].to_numpy())
    return xgb.train(
        params,
        dtrain,
        num_boost_round=num_round,
        evals=[(dtrain, "train"), (dvalidation, "validation")],
        early_stopping_rounds=early,
        verbose_eval=False,
    )


def evaluate_split(
    raw: pd.DataFrame,
    seed: int,
    hyperparameters: Mapping[str, str] = DEFAULT_HYPERPARAMETERS,
    train_fraction: float = 0.7,
    validation_fraction: float = 0.15,
) -> dict[str, Any]:
    """Preprocess with ``seed``, train, and return evaluate.py's report for the test split."""
    splits = preprocess.split_dataset(raw, seed, train_fraction, validation_fraction)
    booster = train(hyperparameters, splits["train"], splits["validation"])
    test = splits["test"]
    report = evaluate.build_report(test.iloc[:, 0].to_numpy(), evaluate.predict(booster, test.iloc[:, 1:].to_numpy()))
    validation = splits["validation"]
    report["validation_mse"] = float(
        np.mean((evaluate.predict(booster, validation.iloc[:, 1:].to_numpy()) - validation.iloc[:, 0]) ** 2)
    )
    report["best_iteration"] = int(getattr(booster, "best_iteration", booster.num_boosted_rounds() - 1))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train and evaluate the Abalone model locally.")
    parser.add_argument("--data", default=os.environ.get("ABALONE_CSV"), help="UCI Abalone CSV (or ABALONE_CSV)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a hyperparameter")
    args = parser.parse_args(argv)
    if not args.data:
        parser.error("give --data PATH or set ABALONE_CSV")
    hyperparameters = dict(DEFAULT_HYPERPARAMETERS)
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in hyperparameters or not value:
            parser.error(f"--set {item}: expected NAME=VALUE with NAME in {', '.join(hyperparameters)}")
        hyperparameters[name] = value
    raw = preprocess.read_raw([args.data])
    for seed in args.seeds:
        report = evaluate_split(raw, seed, hyperparameters)
        print(json.dumps({"seed": seed, **report}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
