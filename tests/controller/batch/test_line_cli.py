"""``mfg-ctl line``: real station processes writing to one store, and the table they earn.

The store is read behind the product's back with plain SQL, and the printed
table is compared with that count. The PostgreSQL case is skipped, with one
line saying why, only when no server answers (tests/controller/store/backends.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.controller.batch.support import PLAN
from tests.controller.cli.support import ROOT, Ctl
from tests.controller.store.backends import fresh_url, query

#: A hang guard on the whole line, never a budget: CI runs it under two CPU hogs.
LINE_TIMEOUT_S = 300


def run_line(db_url: str, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``mfg-ctl line`` of 12 units on 3 stations, 2 slots each, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "mfg_ctl", "line", "--stations", "3", "--units", "12",
         "--parallel", "2", "--plan", str(PLAN), "--line-id", "L1", "--db", db_url,
         "--artifacts", str(tmp_path / "runs"), "--json-out", str(tmp_path / "line.json"),
         *extra],
        capture_output=True, text=True, timeout=LINE_TIMEOUT_S, cwd=ROOT, check=False,
    )


def table_of(out: str) -> dict[str, list[str]]:
    """The printed table: its first column -> the row's cells."""
    rows = [line.split() for line in out.splitlines() if line and not line.startswith("-")]
    return {row[0]: row[1:] for row in rows[1:]}


def assert_line_recorded(db_url: str, tmp_path: Path) -> None:
    """Run the line; the store holds 12 unique units in 3 batches, as the table says."""
    result = run_line(db_url, tmp_path)
    runs = query(db_url, "SELECT batch_id, sn, status FROM test_runs WHERE batch_id LIKE 'L1-%'")
    assert len(runs) == 12
    assert len({sn for _batch, sn, _status in runs}) == 12
    tested = Counter(str(batch) for batch, _sn, _status in runs)
    passed = Counter(str(batch) for batch, _sn, status in runs if status == "passed")
    assert sorted(tested.items()) == [("L1-ST01", 4), ("L1-ST02", 4), ("L1-ST03", 4)]
    table = table_of(result.stdout)
    for station in ("ST01", "ST02", "ST03"):
        batch = f"L1-{station}"
        assert table[station][:4] == [batch, "4", str(passed[batch]), str(4 - passed[batch])]
    total_passed = sum(passed.values())
    assert table["line"][:4] == ["L1", "12", str(total_passed), str(12 - total_passed)]
    assert table["line"][5] == f"{100 * total_passed / 12:.1f}%"
    assert result.returncode == (0 if total_passed == 12 else 1), result.stderr
    written = json.loads((tmp_path / "line.json").read_text(encoding="utf-8"))
    assert [row["tested"] for row in written["stations"]] == [4, 4, 4]
    assert written["total"]["passed"] == total_passed
    assert written["total"]["units_per_s"] > 0


def test_a_line_on_sqlite_records_every_unit_once(tmp_path: Path) -> None:
    assert_line_recorded(f"sqlite:///{tmp_path / 'line.db'}", tmp_path)


def test_a_line_on_postgresql_records_every_unit_once(tmp_path: Path) -> None:
    for url in fresh_url("postgresql", tmp_path):
        assert_line_recorded(url.replace("postgresql+psycopg://", "postgresql://", 1), tmp_path)


def test_each_station_keeps_its_own_run_folder_and_log(tmp_path: Path) -> None:
    run_line(f"sqlite:///{tmp_path / 'line.db'}", tmp_path)
    stations = sorted(path.name for path in (tmp_path / "runs" / "L1").iterdir())
    assert stations == ["ST01", "ST02", "ST03"]
    for station in stations:
        folder = tmp_path / "runs" / "L1" / station
        assert (folder / "batch.log").stat().st_size > 0
        assert len([path for path in folder.iterdir() if path.is_dir()]) == 1


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--stations", "0"], "--stations 0: give 1 to 64 stations"),
        (["--stations", "65"], "--stations 65: give 1 to 64 stations"),
        (["--units", "0"], "--units 0: give 1 to 100000 units"),
        (["--parallel", "65"], "--parallel 65: give 1 to 64 units at once"),
        (["--line-id", "a line"], "line id 'a line' is not usable"),
        (["--plan", "nowhere.yaml"], "nowhere.yaml"),
        (["--line-id", "L" * 49], "is longer than 48 characters"),
    ],
)
def test_bad_options_exit_2_with_one_line_and_start_nothing(
    ctl: Ctl, tmp_path: Path, options: list[str], said: str
) -> None:
    result = ctl("line", "--artifacts", str(tmp_path / "runs"), *options)
    assert result.status == 2
    assert result.err.count("\n") == 1, result.err
    assert said in result.err
    assert not (tmp_path / "runs").exists()


def test_a_line_id_already_used_exits_2_before_any_station_starts(
    ctl: Ctl, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'line.db'}"
    first = ctl("line", "--stations", "1", "--units", "1", "--line-id", "L2", "--db", db,
                "--artifacts", str(tmp_path / "runs"))
    assert first.status in (0, 1), first.err
    again = ctl("line", "--stations", "1", "--units", "1", "--line-id", "L2", "--db", db,
                "--artifacts", str(tmp_path / "again"))
    assert again.status == 2
    assert again.err == "error: batch L2-ST01 already exists: give another --line-id\n"
    assert not (tmp_path / "again").exists()
