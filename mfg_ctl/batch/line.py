"""A simulated factory line: units shared out over stations, and each station's figures.

``mfg-ctl line`` runs one ``mfg-ctl batch`` process per station; this module
holds what is not process handling. :func:`share_units` gives every station
its serial numbers (unique across the line, shares differing by at most one);
:func:`station_figures` and :func:`line_figures` count yield and throughput
from the runs the store recorded, so the table shows what the quality team
would query, not what the processes believed. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mfg_ctl.analytics.figures import UnitCounts
from mfg_ctl.analytics.records import UnitRun
from mfg_ctl.analytics.yields import yield_report
from mfg_ctl.batch.units import MAX_UNITS

__all__ = [
    "MAX_STATIONS",
    "MAX_UNITS",
    "LineFigures",
    "StationFigures",
    "line_figures",
    "render_line_text",
    "share_units",
    "station_figures",
    "station_ids",
]

#: The most stations (batch processes) one line starts.
MAX_STATIONS = 64


def station_ids(stations: int) -> tuple[str, ...]:
    """``ST01``, ``ST02``, ...: the ids of a line's stations."""
    width = max(2, len(str(stations)))
    return tuple(f"ST{number:0{width}d}" for number in range(1, stations + 1))


def share_units(units: int, stations: int, prefix: str) -> tuple[tuple[str, ...], ...]:
    """The serial numbers of each station: ``units`` numbered in a row, dealt in blocks.

    The first ``units % stations`` stations test one unit more than the rest; a
    station may get none when there are fewer units than stations.
    """
    if not 1 <= stations <= MAX_STATIONS:
        raise ValueError(f"stations must be 1 to {MAX_STATIONS}, not {stations}")
    if not 1 <= units <= MAX_UNITS:
        raise ValueError(f"units must be 1 to {MAX_UNITS}, not {units}")
    width = len(str(units))
    base, extra = divmod(units, stations)
    shares: list[tuple[str, ...]] = []
    first = 1
    for place in range(stations):
        count = base + (1 if place < extra else 0)
        numbers = range(first, first + count)
        shares.append(tuple(f"{prefix}{number:0{width}d}" for number in numbers))
        first += count
    return tuple(shares)


@dataclass(frozen=True)
class StationFigures(UnitCounts):
    """What one station (or the whole line) tested, and how fast."""

    station_id: str
    batch_id: str
    seconds: float  # wall time: from the first batch's start to the last one's end

    @property
    def units_per_s(self) -> float | None:
        """Units tested per second of wall time (None without any time to divide by)."""
        return self.tested / self.seconds if self.seconds > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values."""
        return {
            "station_id": self.station_id, "batch_id": self.batch_id, "tested": self.tested,
            "passed": self.passed, "failed": self.failed, "first_pass": self.first_pass,
            "fpy": self.fpy, "final_yield": self.final_yield, "seconds": self.seconds,
            "units_per_s": self.units_per_s,
        }


def _seconds(started: datetime, finished: datetime | None) -> float:
    return max(0.0, (finished - started).total_seconds()) if finished else 0.0


def station_figures(
    station_id: str,
    batch_id: str,
    runs: Sequence[UnitRun],
    started: datetime,
    finished: datetime | None,
) -> StationFigures:
    """The figures of one station's batch from its recorded runs and its start and end."""
    report = yield_report(runs)
    return StationFigures(
        tested=report.tested,
        passed=report.passed,
        first_pass=report.first_pass,
        station_id=station_id,
        batch_id=batch_id,
        seconds=_seconds(started, finished),
    )


@dataclass(frozen=True)
class LineFigures:
    """Every station's figures and the line's total."""

    stations: tuple[StationFigures, ...]
    total: StationFigures

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values."""
        return {
            "stations": [station.to_dict() for station in self.stations],
            "total": self.total.to_dict(),
        }


def line_figures(
    line_id: str,
    stations: Sequence[StationFigures],
    started: datetime,
    finished: datetime | None,
) -> LineFigures:
    """The line's total: every station summed, over the line's own wall time."""
    total = StationFigures(
        tested=sum(station.tested for station in stations),
        passed=sum(station.passed for station in stations),
        first_pass=sum(station.first_pass for station in stations),
        station_id="line",
        batch_id=line_id,
        seconds=_seconds(started, finished),
    )
    return LineFigures(tuple(stations), total)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def render_line_text(figures: LineFigures) -> str:
    """The figures as a table for a terminal: one row a station, then the line's total."""
    header = ("station", "batch", "tested", "passed", "failed", "FPY", "final", "units/s")
    rows = [header]
    for station in (*figures.stations, figures.total):
        rows.append((
            station.station_id, station.batch_id, str(station.tested), str(station.passed),
            str(station.failed), _percent(station.fpy), _percent(station.final_yield),
            _rate(station.units_per_s),
        ))
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(width) if column < 2 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    return "\n".join(lines) + "\n"
