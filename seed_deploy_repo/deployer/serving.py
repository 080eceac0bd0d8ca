"""The built-in XGBoost serving format: ``text/csv`` feature rows in, ``text/csv`` predictions out."""

from __future__ import annotations

import math
import re
from pathlib import Path

from deployer.errors import DeployerError

CONTENT_TYPE = "text/csv"
_SEPARATORS = re.compile(r"[,\r\n]+")


def load_sample_rows(path: Path) -> list[str]:
    """Feature rows (no target column, no header); blank lines and ``#`` comment lines are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DeployerError(f"{path}: sample rows file not found (smoke_test.sample_rows_file)") from None
    rows: list[str] = []
    width: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        row = line.strip()
        if not row or row.startswith("#"):
            continue
        fields = row.split(",")
        try:
            values = [float(field) for field in fields]
        except ValueError:
            raise DeployerError(f"{path}:{number}: every field must be a number, got {row!r}") from None
        if not all(math.isfinite(value) for value in values):
            raise DeployerError(f"{path}:{number}: fields must be finite numbers, got {row!r}")
        if width is not None and len(fields) != width:
            raise DeployerError(f"{path}:{number}: {len(fields)} columns, but earlier rows have {width}")
        width = len(fields)
        rows.append(row)
    if not rows:
        raise DeployerError(f"{path}: no sample rows (one CSV row of features per line)")
    return rows


def parse_predictions(body: str) -> list[float]:
    """Predictions separated by newlines or commas (the container uses either, depending on version).

    Values that are not numbers raise ``ValueError``; ``nan`` and ``inf`` parse, so that the caller can
    report them as non-finite predictions rather than as a format error.
    """
    tokens = [token.strip() for token in _SEPARATORS.split(body) if token.strip()]
    predictions: list[float] = []
    for token in tokens:
        try:
            predictions.append(float(token))
        except ValueError:
            raise ValueError(f"not a number in the endpoint's response: {token[:60]!r}") from None
    return predictions
