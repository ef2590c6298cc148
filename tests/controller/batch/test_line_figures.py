"""The pure part of ``mfg-ctl line``: units shared over stations, and the figures per station."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mfg_ctl.analytics.records import UnitRun
from mfg_ctl.batch.line import (
    MAX_STATIONS,
    line_figures,
    render_line_text,
    share_units,
    station_figures,
    station_ids,
)

START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def unit_run(sn: str, status: str, minute: int = 0) -> UnitRun:
    """A run of unit ``sn`` on station ST01 in stage MP."""
    return UnitRun(
        run_id=f"r-{sn}-{minute}", sn=sn, batch_id="L-ST01", station_id="ST01", stage="MP",
        operator="op", plan_name="dut_functional", plan_version="1", plan_hash="h",
        started=START + timedelta(minutes=minute), status=status,
    )


def test_units_are_shared_in_blocks_differing_by_at_most_one() -> None:
    shares = share_units(10, 3, "U")
    assert shares == (("U01", "U02", "U03", "U04"), ("U05", "U06", "U07"), ("U08", "U09", "U10"))


def test_every_serial_number_is_given_once_across_the_line() -> None:
    shares = share_units(1000, 7, "L-")
    every = [sn for share in shares for sn in share]
    assert len(every) == len(set(every)) == 1000
    assert {len(share) for share in shares} == {142, 143}


def test_fewer_units_than_stations_leaves_the_last_stations_idle() -> None:
    assert share_units(2, 4, "U") == (("U1",), ("U2",), (), ())


@pytest.mark.parametrize(("units", "stations"), [(0, 1), (1, 0), (1, MAX_STATIONS + 1)])
def test_counts_out_of_bounds_are_refused(units: int, stations: int) -> None:
    with pytest.raises(ValueError, match="must be 1 to"):
        share_units(units, stations, "U")


def test_station_ids_sort_as_they_are_numbered() -> None:
    assert station_ids(3) == ("ST01", "ST02", "ST03")
    assert station_ids(64)[-1] == "ST64"


def test_station_figures_count_units_not_runs() -> None:
    runs = [unit_run("A", "failed", 0), unit_run("A", "passed", 1), unit_run("B", "passed", 2),
            unit_run("C", "error", 3), unit_run("D", "passed", 4)]
    figures = station_figures("ST01", "L-ST01", runs, START, START + timedelta(seconds=8))
    assert (figures.tested, figures.passed, figures.failed, figures.first_pass) == (4, 3, 1, 2)
    assert (figures.fpy, figures.final_yield, figures.units_per_s) == (0.5, 0.75, 0.5)


def test_a_batch_that_never_finished_has_no_throughput() -> None:
    figures = station_figures("ST01", "L-ST01", [unit_run("A", "passed")], START, None)
    assert figures.units_per_s is None
    assert station_figures("ST02", "L-ST02", [], START, START).fpy is None


def test_the_line_total_sums_stations_over_the_line_wall_time() -> None:
    one = station_figures("ST01", "L-ST01", [unit_run("A", "passed")], START, START)
    two = station_figures(
        "ST02", "L-ST02", [unit_run("B", "failed"), unit_run("C", "passed")], START, START
    )
    total = line_figures("L", [one, two], START, START + timedelta(seconds=2)).total
    assert (total.tested, total.passed, total.failed, total.units_per_s) == (3, 2, 1, 1.5)


def test_the_table_has_a_row_per_station_and_the_total_last() -> None:
    one = station_figures(
        "ST01", "L-ST01", [unit_run("A", "passed"), unit_run("B", "failed")],
        START, START + timedelta(seconds=4),
    )
    text = render_line_text(line_figures("L", [one], START, START + timedelta(seconds=4)))
    rows = [line.split() for line in text.splitlines()]
    assert rows[0] == ["station", "batch", "tested", "passed", "failed", "FPY", "final", "units/s"]
    assert rows[1] == ["ST01", "L-ST01", "2", "1", "1", "50.0%", "50.0%", "0.50"]
    assert set(rows[2][0]) == {"-"}
    assert rows[3] == ["line", "L", "2", "1", "1", "50.0%", "50.0%", "0.50"]
