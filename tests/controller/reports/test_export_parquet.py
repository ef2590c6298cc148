"""``mfg-ctl export --parquet``: the CSV's rows, types kept, as pyarrow and pandas read them."""

from __future__ import annotations

import csv
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from mfg_ctl.analytics.records import ATTEMPT_FIELDS
from mfg_ctl.report.tables import ATTEMPT_COLUMNS, ColumnType
from mfg_ctl.run.events import (
    RunFinished,
    RunStarted,
    StepFinished,
    StepVerdict,
    UnitIdentity,
)
from mfg_ctl.store import RunStore
from tests.controller.cli.support import BRINGUP, ROOT, Ctl, run_id_of
from tests.controller.reports.support import ARROW_TYPES

T0 = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)



def known_steps(run_id: str, at: datetime) -> list[StepFinished]:
    """Four steps with known values: a pass, a fail on its 2nd attempt, an error, a skip."""

    def finished(number: int, verdict: StepVerdict, detail: str, **extra: Any) -> StepFinished:
        return StepFinished(
            run_id, number, f"step_{number}", "dmm", "dc_voltage", "read", verdict, detail,
            duration_s=0.5, finished_at=at + timedelta(seconds=number), **extra,
        )  # fmt: skip

    return [
        finished(1, "pass", "measured 4.98", measured=4.98, low=4.9, high=5.1,
                 requirements=("REQ-1", "REQ-2")),
        finished(2, "fail", "measured 4000, expected 5000 +/- 50", measured=4000.0,
                 expected=5000.0, low=4950.0, high=5050.0, attempts=2),
        finished(3, "error", "no reply within 0.2 s", measured=None, error_code="timeout"),
        finished(4, "skipped", "skipped: an earlier step failed", measured=None),
    ]  # fmt: skip


def store_run(db: Path, run_id: str, at: datetime = T0, batch_id: str = "B1") -> None:
    """Record a failed run of :func:`known_steps`, started ``at``, straight into the store."""
    identity = UnitIdentity(f"SN-{run_id}", batch_id, "ST1", "EVT", "ana")
    steps = known_steps(run_id, at)
    started = RunStarted(
        run_id, "bringup", "plans/bringup.yaml", "name: bringup\n", (), "custom", at,
        len(steps), identity=identity, plan_version="1.2",
    )  # fmt: skip
    end = RunFinished(run_id, "fail", 1, 1, 1, 4.5, at + timedelta(seconds=4.5))
    with RunStore(f"sqlite:///{db}") as store:
        store.record_run([started, *steps, end])


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def as_csv_cell(value: Any) -> str:
    """A Parquet value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def test_both_files_hold_the_same_rows(ctl: Ctl, isolated: Path, tmp_path: Path) -> None:
    store_run(isolated, "run-a" + "0" * 27, T0)
    store_run(isolated, "run-b" + "0" * 27, T0 + timedelta(hours=1))
    store_run(isolated, "run-c" + "0" * 27, T0, batch_id="B2")
    csv_out, parquet_out = tmp_path / "b1.csv", tmp_path / "b1.parquet"
    result = ctl("export", "--batch-id", "B1", "--csv", csv_out, "--parquet", parquet_out)
    assert result.status == 0, result.err
    assert result.err == f"wrote 8 step result(s) of 2 run(s) to {csv_out} and {parquet_out}\n"
    from_parquet = pq.read_table(parquet_out).to_pylist()
    from_csv = csv_rows(csv_out)
    assert len(from_parquet) == len(from_csv) == 8
    for parquet_row, csv_row in zip(from_parquet, from_csv, strict=True):
        assert list(parquet_row) == list(ATTEMPT_FIELDS)
        assert {name: as_csv_cell(value) for name, value in parquet_row.items()} == csv_row
    assert [row["run_id"][:5] for row in from_parquet] == ["run-a"] * 4 + ["run-b"] * 4


def test_the_parquet_file_keeps_each_value_s_type(ctl: Ctl, isolated: Path, tmp_path: Path) -> None:
    store_run(isolated, "f" * 32)
    out = tmp_path / "run.parquet"
    assert ctl("export", "--run-id", "ffff", "--parquet", out).status == 0
    table = pq.read_table(out)
    for name, kind in ATTEMPT_COLUMNS.items():
        assert table.schema.field(name).type.equals(ARROW_TYPES[kind]), name
    columns = table.to_pydict()
    assert columns["value"] == [4.98, 4000.0, None, None]
    assert (columns["low"], columns["high"]) == ([4.9, 4950.0, None, None],
                                                 [5.1, 5050.0, None, None])  # fmt: skip
    assert columns["status"] == ["pass", "fail", "error", "skipped"]
    assert columns["attempt"] == [1, 2, 1, 0]
    assert columns["step_index"] == [1, 2, 3, 4]
    assert columns["error_code"] == [None, None, "timeout", None]
    assert columns["unit"] == [None] * 4
    assert columns["requirements"] == [["REQ-1", "REQ-2"], [], [], []]
    assert columns["run_started"] == [T0] * 4
    assert columns["started"][0] == T0 + timedelta(seconds=0.5)
    assert columns["finished"][3] == T0 + timedelta(seconds=4)
    assert columns["run_status"] == ["failed"] * 4
    assert columns["plan_version"] == ["1.2"] * 4


def test_pandas_reads_the_documented_dtypes(ctl: Ctl, isolated: Path, tmp_path: Path) -> None:
    store_run(isolated, "f" * 32)
    out = tmp_path / "run.parquet"
    assert ctl("export", "--run-id", "ffff", "--parquet", out).status == 0
    frame = pd.read_parquet(out)
    assert list(frame.columns) == list(ATTEMPT_FIELDS)
    for name in ("run_started", "started", "finished"):
        assert str(frame[name].dtype) == "datetime64[us, UTC]", name
    for name in ("value", "low", "high"):
        assert str(frame[name].dtype) == "float64", name
    assert (str(frame["step_index"].dtype), str(frame["attempt"].dtype)) == ("int64", "int64")
    assert pd.api.types.is_string_dtype(frame["sn"])
    assert frame["value"].isna().tolist() == [False, False, True, True]
    assert frame["error_code"].isna().tolist() == [True, True, False, True]
    assert list(frame["requirements"][0]) == ["REQ-1", "REQ-2"]
    assert frame["finished"][0] == pd.Timestamp("2026-03-04T08:00:01Z")


def documented_types() -> dict[str, str]:
    """The Exports section's table of columns: name -> Parquet type as written there."""
    text = (ROOT / "doc" / "controller.rst").read_text(encoding="utf-8")
    kinds = "|".join(re.escape(kind.value) for kind in ColumnType)
    row = re.compile(rf"^``(\w+)``\s+``({kinds})``\s", re.MULTILINE)
    return dict(row.findall(text))


def test_the_doc_lists_every_column_with_its_parquet_type() -> None:
    assert documented_types() == {name: kind.value for name, kind in ATTEMPT_COLUMNS.items()}
    assert list(documented_types()) == list(ATTEMPT_FIELDS)


def test_a_real_bring_up_run_exports_its_readings_as_floats(ctl: Ctl, tmp_path: Path) -> None:
    json_out = tmp_path / "run.json"
    assert ctl("run", BRINGUP, "--sn", "SN1", "--json-out", json_out).status == 0
    csv_out, parquet_out = tmp_path / "run.csv", tmp_path / "run.parquet"
    run_id = run_id_of(json_out)
    result = ctl("export", "--run-id", run_id, "--parquet", parquet_out, "--csv", csv_out)
    assert result.status == 0, result.err
    frame = pd.read_parquet(parquet_out)
    assert len(frame) == 11
    dmm = frame[frame["step"] == "check_dmm_dc_voltage"].iloc[0]
    assert (dmm["value"], dmm["low"], dmm["high"]) == (4980.0, 4950.0, 5050.0)
    assert (frame["started"] <= frame["finished"]).all()
    assert csv_rows(csv_out)[8]["value"] == "4980.0"


def test_without_pyarrow_nothing_is_written(
    ctl: Ctl, isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_run(isolated, "f" * 32)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    csv_out, parquet_out = tmp_path / "run.csv", tmp_path / "run.parquet"
    result = ctl("export", "--run-id", "ffff", "--csv", csv_out, "--parquet", parquet_out)
    assert (result.status, result.err) == (
        2,
        "error: Parquet export needs pyarrow: pip install 'simulators[reports]'\n",
    )
    assert not csv_out.exists()
    assert not parquet_out.exists()
    assert ctl("export", "--run-id", "ffff", "--csv", csv_out).status == 0

