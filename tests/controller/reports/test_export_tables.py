"""Typed tables (mfg_ctl.report.tables): events.csv's text, Parquet with its declared types."""

from __future__ import annotations

import errno
import io
import math
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from mfg_ctl.analytics.records import ATTEMPT_FIELDS
from mfg_ctl.artifacts.files import attempt_rows_csv
from mfg_ctl.report.tables import (
    ATTEMPT_COLUMNS,
    PARQUET_NEEDS,
    ColumnType,
    ParquetUnavailableError,
    Table,
    TableError,
)
from tests.controller.reports.support import ARROW_TYPES

T0 = datetime(2026, 3, 4, 5, 6, 7, 125000, tzinfo=UTC)


#: The TempCo raw readings: a second table, declared the same way.
READING_COLUMNS = {
    "at": ColumnType.TIMESTAMP,
    "elapsed_s": ColumnType.FLOAT,
    "setpoint_c": ColumnType.FLOAT,
    "chamber_c": ColumnType.FLOAT,
    "dut_c": ColumnType.FLOAT,
    "vout_v": ColumnType.FLOAT,
}


def attempt_row(**changes: Any) -> dict[str, Any]:
    """One step result as the export makes it; ``changes`` replace fields."""
    row: dict[str, Any] = {
        "run_id": "0123456789abcdef",
        "batch_id": "B7",
        "station_id": "ST1",
        "stage": "EVT",
        "sn": "SN0042",
        "operator": "ana",
        "plan": "bringup",
        "plan_version": "1.2",
        "plan_hash": "c0ffee",
        "run_status": "failed",
        "run_started": T0,
        "step": "check_dmm",
        "step_index": 2,
        "attempt": 2,
        "status": "fail",
        "value": 4000.0,
        "low": 4950.0,
        "high": 5050.0,
        "unit": None,
        "error_code": None,
        "reason": 'measured 4000, expected "5000", +/- 50',
        "requirements": ("REQ-1", "REQ-2"),
        "started": T0 + timedelta(seconds=1),
        "finished": T0 + timedelta(seconds=1.5),
    }
    assert set(changes) <= set(row)
    return row | changes


ROWS = [
    attempt_row(),
    attempt_row(
        step="read_tc",
        step_index=3,
        attempt=1,
        status="error",
        value=None,
        low=None,
        high=None,
        error_code="timeout",
        reason="no reply",
        requirements=(),
    ),
    attempt_row(
        step="park",
        step_index=4,
        attempt=0,
        status="skipped",
        value=math.nan,
        unit="mV",
        plan_hash=None,
        requirements=("REQ-9",),
    ),
]


def parquet_of(table: Table) -> pa.Table:
    return pq.read_table(io.BytesIO(table.to_parquet_bytes()))


def test_the_attempt_columns_are_the_events_fields_in_order() -> None:
    assert tuple(ATTEMPT_COLUMNS) == ATTEMPT_FIELDS
    table = Table.from_rows(ATTEMPT_COLUMNS, ROWS)
    assert table.names == ATTEMPT_FIELDS
    assert table.row_count == 3


def test_the_csv_is_exactly_what_events_csv_holds() -> None:
    table = Table.from_rows(ATTEMPT_COLUMNS, ROWS)
    assert table.to_csv_text() == attempt_rows_csv(ROWS, header=True)
    lines = table.to_csv_text().splitlines()
    assert lines[0] == ",".join(ATTEMPT_FIELDS)
    assert ",4000.0,4950.0,5050.0,," in lines[1]
    assert lines[1].endswith(
        "REQ-1;REQ-2,2026-03-04T05:06:08.125000+00:00,2026-03-04T05:06:08.625000+00:00"
    )


def test_an_empty_table_is_its_header_alone() -> None:
    table = Table.from_rows(ATTEMPT_COLUMNS, [])
    assert table.to_csv_text() == ",".join(ATTEMPT_FIELDS) + "\n"
    assert parquet_of(table).num_rows == 0


def test_the_parquet_file_has_the_declared_types() -> None:
    schema = parquet_of(Table.from_rows(ATTEMPT_COLUMNS, ROWS)).schema
    assert schema.names == list(ATTEMPT_FIELDS)
    for name, kind in ATTEMPT_COLUMNS.items():
        assert schema.field(name).type.equals(ARROW_TYPES[kind]), name
    assert str(schema.field("run_started").type) == "timestamp[us, tz=UTC]"


def test_parquet_values_are_the_rows_with_missing_ones_null() -> None:
    columns = parquet_of(Table.from_rows(ATTEMPT_COLUMNS, ROWS)).to_pydict()
    assert columns["value"] == [4000.0, None, None]  # missing and NaN alike: null, never NaN
    assert columns["low"] == [4950.0, None, 4950.0]
    assert columns["error_code"] == [None, "timeout", None]
    assert columns["unit"] == [None, None, "mV"]
    assert columns["plan_hash"] == ["c0ffee", "c0ffee", None]
    assert columns["requirements"] == [["REQ-1", "REQ-2"], [], ["REQ-9"]]
    assert columns["step_index"] == [2, 3, 4]
    assert columns["run_started"] == [T0] * 3
    assert columns["finished"][0] == T0 + timedelta(seconds=1.5)
    assert columns["reason"][0] == 'measured 4000, expected "5000", +/- 50'


def test_times_with_an_offset_or_none_are_kept_in_utc() -> None:
    rows = [
        attempt_row(run_started="2026-03-04T06:06:07.125+01:00"),
        attempt_row(run_started=datetime(2026, 3, 4, 5, 6, 7, 125000)),  # naive: UTC
    ]
    table = Table.from_rows(ATTEMPT_COLUMNS, rows)
    assert parquet_of(table).column("run_started").to_pylist() == [T0, T0]
    assert "2026-03-04T05:06:07.125000+00:00" in table.to_csv_text()


def test_requirements_joined_by_semicolons_become_a_list() -> None:
    table = Table.from_rows(ATTEMPT_COLUMNS, [attempt_row(requirements="R1;R2")])
    assert parquet_of(table).column("requirements").to_pylist() == [["R1", "R2"]]


def test_a_second_table_needs_only_its_column_declaration() -> None:
    readings = [
        {
            "at": T0,
            "elapsed_s": 0.0,
            "setpoint_c": 25,
            "chamber_c": 24.9,
            "dut_c": 25.1,
            "vout_v": 5.0001,
        },
        {
            "at": T0 + timedelta(seconds=60),
            "elapsed_s": 60.0,
            "setpoint_c": 85,
            "chamber_c": 84.7,
            "dut_c": None,
            "vout_v": 5.0123,
        },
    ]
    table = Table.from_rows(READING_COLUMNS, readings)
    assert table.to_csv_text().splitlines() == [
        "at,elapsed_s,setpoint_c,chamber_c,dut_c,vout_v",
        "2026-03-04T05:06:07.125000+00:00,0.0,25.0,24.9,25.1,5.0001",
        "2026-03-04T05:07:07.125000+00:00,60.0,85.0,84.7,,5.0123",
    ]
    read = parquet_of(table)
    assert read.schema.field("setpoint_c").type == pa.float64()
    assert read.column("dut_c").to_pylist() == [25.1, None]


def test_whole_numbers_and_flags_keep_their_types() -> None:
    declared = {"count": ColumnType.INT, "stable": ColumnType.BOOL}
    table = Table.from_rows(
        declared, [{"count": 3, "stable": True}, {"count": None, "stable": False}]
    )
    assert table.to_csv_text() == "count,stable\n3,True\n,False\n"
    read = parquet_of(table)
    assert (read.schema.field("count").type, read.schema.field("stable").type) == (
        pa.int64(),
        pa.bool_(),
    )
    assert read.to_pydict() == {"count": [3, None], "stable": [True, False]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"step_index": "3"}, "row 2: step_index must be a whole number, not '3'"),
        ({"attempt": True}, "row 2: attempt must be a whole number, not True"),
        ({"value": "4.98"}, "row 2: value must be a number, not '4.98'"),
        ({"sn": 42}, "row 2: sn must be text, not a number"),
        (
            {"run_started": "yesterday"},
            "row 2: run_started must be an ISO 8601 time, not 'yesterday'",
        ),
        ({"requirements": [1, 2]}, "row 2: requirements must be a list of text, not [1, 2]"),
    ],
)
def test_a_value_that_does_not_fit_names_its_row_and_column(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(TableError) as caught:
        Table.from_rows(ATTEMPT_COLUMNS, [attempt_row(), attempt_row(**changes)])
    assert str(caught.value) == message


def test_a_row_without_a_declared_column_is_refused() -> None:
    row = attempt_row()
    del row["unit"]
    with pytest.raises(TableError, match=r"^row 1 has no unit$"):
        Table.from_rows(ATTEMPT_COLUMNS, [row])


def test_write_parquet_replaces_the_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "steps.parquet"
    path.write_bytes(b"an older export")
    Table.from_rows(ATTEMPT_COLUMNS, ROWS).write_parquet(path)
    assert pq.read_table(path).num_rows == 3
    assert os.listdir(tmp_path) == ["steps.parquet"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file_and_no_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    path = tmp_path / "steps.parquet"
    path.write_bytes(b"an older export")
    monkeypatch.setattr(os, "fsync", disk_full)
    table = Table.from_rows(ATTEMPT_COLUMNS, ROWS)
    for write in (table.write_parquet, table.write_csv):
        with pytest.raises(OSError, match="No space left on device"):
            write(path)
        assert path.read_bytes() == b"an older export"
        assert os.listdir(tmp_path) == ["steps.parquet"]


def test_a_folder_in_the_way_is_an_os_error_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "steps.parquet").mkdir()
    with pytest.raises(IsADirectoryError):
        Table.from_rows(ATTEMPT_COLUMNS, ROWS).write_parquet(tmp_path / "steps.parquet")
    assert os.listdir(tmp_path) == ["steps.parquet"]


def test_without_pyarrow_parquet_is_one_line_and_the_file_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    path = tmp_path / "steps.parquet"
    table = Table.from_rows(ATTEMPT_COLUMNS, ROWS)
    with pytest.raises(ParquetUnavailableError) as caught:
        table.write_parquet(path)
    assert str(caught.value) == PARQUET_NEEDS
    assert not path.exists()
    table.write_csv(tmp_path / "steps.csv")  # CSV needs no pyarrow
    assert (tmp_path / "steps.csv").read_text() == table.to_csv_text()

