"""Typed tables: columns declared once, written as CSV or as Parquet with their types kept.

A table is ordered :class:`Column`\\ s, each a name, a :class:`ColumnType` and
its values. An export declares its columns once (name -> type, as
:data:`ATTEMPT_COLUMNS` does for the step results of ``mfg-ctl export``) and
builds the table from rows with :meth:`Table.from_rows`; another table needs
only another declaration. The CSV is the text a batch's ``events.csv`` holds
(the same writer); the Parquet file keeps each type: times as UTC timestamps,
readings as floats, requirement ids as lists. A missing value (None, or a
reading that is not a finite number) is null in Parquet and an empty cell in
CSV. pyarrow is imported only when a Parquet file is made.

>>> table = Table.from_rows({"sn": ColumnType.STRING, "value": ColumnType.FLOAT},
...                         [{"sn": "SN1", "value": 4.98}, {"sn": "SN2", "value": None}])
>>> print(table.to_csv_text(), end="")
sn,value
SN1,4.98
SN2,
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from mfg_ctl.analytics.figures import utc
from mfg_ctl.artifacts.files import csv_text, replace_file
from mfg_ctl.run.events import SweepReading
from mfg_ctl.store import StoredRun
from mfg_ctl.wording import clip, describe_type

__all__ = [
    "ATTEMPT_COLUMNS",
    "PARQUET_NEEDS",
    "READING_COLUMNS",
    "Column",
    "ColumnType",
    "ParquetUnavailableError",
    "Table",
    "TableError",
    "reading_rows",
    "require_parquet",
    "step_rows",
]

#: The one line a Parquet export says when pyarrow is not installed.
PARQUET_NEEDS = "Parquet export needs pyarrow: pip install 'simulators[reports]'"


class ColumnType(StrEnum):
    """What a column holds; the value is its Parquet (Arrow) type, as the docs name it."""

    STRING = "string"
    INT = "int64"
    FLOAT = "float64"
    BOOL = "bool"
    TIMESTAMP = "timestamp[us, tz=UTC]"
    STRINGS = "list<string>"


class TableError(ValueError):
    """A value does not fit its column's type; one line naming the column and the row."""


class ParquetUnavailableError(RuntimeError):
    """pyarrow is not installed, so no Parquet file can be made (:data:`PARQUET_NEEDS`)."""


#: The step results of ``mfg-ctl export``: every field of :data:`ATTEMPT_FIELDS`, in order.
ATTEMPT_COLUMNS: dict[str, ColumnType] = {
    **dict.fromkeys(
        ("run_id", "batch_id", "station_id", "stage", "sn", "operator", "plan"),
        ColumnType.STRING,
    ),
    "plan_version": ColumnType.STRING,
    "plan_hash": ColumnType.STRING,
    "run_status": ColumnType.STRING,
    "run_started": ColumnType.TIMESTAMP,
    "step": ColumnType.STRING,
    "step_index": ColumnType.INT,
    "attempt": ColumnType.INT,
    "status": ColumnType.STRING,
    "value": ColumnType.FLOAT,
    "low": ColumnType.FLOAT,
    "high": ColumnType.FLOAT,
    "unit": ColumnType.STRING,
    "error_code": ColumnType.STRING,
    "reason": ColumnType.STRING,
    "requirements": ColumnType.STRINGS,
    "started": ColumnType.TIMESTAMP,
    "finished": ColumnType.TIMESTAMP,
}

#: The columns of a TempCo sweep's raw readings (``mfg-ctl export --readings``): one row per
#: DMM reading; ``seq`` counts a step's readings from 0, ``elapsed_s`` is bench seconds.
READING_COLUMNS: dict[str, ColumnType] = {
    "run_id": ColumnType.STRING,
    "sn": ColumnType.STRING,
    "step_index": ColumnType.INT,
    "seq": ColumnType.INT,
    "at": ColumnType.TIMESTAMP,
    "elapsed_s": ColumnType.FLOAT,
    "setpoint_c": ColumnType.FLOAT,
    "chamber_c": ColumnType.FLOAT,
    "dut_c": ColumnType.FLOAT,
    "vout_v": ColumnType.FLOAT,
}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise TypeError(f"text, not {describe_type(value)}")


def _whole(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"a whole number, not {clip(value)}")


def _real(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) if math.isfinite(value) else None
    raise TypeError(f"a number, not {clip(value)}")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"true or false, not {clip(value)}")


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, str):
        try:
            return utc(datetime.fromisoformat(value))
        except ValueError:
            pass
    raise TypeError(f"an ISO 8601 time, not {clip(value)}")


def _texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # events.csv's form: ids joined by ';'
        return tuple(part for part in value.split(";") if part)
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise TypeError(f"a list of text, not {clip(value)}")


#: How a row's value becomes a column's (None stays None); TypeError says what was wanted.
_COERCE: dict[ColumnType, Callable[[Any], Any]] = {
    ColumnType.STRING: _text,
    ColumnType.INT: _whole,
    ColumnType.FLOAT: _real,
    ColumnType.BOOL: _flag,
    ColumnType.TIMESTAMP: _moment,
    ColumnType.STRINGS: _texts,
}


def _csv_cell(kind: ColumnType, value: Any) -> str:
    """A value as events.csv shows it: empty for null, ISO times, ids joined by ``;``."""
    if value is None:
        return ""
    if kind is ColumnType.TIMESTAMP:
        return str(value.isoformat())
    if kind is ColumnType.STRINGS:
        return ";".join(value)
    return str(value)


@dataclass(frozen=True)
class Column:
    """One column: its name, its type and its values (None where a value is missing)."""

    name: str
    kind: ColumnType
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """Columns of equal length, in order; build one with :meth:`from_rows`."""

    columns: tuple[Column, ...]

    @classmethod
    def from_rows(
        cls, declared: Mapping[str, ColumnType], rows: Iterable[Mapping[str, Any]]
    ) -> Table:
        """The table of ``rows`` (mappings keyed by the declared names), each value checked.

        Numbers become floats in a float column, ISO text a UTC time in a
        timestamp column (a naive time counts as UTC), ``;``-joined text a list;
        anything else that does not fit is a :class:`TableError`.
        """
        cells: dict[str, list[Any]] = {name: [] for name in declared}
        for number, row in enumerate(rows, start=1):
            for name, kind in declared.items():
                if name not in row:
                    raise TableError(f"row {number} has no {name}")
                value = row[name]
                try:
                    cells[name].append(None if value is None else _COERCE[kind](value))
                except TypeError as wanted:
                    raise TableError(f"row {number}: {name} must be {wanted}") from None
        return cls(tuple(Column(name, kind, tuple(cells[name])) for name, kind in declared.items()))

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(column.name for column in self.columns)

    @property
    def row_count(self) -> int:
        """How many rows the table has."""
        return len(self.columns[0].values) if self.columns else 0

    def to_csv_text(self) -> str:
        """The table as CSV: a header of the names, then one line per row (events.csv's form)."""
        formatted = [
            [_csv_cell(column.kind, value) for value in column.values] for column in self.columns
        ]
        return csv_text(self.names, zip(*formatted, strict=True))

    def to_parquet_bytes(self) -> bytes:
        """The table as a Parquet file's bytes, each column of its declared Arrow type.

        ParquetUnavailableError without pyarrow.
        """
        arrow, parquet = _pyarrow()
        types = {
            ColumnType.STRING: arrow.string(),
            ColumnType.INT: arrow.int64(),
            ColumnType.FLOAT: arrow.float64(),
            ColumnType.BOOL: arrow.bool_(),
            ColumnType.TIMESTAMP: arrow.timestamp("us", tz="UTC"),
            ColumnType.STRINGS: arrow.list_(arrow.string()),
        }
        schema = arrow.schema([arrow.field(c.name, types[c.kind]) for c in self.columns])
        data = [arrow.array(list(c.values), type=types[c.kind]) for c in self.columns]
        sink = arrow.BufferOutputStream()
        parquet.write_table(arrow.Table.from_arrays(data, schema=schema), sink)
        return bytes(sink.getvalue().to_pybytes())

    def write_csv(self, path: Path) -> None:
        """Replace ``path`` with :meth:`to_csv_text` at once; OSError if it cannot be written."""
        replace_file(path, self.to_csv_text())

    def write_parquet(self, path: Path) -> None:
        """Replace ``path`` with the Parquet file at once: never a half-written file.

        ParquetUnavailableError without pyarrow (``path`` untouched); OSError if it
        cannot be written.
        """
        replace_file(path, self.to_parquet_bytes())


def require_parquet() -> None:
    """ParquetUnavailableError unless pyarrow can be imported: check before writing anything."""
    _pyarrow()


def _pyarrow() -> tuple[Any, Any]:
    """pyarrow and its Parquet module, imported only now (slow to import), or the error."""
    try:
        import pyarrow  # type: ignore[import-untyped]  # noqa: PLC0415 - only Parquet needs it
        from pyarrow import parquet  # noqa: PLC0415 - likewise
    except ImportError:
        raise ParquetUnavailableError(PARQUET_NEEDS) from None
    return pyarrow, parquet


def step_rows(run: StoredRun) -> list[dict[str, Any]]:
    """One row per step result of a stored run, keyed by the events.csv fields."""
    head = {
        "run_id": run.run_id,
        "batch_id": run.batch_id,
        "station_id": run.station_id,
        "stage": run.stage,
        "sn": run.sn,
        "operator": run.operator,
        "plan": run.plan_name,
        "plan_version": run.plan_version,
        "plan_hash": run.plan_hash,
        "run_status": run.status,
        "run_started": run.started_at,
    }
    return [
        {
            **head,
            "step": step.name,
            "step_index": step.number,
            "attempt": 0 if step.verdict == "skipped" else step.attempts,
            "status": step.verdict,
            "value": step.measured,
            "low": step.low,
            "high": step.high,
            "unit": step.unit or None,
            "error_code": step.error_code or None,
            "reason": step.detail,
            "requirements": step.requirements,
            "started": step.finished_at - timedelta(seconds=step.duration_s),
            "finished": step.finished_at,
        }
        for step in run.steps
    ]


def reading_rows(
    run: StoredRun, readings_by_step: Mapping[int, Sequence[SweepReading]]
) -> list[dict[str, Any]]:
    """One row per raw sweep reading of a stored run, step by step (:data:`READING_COLUMNS`)."""
    rows = []
    for number, readings in sorted(readings_by_step.items()):
        for seq, reading in enumerate(readings):
            rows.append(
                {
                    "run_id": run.run_id,
                    "sn": run.sn,
                    "step_index": number,
                    "seq": seq,
                    **asdict(reading),
                }
            )
    return rows
