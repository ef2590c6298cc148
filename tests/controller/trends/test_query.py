"""The measured-series query: one SELECT, filtered as asked, oldest run first."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from mfg_ctl.store import RunStore
from mfg_ctl.store.series import SeriesFilter
from tests.controller.trends.support import EPOCH, Step, record_runs


@pytest.fixture
def history(db: Path) -> Path:
    """Two plans, two stations, two units; a step that sometimes measured nothing."""
    record_runs(
        db,
        [Step("volts", [1.0, 2.0, 3.0]), Step("amps", [10.0, None, 30.0], register="current")],
        plan="alpha", station_id="ST1", sn="SN1",
    )
    record_runs(db, [Step("volts", [4.0, 5.0])], plan="alpha", station_id="ST2", sn="SN2", first=3)
    record_runs(db, [Step("volts", [7.0, 8.0])], plan="beta", station_id="ST1", sn="SN1", first=5)
    return db


def _read(db: Path, **wanted: object) -> list[tuple[str, str, float]]:
    with RunStore(f"sqlite:///{db}") as store:
        columns = store.measured_columns(SeriesFilter(**wanted))  # type: ignore[arg-type]
    return list(zip(columns.plan_name, columns.step_name, columns.measured, strict=True))


def test_everything_measured_comes_back_in_run_order_without_unmeasured_steps(
    history: Path,
) -> None:
    assert _read(history) == [
        ("alpha", "volts", 1.0), ("alpha", "amps", 10.0), ("alpha", "volts", 2.0),
        ("alpha", "volts", 3.0), ("alpha", "amps", 30.0), ("alpha", "volts", 4.0),
        ("alpha", "volts", 5.0), ("beta", "volts", 7.0), ("beta", "volts", 8.0),
    ]


@pytest.mark.parametrize(
    ("wanted", "values"),
    [
        ({"plan": "beta"}, [7.0, 8.0]),
        ({"step": "amps"}, [10.0, 30.0]),
        ({"register": "current"}, [10.0, 30.0]),
        ({"station_id": "ST2"}, [4.0, 5.0]),
        ({"sn": "SN1", "step": "volts"}, [1.0, 2.0, 3.0, 7.0, 8.0]),
        ({"plan": "alpha", "step": "volts", "last": 2}, [4.0, 5.0]),
        ({"step": "volts", "since": EPOCH.replace(minute=4)}, [5.0, 7.0, 8.0]),
        ({"plan": "alpha", "station_id": "ST1", "last": 2}, [2.0, 3.0, 30.0]),
    ],
)
def test_each_filter_narrows_the_results(
    history: Path, wanted: dict[str, object], values: list[float]
) -> None:
    assert [value for _plan, _step, value in _read(history, **wanted)] == values


def test_last_counts_runs_that_measured_the_step_asked_for(history: Path) -> None:
    # Run 2 of alpha measured no amps: the newest two runs with amps are runs 1 and 3.
    assert [value for *_, value in _read(history, step="amps", last=2)] == [10.0, 30.0]


def test_nothing_matching_gives_empty_columns(history: Path) -> None:
    with RunStore(f"sqlite:///{history}") as store:
        columns = store.measured_columns(SeriesFilter(step="nope"))
    assert len(columns) == 0
    assert columns.run_id == []


def test_one_statement_reads_the_whole_history(history: Path) -> None:
    statements: list[str] = []
    with RunStore(f"sqlite:///{history}") as store:
        engine = store._engine
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        columns = store.measured_columns(SeriesFilter(plan="alpha", last=2))
    assert columns.measured == [4.0, 5.0]
    selects = [text for text in statements if text.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1, statements


def test_steps_and_plans_with_results_are_listed_for_error_lines(history: Path) -> None:
    with RunStore(f"sqlite:///{history}") as store:
        assert store.measured_plans() == ["alpha", "beta"]
        assert store.measured_steps() == ["amps", "volts"]
        assert store.measured_steps("beta") == ["volts"]
