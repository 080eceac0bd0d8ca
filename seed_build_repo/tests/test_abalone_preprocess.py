"""Preprocessing: schema checks, features, the seeded split and the script's file outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipelines.abalone import preprocess


def _raw(rows: list[list[object]]) -> pd.DataFrame:
    return preprocess.validate(pd.DataFrame(rows, columns=preprocess.RAW_COLUMNS))


def test_features_have_fixed_columns_and_hand_checked_values() -> None:
    raw = _raw([["I", 0.5, 0.4, 0.1, 0.8, 0.4, 0.16, 0.2, 9]])
    features = preprocess.engineer_features(raw)
    assert list(features.columns) == preprocess.FEATURE_COLUMNS
    row = features.iloc[0]
    assert (row["sex_F"], row["sex_I"], row["sex_M"]) == (0.0, 1.0, 0.0)
    assert row["shucked_ratio"] == pytest.approx(0.5)
    assert row["viscera_ratio"] == pytest.approx(0.2)
    assert row["shell_ratio"] == pytest.approx(0.25)
    assert row["volume"] == pytest.approx(0.5 * 0.4 * 0.1)
    assert row["density"] == pytest.approx(0.8 / 0.02)


def test_zero_height_does_not_produce_infinite_features() -> None:
    raw = _raw([["M", 0.4, 0.3, 0.0, 0.5, 0.2, 0.1, 0.15, 8]])
    features = preprocess.engineer_features(raw)
    assert np.isfinite(features.to_numpy()).all()


def test_all_sex_columns_exist_even_when_a_category_is_absent() -> None:
    raw = _raw([["M", 0.4, 0.3, 0.1, 0.5, 0.2, 0.1, 0.15, 8]] * 3)
    features = preprocess.engineer_features(raw)
    assert features[["sex_F", "sex_I", "sex_M"]].sum().tolist() == [0.0, 0.0, 3.0]


def test_matrix_puts_target_first() -> None:
    raw = _raw([["F", 0.5, 0.4, 0.1, 0.8, 0.4, 0.16, 0.2, 11]])
    matrix = preprocess.xgboost_matrix(raw)
    assert list(matrix.columns) == ["rings", *preprocess.FEATURE_COLUMNS]
    assert matrix.iloc[0, 0] == 11.0


def test_split_is_reproducible_for_a_seed_and_changes_with_it() -> None:
    first = preprocess.split_indices(1000, 7, 0.7, 0.15)
    again = preprocess.split_indices(1000, 7, 0.7, 0.15)
    other = preprocess.split_indices(1000, 8, 0.7, 0.15)
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


def test_split_is_disjoint_exhaustive_and_sized() -> None:
    train, validation, test = preprocess.split_indices(1000, 3, 0.7, 0.15)
    assert (len(train), len(validation), len(test)) == (700, 150, 150)
    assert set(train).isdisjoint(validation)
    assert set(train).isdisjoint(test)
    assert set(validation).isdisjoint(test)
    assert sorted([*train, *validation, *test]) == list(range(1000))


def test_split_dataset_does_not_leak_rows_between_splits() -> None:
    # Every row is unique (distinct length), so a shared row would show up as a shared length.
    raw = _raw([[s, 0.1 + i / 1000, 0.1, 0.05, 0.2, 0.1, 0.05, 0.06, 5 + i % 10] for i, s in enumerate("MFI" * 40)])
    splits = preprocess.split_dataset(raw, 42, 0.7, 0.15)
    lengths = {name: set(part["length"].round(6)) for name, part in splits.items()}
    assert lengths["train"].isdisjoint(lengths["validation"])
    assert lengths["train"].isdisjoint(lengths["test"])
    assert lengths["validation"].isdisjoint(lengths["test"])
    assert sum(len(p) for p in splits.values()) == 120


@pytest.mark.parametrize(
    ("fractions", "message"),
    [((0.9, 0.1), "leave rows for the test set"), ((0.0, 0.2), "between 0 and 1"), ((0.7, 1.2), "between 0 and 1")],
)
def test_bad_fractions_are_refused(fractions: tuple[float, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        preprocess.split_indices(100, 1, *fractions)


def test_too_few_rows_is_a_clear_error() -> None:
    with pytest.raises(preprocess.SchemaError, match="too few"):
        preprocess.split_indices(3, 1, 0.7, 0.15)


def test_wrong_column_count_names_file_and_expectation(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("M,0.4,0.3,0.1,0.5,0.2,0.1,0.15\n")
    with pytest.raises(preprocess.SchemaError, match=r"bad\.csv: expected 9 columns .* found 8"):
        preprocess.read_raw([str(path)])


@pytest.mark.parametrize(
    ("rows", "edits", "message"),
    [
        (4, {(2, 0): "X"}, r"'sex' must be one of F/I/M; bad rows: data\.csv row 3"),
        (6, {(1, 4): "heavy", (4, 4): -1}, r"'whole_weight' .* data\.csv row 2, data\.csv row 5"),
    ],
    ids=["bad-sex-value", "non-numeric-and-negative"],
)
def test_bad_values_are_reported_with_their_rows(
    tmp_path: Path, make_rows: Any, write_csv: Any, rows: int, edits: dict[tuple[int, int], Any], message: str
) -> None:
    path = tmp_path / "data.csv"
    data = make_rows(rows)
    for (row, column), value in edits.items():
        data[row][column] = value
    write_csv(path, data)
    with pytest.raises(preprocess.SchemaError, match=message):
        preprocess.read_raw([str(path)])


def test_no_input_files_is_a_clear_error() -> None:
    with pytest.raises(preprocess.SchemaError, match="InputDataUrl"):
        preprocess.read_raw([])


def test_a_header_row_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "with_header.csv"
    path.write_text(",".join(preprocess.RAW_COLUMNS) + "\n" + "F,0.5,0.4,0.1,0.8,0.4,0.16,0.2,11\n")
    raw = preprocess.read_raw([str(path)])
    assert len(raw) == 1
    assert raw.loc[0, "rings"] == 11.0


def test_main_writes_headerless_xgboost_csvs_to_the_given_paths(abalone_csv: Path, tmp_path: Path) -> None:
    out = {name: tmp_path / "container" / name for name in ("train", "validation", "test")}
    code = preprocess.main(
        [
            "--input-dir",
            str(abalone_csv.parent),
            "--train-dir",
            str(out["train"]),
            "--validation-dir",
            str(out["validation"]),
            "--test-dir",
            str(out["test"]),
            "--split-seed",
            "5",
        ]
    )
    assert code == 0
    frames = {name: pd.read_csv(out[name] / f"{name}.csv", header=None) for name in out}
    assert [len(frames[n]) for n in ("train", "validation", "test")] == [140, 30, 30]
    for frame in frames.values():
        assert frame.shape[1] == 1 + len(preprocess.FEATURE_COLUMNS)
        # No header: the first row is numeric, and column 0 holds whole ring counts.
        assert pd.api.types.is_numeric_dtype(frame[0])
        assert (frame[0] == frame[0].round()).all()
    original = pd.read_csv(abalone_csv, header=None)
    assert sorted(pd.concat(frames.values())[0].tolist()) == sorted(original[8].astype(float).tolist())


def test_main_output_is_identical_for_the_same_seed(abalone_csv: Path, tmp_path: Path) -> None:
    contents = []
    for run in ("a", "b"):
        assert preprocess.main(["--input-dir", str(abalone_csv.parent), "--output-dir", str(tmp_path / run)]) == 0
        contents.append((tmp_path / run / "train" / "train.csv").read_bytes())
    assert contents[0] == contents[1]


def test_main_defaults_follow_sagemaker_paths_and_env_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    args = preprocess.parse_args([])
    assert args.input_dir == "/opt/ml/processing/input/data"
    assert args.train_dir == "/opt/ml/processing/train"
    assert args.test_dir == "/opt/ml/processing/test"
    monkeypatch.setenv("ABALONE_OUTPUT_DIR", "/tmp/out")
    assert preprocess.parse_args([]).validation_dir == "/tmp/out/validation"


def test_main_fails_with_status_2_and_a_logged_reason_on_bad_input(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.csv").write_text("a,b\n")
    assert preprocess.main(["--input-dir", str(tmp_path / "in"), "--output-dir", str(tmp_path / "out")]) == 2
    assert "expected 9 columns" in caplog.text
    assert not (tmp_path / "out").exists()


def test_failure_reason_is_left_for_sagemaker_when_in_a_container(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.csv").write_text("M,1,2\n")
    (tmp_path / "opt-ml-output").mkdir()
    message = tmp_path / "opt-ml-output" / "message"
    args = ["--input-dir", str(tmp_path / "in"), "--output-dir", str(tmp_path / "out")]
    assert preprocess.main([*args, "--exit-message-file", str(message)]) == 2
    assert message.read_text().startswith("preprocessing failed: x.csv: expected 9 columns")
    # Outside a container the directory does not exist: nothing is written, nothing breaks.
    elsewhere = tmp_path / "missing" / "message"
    assert preprocess.main([*args, "--exit-message-file", str(elsewhere)]) == 2
    assert not elsewhere.parent.exists()
