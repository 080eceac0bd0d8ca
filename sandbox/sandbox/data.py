"""The Abalone training data for the sandbox: a given file, a download, or a loudly announced synthetic set.

Order: `--data PATH`, then the `ABALONE_CSV` environment variable, then the public UCI file (when online),
then a synthetic set with the same schema (9 columns, no header) and a warning that says so.
"""

from __future__ import annotations

import csv
import io
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

UCI_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/abalone/abalone.data"
COLUMNS = 9
NUMERIC_COLUMNS = (
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
    "rings",
)
SAMPLE_FILES_BUCKET = "sagemaker-sample-files"
SAMPLE_KEY = "datasets/tabular/uci_abalone/abalone.csv"


class DataError(Exception):
    """The given data file cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Dataset:
    content: bytes
    source: str
    rows: int
    synthetic: bool


def validate(content: bytes, source: str) -> int:
    """Row count of a headerless 9-column Abalone CSV; DataError naming the first bad line otherwise."""
    rows = 0
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{source}: not UTF-8 text (byte {exc.start} is 0x{content[exc.start]:02x}); give the UCI Abalone "
            "CSV as plain text, e.g. `iconv -f latin1 -t utf-8`"
        ) from None
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row:
            continue
        if len(row) != COLUMNS:
            raise DataError(
                f"{source}: line {number} has {len(row)} columns; expected the 9 UCI Abalone columns "
                "(sex,length,diameter,height,whole_weight,shucked_weight,viscera_weight,shell_weight,rings), no header"
            )
        if row[0] not in ("M", "F", "I"):
            raise DataError(f"{source}: line {number}: sex must be M, F or I (is the first line a header?)")
        for column, cell in enumerate(row[1:], start=2):
            try:
                value = float(cell)
            except ValueError:
                value = float("nan")
            if value != value or value in (float("inf"), float("-inf")):  # not a finite number
                raise DataError(
                    f"{source}: line {number}, column {column} ({NUMERIC_COLUMNS[column - 2]}) is {cell!r}, "
                    "not a number; fix or remove that row"
                )
        rows += 1
    if rows < 100:
        raise DataError(f"{source}: only {rows} rows; the pipeline needs at least 100")
    return rows


def synthetic(rows: int = 4177, seed: int = 7) -> bytes:
    """Rows with Abalone's schema and plausible relations (rings grow with shell weight), not real data."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    lines = []
    for _ in range(rows):
        sex = rng.choice("MFI")
        length = rng.uniform(0.1, 0.8)
        diameter = length * rng.uniform(0.75, 0.82)
        height = diameter * rng.uniform(0.3, 0.4)
        whole = 2.5 * length**3 * rng.uniform(0.8, 1.2) + 0.002
        shucked, viscera, shell = whole * 0.43, whole * 0.22, whole * 0.29
        rings = max(1, round(3 + 25 * shell + rng.gauss(0, 1.8) + (1.5 if sex != "I" else 0)))
        values = [length, diameter, height, whole, shucked, viscera, shell]
        lines.append(",".join([sex, *(f"{v:.4f}" for v in values), str(rings)]))
    return ("\n".join(lines) + "\n").encode()


def load(path: str | None, log: Callable[[str], None], timeout_s: float = 10.0) -> Dataset:
    """The dataset to serve at s3://sagemaker-sample-files/... in the local S3."""
    given = path or os.environ.get("ABALONE_CSV")
    if given:
        file = Path(given)
        if not file.is_file():
            origin = "--data" if path else "ABALONE_CSV"
            raise DataError(f"{origin}={given}: no such file")
        content = file.read_bytes()
        return Dataset(content, str(file), validate(content, str(file)), False)
    try:
        import requests

        response = requests.get(UCI_URL, timeout=timeout_s)
        response.raise_for_status()
        content = response.content
        return Dataset(content, UCI_URL, validate(content, UCI_URL), False)
    except Exception as exc:  # offline or the site is down: fall back, loudly
        log(
            "WARNING: no --data, no ABALONE_CSV and the UCI download failed "
            f"({type(exc).__name__}); using a SYNTHETIC data set with Abalone's schema. "
            "Metrics are not comparable to real Abalone results."
        )
        content = synthetic()
        return Dataset(content, "synthetic", validate(content, "synthetic"), True)
