"""Issue 16, errors that say what to do, early: bad data and a bad --report path stop the sandbox with exit 2
before any cloud starts; Ctrl-C works even when the process inherited SIGINT ignored."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from sandbox import __main__ as cli
from sandbox import data

GOOD_ROW = "M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\n"


def _csv(*extra: str) -> bytes:
    return (GOOD_ROW * 120 + "".join(extra)).encode()


def test_a_non_numeric_cell_names_the_line_the_column_and_the_fix() -> None:
    with pytest.raises(data.DataError) as raised:
        data.validate(_csv("F,0.5,0.4,abc,0.5,0.2,0.1,0.15,9\n"), "x.csv")
    assert str(raised.value) == (
        "x.csv: line 121, column 4 (height) is 'abc', not a number; fix or remove that row"
    )


@pytest.mark.parametrize("cell", ["nan", "inf", ""])
def test_non_finite_or_empty_cells_are_refused(cell: str) -> None:
    with pytest.raises(data.DataError, match=r"line 121, column 9 \(rings\)"):
        data.validate(_csv(f"I,0.5,0.4,0.1,0.5,0.2,0.1,0.15,{cell}\n"), "x.csv")


def test_a_file_that_is_not_utf8_is_refused_with_the_fix() -> None:
    content = _csv() + "M,0.5,0.4,0.1,0.5,0.2,0.1,0.15,9 caf\xe9\n".encode("latin-1")
    with pytest.raises(data.DataError) as raised:
        data.validate(content, "x.csv")
    assert "not UTF-8 text" in str(raised.value)
    assert "0xe9" in str(raised.value)
    assert "iconv" in str(raised.value)


def test_the_real_row_shape_passes() -> None:
    assert data.validate(_csv(), "x.csv") == 120


def test_a_bad_report_path_exits_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--report", str(tmp_path)]) == 2  # a directory
    assert f"--report {tmp_path} is a directory" in capsys.readouterr().err
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert cli.main(["--report", str(blocker / "report.json")]) == 2  # under a file
    assert "is not a directory" in capsys.readouterr().err


def test_ctrl_c_works_even_when_sigint_was_inherited_ignored(tmp_path: Path) -> None:
    saved = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert cli.main(["--report", str(tmp_path)]) == 2
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, saved)
