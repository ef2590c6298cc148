"""Chamber air against closed forms: first-order step, ramp-limited step, stability."""

import math

import pytest

from simulators.physics import Chamber, ChamberParams

TAU_S = 30.0
RATE_C_PER_S = 10.0 / 60.0
KNEE_C = RATE_C_PER_S * TAU_S  # gap below which the ramp limit no longer binds: 5 C


def stable(chamber: Chamber) -> bool:
    """Read the flag through a call, so type checkers do not narrow it between ticks."""
    return chamber.stable


def run(chamber: Chamber, until_s: float, dt_s: float, elapsed_s: float = 0.0) -> float:
    """Tick ``chamber`` in steps of ``dt_s`` from ``elapsed_s`` to ``until_s``."""
    for _ in range(round((until_s - elapsed_s) / dt_s)):
        chamber.tick(dt_s)
    return until_s


@pytest.mark.parametrize("dt_s", [0.01, 1.0])
def test_small_step_follows_first_order_closed_form(dt_s):
    chamber = Chamber()
    chamber.setpoint_c = 29.0  # a 4 C step stays below the 5 C knee
    elapsed = 0.0
    for t in (1.0, 10.0, 30.0, 60.0, 150.0):
        elapsed = run(chamber, t, dt_s, elapsed)
        expected = 29.0 + (25.0 - 29.0) * math.exp(-t / TAU_S)
        assert chamber.air_c == pytest.approx(expected, abs=1e-9), t


@pytest.mark.parametrize("dt_s", [0.01, 1.0])
def test_large_step_ramps_at_the_rate_then_decays(dt_s):
    chamber = Chamber()
    chamber.setpoint_c = 125.0
    linear_end_s = (100.0 - KNEE_C) / RATE_C_PER_S  # 570 s: gap == rate * tau
    elapsed = 0.0
    for t in (60.0, 120.0, 300.0, 570.0):
        elapsed = run(chamber, t, dt_s, elapsed)
        assert chamber.air_c == pytest.approx(25.0 + 10.0 * t / 60.0, abs=1e-9), t
    for t in (571.0, 600.0, 660.0, 900.0):
        elapsed = run(chamber, t, dt_s, elapsed)
        expected = 125.0 - KNEE_C * math.exp(-(t - linear_end_s) / TAU_S)
        assert chamber.air_c == pytest.approx(expected, abs=1e-9), t


def test_each_tick_respects_the_ramp_rate():
    chamber = Chamber()
    chamber.setpoint_c = -40.0
    for _ in range(700):
        before = chamber.air_c
        chamber.tick(1.0)
        assert before - chamber.air_c <= RATE_C_PER_S * 1.0 + 1e-12
        assert chamber.air_c >= -40.0


def test_ramp_rate_is_settable():
    chamber = Chamber()
    chamber.ramp_rate_c_per_min = 2.0
    chamber.setpoint_c = 85.0
    chamber.tick(60.0)
    assert chamber.air_c == pytest.approx(27.0)
    assert chamber.ramp_rate_c_per_min == 2.0
    with pytest.raises(ValueError, match="ramp rate"):
        chamber.ramp_rate_c_per_min = 0.0


def test_starts_at_ambient_and_stable():
    chamber = Chamber(ChamberParams(ambient_c=21.0))
    assert (chamber.air_c, chamber.setpoint_c, chamber.stable) == (21.0, 21.0, True)


@pytest.mark.parametrize("dt_s", [0.01, 1.0])
def test_stable_exactly_after_dwell_in_window(dt_s):
    chamber = Chamber()
    chamber.setpoint_c = 30.0  # 5 C: pure exponential, enters the 0.5 C window at tau*ln(10)
    assert not stable(chamber)
    enter_s = TAU_S * math.log(5.0 / 0.5)
    stable_s = enter_s + 30.0  # 99.08 s
    elapsed = run(chamber, 69.0, dt_s)
    assert not stable(chamber)
    assert chamber.time_in_window_s == 0.0
    elapsed = run(chamber, 99.0, dt_s, elapsed)
    assert not stable(chamber)
    assert chamber.time_in_window_s == pytest.approx(99.0 - enter_s, abs=1e-6)
    run(chamber, 100.0, dt_s, elapsed)
    assert stable(chamber)
    assert chamber.time_in_window_s == pytest.approx(100.0 - enter_s, abs=1e-6)
    assert stable_s < 100.0


def test_one_long_tick_counts_only_the_time_inside_the_window():
    chamber = Chamber()
    chamber.setpoint_c = 125.0
    chamber.tick(1000.0)
    enter_s = (100.0 - KNEE_C) / RATE_C_PER_S + TAU_S * math.log(KNEE_C / 0.5)
    assert chamber.time_in_window_s == pytest.approx(1000.0 - enter_s)
    assert stable(chamber)


def test_setpoint_change_restarts_stability():
    chamber = Chamber()
    chamber.setpoint_c = 25.2  # still inside the window, but the dwell restarts
    assert not stable(chamber)
    chamber.tick(29.9)
    assert not stable(chamber)
    chamber.tick(0.1)
    assert stable(chamber)
    chamber.setpoint_c = 25.2  # the same setpoint is not a change
    assert stable(chamber)
    chamber.setpoint_c = 60.0
    assert not stable(chamber)
    assert chamber.time_in_window_s == 0.0
    chamber.tick(1000.0)
    assert stable(chamber)
    chamber.setpoint_c = 20.0  # leaves the window at once
    chamber.tick(1.0)
    assert chamber.time_in_window_s == 0.0
    assert not stable(chamber)


def test_zero_dwell_is_stable_as_soon_as_in_window():
    chamber = Chamber(ChamberParams(stability_time_s=0.0))
    chamber.setpoint_c = 26.0
    assert not stable(chamber)
    chamber.tick(TAU_S * math.log(1.0 / 0.5) + 0.01)
    assert stable(chamber)


@pytest.mark.parametrize("value", [math.nan, math.inf, -300.0])
def test_non_physical_setpoint_is_refused(value):
    chamber = Chamber()
    with pytest.raises(ValueError, match="chamber setpoint"):
        chamber.setpoint_c = value
    assert chamber.setpoint_c == 25.0


def test_non_physical_time_constant_is_refused():
    with pytest.raises(ValueError, match="chamber_time_constant_s"):
        Chamber(time_constant_s=0.0)
