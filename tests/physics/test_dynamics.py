"""The one-step solutions agree with their closed forms, however time is cut."""

import math

import pytest

from simulators.physics.dynamics import (
    first_order_ramped_step,
    first_order_step,
    limited_first_order_step,
    limited_first_order_time_to_gap,
)

RATE = 10.0 / 60.0  # C/s
TAU = 30.0  # s


def test_first_order_step_composes_exactly():
    one = first_order_step(0.0, 10.0, 5.0, 7.0)
    x = 0.0
    for _ in range(700):
        x = first_order_step(x, 10.0, 5.0, 0.01)
    assert x == pytest.approx(one, abs=1e-12)
    assert one == pytest.approx(10.0 * (1 - math.exp(-7.0 / 5.0)), abs=1e-12)


def test_ramped_step_matches_closed_form_for_a_ramp_input():
    # x' = (u - x)/tau with u = s*t from x(0) = 0: x = s*(t - tau*(1 - exp(-t/tau)))
    slope, tau, t = 0.5, 5.0, 12.0
    expected = slope * (t - tau * (1 - math.exp(-t / tau)))
    assert first_order_ramped_step(0.0, 0.0, slope * t, tau, t) == pytest.approx(expected, 1e-12)
    x = 0.0
    for k in range(1200):
        x = first_order_ramped_step(x, slope * k * 0.01, slope * (k + 1) * 0.01, tau, 0.01)
    assert x == pytest.approx(expected, abs=1e-9)


def test_ramped_step_with_constant_input_is_first_order_and_zero_dt_is_identity():
    assert first_order_ramped_step(1.0, 4.0, 4.0, 2.0, 3.0) == pytest.approx(
        first_order_step(1.0, 4.0, 2.0, 3.0), abs=1e-12
    )
    assert first_order_ramped_step(1.0, 4.0, 9.0, 2.0, 0.0) == 1.0


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_limited_step_is_linear_then_exponential_and_never_overshoots(sign):
    start, target = 0.0, sign * 100.0
    # 95 C of linear travel at RATE, then an exponential from the knee (5 C).
    assert limited_first_order_step(start, target, TAU, RATE, 60.0) == pytest.approx(sign * 10.0)
    after = limited_first_order_step(start, target, TAU, RATE, 600.0)
    assert after == pytest.approx(target - sign * 5.0 * math.exp(-30.0 / TAU), abs=1e-12)
    assert limited_first_order_step(start, target, TAU, RATE, 1e6) == target


def test_time_to_gap_covers_every_segment():
    assert limited_first_order_time_to_gap(0.3, 0.5, TAU, RATE) == 0.0
    assert limited_first_order_time_to_gap(1.0, 0.0, TAU, RATE) == math.inf
    assert limited_first_order_time_to_gap(100.0, 10.0, TAU, RATE) == pytest.approx(540.0)
    assert limited_first_order_time_to_gap(100.0, 0.5, TAU, RATE) == pytest.approx(
        570.0 + TAU * math.log(10.0)
    )
    assert limited_first_order_time_to_gap(4.0, 0.5, TAU, RATE) == pytest.approx(
        TAU * math.log(8.0)
    )
