#!/usr/bin/env python3
"""Benchmark the seed build repo's model: mean test MSE over 10 split seeds on UCI Abalone.

Uses the seed repo's own code unchanged: ``preprocess.py`` (features, seeded 70/15/15 split),
``local_train.py`` (the built-in XGBoost training call with the pipeline's default
hyperparameters, early stopping on the validation split) and ``evaluate.py`` (the report the
quality gate reads). Prints per-seed validation and test MSE, then the mean test MSE.

    scripts/bench_seed_model.py --data ../shared/data/abalone.csv      # or ABALONE_CSV=...
    scripts/bench_seed_model.py --seeds 0 1 2 --json                   # machine-readable

Target: mean test MSE <= 4.45 over seeds 0-9. Hyperparameters were chosen on validation MSE;
the test column is reported, never used for choices.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_MEAN_TEST_MSE = 4.45


def _import_seed_code() -> tuple[Any, Any, Any]:
    seed_repo = str(ROOT / "seed_build_repo")
    if seed_repo not in sys.path:
        sys.path.insert(0, seed_repo)
    modules = ("hyperparameters", "local_train", "preprocess")
    hyperparameters, local_train, preprocess = (
        importlib.import_module(f"pipelines.abalone.{m}") for m in modules
    )
    return hyperparameters, local_train, preprocess


def run(data: str, seeds: list[int]) -> dict[str, Any]:
    hyperparameters, local_train, preprocess = _import_seed_code()
    raw = preprocess.read_raw([data])
    rows = []
    started = time.perf_counter()
    for seed in seeds:
        report = local_train.evaluate_split(raw, seed, hyperparameters.DEFAULT_HYPERPARAMETERS)
        rows.append(
            {
                "seed": seed,
                "validation_mse": report["validation_mse"],
                "test_mse": report["regression_metrics"]["mse"]["value"],
                "test_r2": report["regression_metrics"]["r2"]["value"],
                "best_iteration": report["best_iteration"],
            }
        )
    mean_test = sum(r["test_mse"] for r in rows) / len(rows)
    mean_validation = sum(r["validation_mse"] for r in rows) / len(rows)
    return {
        "data": data,
        "rows": len(raw),
        "hyperparameters": dict(hyperparameters.DEFAULT_HYPERPARAMETERS),
        "seeds": rows,
        "mean_validation_mse": mean_validation,
        "mean_test_mse": mean_test,
        "target_mean_test_mse": TARGET_MEAN_TEST_MSE,
        "meets_target": mean_test <= TARGET_MEAN_TEST_MSE,
        "seconds": round(time.perf_counter() - started, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--data", default=os.environ.get("ABALONE_CSV"), help="UCI Abalone CSV (or ABALONE_CSV)"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if not args.data or not Path(args.data).is_file():
        parser.error("give --data PATH (or ABALONE_CSV) pointing at the UCI Abalone CSV")
    result = run(args.data, args.seeds)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{'seed':>4}  {'val MSE':>8}  {'test MSE':>8}  {'test R2':>7}  {'trees':>5}")
        for row in result["seeds"]:
            print(
                f"{row['seed']:>4}  {row['validation_mse']:8.4f}  {row['test_mse']:8.4f}  "
                f"{row['test_r2']:7.4f}  {row['best_iteration'] + 1:>5}"
            )
        print(
            f"mean validation MSE {result['mean_validation_mse']:.4f}; "
            f"mean test MSE {result['mean_test_mse']:.4f} over {len(result['seeds'])} seeds "
            f"(target <= {TARGET_MEAN_TEST_MSE}: {'met' if result['meets_target'] else 'NOT met'}); "
            f"{result['seconds']}s"
        )
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
