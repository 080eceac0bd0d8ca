"""The two seed repos meet at the endpoint: the deploy repo's smoke-test rows must be in exactly the
serving format the build repo's preprocessing produces (same columns, same engineered features)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from pipelines.abalone import preprocess

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ROWS = ROOT / "seed_deploy_repo" / "config" / "sample-rows.csv"


def sample_pairs() -> list[tuple[list[str], list[float]]]:
    """(raw measurements from the `# raw:` comment, feature row beneath it) for every sample row."""
    pairs: list[tuple[list[str], list[float]]] = []
    raw: list[str] | None = None
    for line in SAMPLE_ROWS.read_text().splitlines():
        if line.startswith("# raw:"):
            raw = [field.strip() for field in line.removeprefix("# raw:").split(",")]
        elif line and not line.startswith("#"):
            assert raw is not None, f"feature row without a '# raw:' comment above it: {line}"
            pairs.append((raw, [float(v) for v in line.split(",")]))
            raw = None
    return pairs


def test_there_are_smoke_test_rows() -> None:
    assert len(sample_pairs()) >= 5


@pytest.mark.parametrize(("raw", "row"), sample_pairs())
def test_smoke_rows_are_what_the_build_preprocessing_makes(raw: list[str], row: list[float]) -> None:
    frame = pd.DataFrame([[raw[0], *map(float, raw[1:]), 0.0]], columns=preprocess.RAW_COLUMNS)
    features = preprocess.engineer_features(frame)
    assert list(features.columns) == preprocess.FEATURE_COLUMNS
    assert len(row) == len(preprocess.FEATURE_COLUMNS)
    expected = features.iloc[0].tolist()
    for name, want, got in zip(preprocess.FEATURE_COLUMNS, expected, row, strict=True):
        assert math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-6), (
            f"{name}: row has {got}, build makes {want}"
        )
