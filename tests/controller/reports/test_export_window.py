"""``mfg-ctl export --since/--until``: the runs started in a time window; bad input, one line."""

from __future__ import annotations

import errno
import os
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from tests.controller.cli.support import Ctl
from tests.controller.reports.test_export_csv import rows_of
from tests.controller.reports.test_export_parquet import T0, store_run

#: Runs started at 08:00, 09:00, 10:00 and 11:00 UTC on 2026-03-04, one batch each.
HOURLY = [f"{hour:02d}" + "0" * 30 for hour in range(8, 12)]


@pytest.fixture
def hourly(isolated: Path) -> list[str]:
    """Four stored runs an hour apart (ids ``08000...`` to ``11000...``), newest first stored."""
    for number, run_id in reversed(list(enumerate(HOURLY))):
        store_run(isolated, run_id, T0 + timedelta(hours=number), batch_id=f"B{number}")
    return HOURLY


def exported_runs(ctl: Ctl, tmp_path: Path, *window: str) -> list[str]:
    """The run ids of a window's export, one per run in row order (CSV and Parquet agree)."""
    csv_out, parquet_out = tmp_path / "w.csv", tmp_path / "w.parquet"
    result = ctl("export", *window, "--csv", csv_out, "--parquet", parquet_out)
    assert result.status == 0, result.err
    from_csv = [row["run_id"] for row in rows_of(csv_out)]
    assert pq.read_table(parquet_out).column("run_id").to_pylist() == from_csv
    return list(dict.fromkeys(from_csv))


@pytest.mark.parametrize(
    ("window", "picked"),
    [
        (("--since", "2026-03-04T09:00", "--until", "2026-03-04T11:00"), [1, 2]),
        (("--since", "2026-03-04T09:00:00Z", "--until", "2026-03-04T10:00:00.000001Z"), [1, 2]),
        (("--since", "2026-03-04T08:59:59", "--until", "2026-03-04T09:00:01"), [1]),
        (("--since", "2026-03-04T10:00"), [2, 3]),
        (("--since", "2026-03-04"), [0, 1, 2, 3]),
        (("--since", "2026-03-04T11:00+02:00", "--until", "2026-03-04T12:00+02:00"), [1]),
    ],
)
def test_a_window_picks_exactly_the_runs_started_in_it_oldest_first(
    ctl: Ctl, hourly: list[str], tmp_path: Path, window: tuple[str, ...], picked: list[int]
) -> None:
    assert exported_runs(ctl, tmp_path, *window) == [hourly[number] for number in picked]


def test_the_window_export_says_what_it_wrote(ctl: Ctl, hourly: list[str], tmp_path: Path) -> None:
    out = tmp_path / "w.parquet"
    result = ctl("export", "--since", "2026-03-04T09:00", "--parquet", out)
    assert (result.status, result.err) == (0, f"wrote 12 step result(s) of 3 run(s) to {out}\n")
    assert set(pq.read_table(out).column("batch_id").to_pylist()) == {"B1", "B2", "B3"}


ONE_OF = "error: give exactly one of --run-id, --batch-id and --since [--until]"
SINCE = "--since", "2026-03-04T09:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), ONE_OF),
        (("--run-id", "08", *SINCE), ONE_OF),
        (("--batch-id", "B1", "--until", "2026-03-05"), ONE_OF),
        (("--until", "2026-03-05"), "error: --until ends a time window: give --since too"),
        (
            ("--since", "2026-03-04T10:00", "--until", "2026-03-04T10:00"),
            "error: --since 2026-03-04T10:00:00+00:00 is not before "
            "--until 2026-03-04T10:00:00+00:00",
        ),
        (
            ("--since", "2026-03-04T12:00+02:00", "--until", "2026-03-04T09:00"),
            "error: --since 2026-03-04T10:00:00+00:00 is not before "
            "--until 2026-03-04T09:00:00+00:00",
        ),
        (
            ("--since", "tomorrow"),
            "error: --since 'tomorrow' is not an ISO 8601 date or time, e.g. 2026-11-02T09:00",
        ),
        (
            ("--since", "2026-03-05"),
            "error: no recorded run started since 2026-03-05T00:00:00+00:00; see mfg-ctl runs",
        ),
        (
            ("--since", "2026-03-04T06:00", "--until", "2026-03-04T08:00"),
            "error: no recorded run started since 2026-03-04T06:00:00+00:00 "
            "until 2026-03-04T08:00:00+00:00; see mfg-ctl runs",
        ),
    ],
)
def test_a_bad_selection_is_one_line_and_writes_nothing(
    ctl: Ctl, hourly: list[str], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    csv_out, parquet_out = tmp_path / "x.csv", tmp_path / "x.parquet"
    result = ctl("export", *args, "--csv", csv_out, "--parquet", parquet_out)
    assert (result.status, result.err, result.out) == (2, message + "\n", "")
    assert not csv_out.exists()
    assert not parquet_out.exists()


def test_an_export_needs_a_file_to_write(ctl: Ctl, hourly: list[str], tmp_path: Path) -> None:
    nowhere = ctl("export", *SINCE)
    assert (nowhere.status, nowhere.err) == (
        2,
        "error: say where to write: --csv FILE, --parquet FILE, or both\n",
    )
    same = tmp_path / "x"
    twice = ctl("export", *SINCE, "--csv", same, "--parquet", same)
    assert (twice.status, twice.err) == (
        2,
        "error: --csv and --parquet name the same file: give two\n",
    )
    assert not same.exists()


@pytest.mark.parametrize("bad", ["parquet", "csv"])
def test_a_path_that_cannot_be_written_leaves_both_files_unwritten(
    ctl: Ctl, hourly: list[str], tmp_path: Path, bad: str
) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    missing = tmp_path / "no" / "such" / "dir" / "x"
    good = {"csv": tmp_path / "good.csv", "parquet": tmp_path / "good.parquet"}
    expected = {
        folder: f"error: cannot write {folder}: it is a folder; give a file name\n",
        missing: f"error: cannot write {missing}: there is no folder {missing.parent}\n",
    }
    for path, message in expected.items():
        outputs = good | {bad: path}
        result = ctl("export", *SINCE, "--csv", outputs["csv"], "--parquet", outputs["parquet"])
        assert (result.status, result.err) == (2, message)
        assert not any(path.exists() for path in good.values())
    assert not missing.parent.parent.parent.exists()
    assert list(folder.iterdir()) == []


def test_a_failing_write_is_one_line_and_leaves_no_partial_file(
    ctl: Ctl, hourly: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    out = tmp_path / "w.parquet"
    out.write_bytes(b"last week's export")
    before = set(tmp_path.iterdir())
    monkeypatch.setattr(os, "fsync", disk_full)
    result = ctl("export", *SINCE, "--parquet", out)
    assert (result.status, result.err) == (
        2,
        f"error: cannot write {out}: No space left on device\n",
    )
    assert out.read_bytes() == b"last week's export"
    assert set(tmp_path.iterdir()) == before
