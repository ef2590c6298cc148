"""Exact one-step solutions of the small dynamic systems the bench is built from.

Every function advances a state by ``dt_s`` seconds using the closed-form
solution of its differential equation, so the result does not depend on how a
span of time is cut into steps, and none of them overshoots its target.

>>> round(first_order_step(0.0, 1.0, 1.0, 1.0), 6)   # 1 - 1/e
0.632121
>>> limited_first_order_step(25.0, 125.0, 30.0, 10.0 / 60.0, 60.0)  # ramp-limited
35.0
"""

from __future__ import annotations

import math


def first_order_step(current: float, target: float, time_constant_s: float, dt_s: float) -> float:
    """Advance ``dx/dt = (target - x) / tau`` by ``dt_s`` with ``target`` held constant."""
    return target + (current - target) * math.exp(-dt_s / time_constant_s)


def first_order_ramped_step(
    current: float, start_target: float, end_target: float, time_constant_s: float, dt_s: float
) -> float:
    """Advance ``dx/dt = (u - x) / tau`` by ``dt_s`` while ``u`` moves linearly.

    ``u`` goes from ``start_target`` to ``end_target`` over the step (a
    first-order hold), which is exact for a ramping input and keeps a lagging
    stage accurate even when the step is long.
    """
    if dt_s <= 0:
        return current
    kept = math.exp(-dt_s / time_constant_s)
    gained = -math.expm1(-dt_s / time_constant_s)  # 1 - kept, without cancellation
    # Share of the input's ramp already passed on by the end of the step.
    ramp_share = 1.0 - time_constant_s * gained / dt_s
    return current * kept + start_target * gained + (end_target - start_target) * ramp_share


def limited_first_order_step(
    current: float, target: float, time_constant_s: float, max_rate_per_s: float, dt_s: float
) -> float:
    """Advance ``dx/dt = clamp((target - x) / tau, -rate, +rate)`` by ``dt_s``.

    Far from the target the slope is capped: ``x`` moves linearly at the rate
    until the gap shrinks to ``rate * tau`` (where the first-order slope equals
    the rate), then decays exponentially.  Both pieces are solved exactly.
    """
    error = target - current
    gap = abs(error)
    knee = max_rate_per_s * time_constant_s
    if gap > knee:
        linear_s = (gap - knee) / max_rate_per_s
        if dt_s <= linear_s:
            return current + math.copysign(max_rate_per_s * dt_s, error)
        gap = knee
        dt_s -= linear_s
    return target - math.copysign(gap * math.exp(-dt_s / time_constant_s), error)


def limited_first_order_time_to_gap(
    gap: float, window: float, time_constant_s: float, max_rate_per_s: float
) -> float:
    """Seconds for the gap of :func:`limited_first_order_step` to shrink to ``window``.

    >>> limited_first_order_time_to_gap(100.0, 5.0, 30.0, 10.0 / 60.0)  # linear only
    570.0
    """
    if gap <= window:
        return 0.0
    if window <= 0:
        return math.inf
    knee = max_rate_per_s * time_constant_s
    linear_s = 0.0
    if gap > knee:
        if window >= knee:
            return (gap - window) / max_rate_per_s
        linear_s = (gap - knee) / max_rate_per_s
        gap = knee
    return linear_s + time_constant_s * math.log(gap / window)
