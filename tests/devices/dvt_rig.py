"""What the dvt_bench tests share: the bench's parameters, a rig on a manual clock, helpers.

The tests drive the Systems directly (``parse_chunk`` and the ``system_*``
commands through :func:`~simulators.commands.dispatch`) on a bench that follows
a :class:`ManualClock`, so simulated time moves only when a test says so.
"""

from __future__ import annotations

import math

from simulators.commands import CustomCommand, dispatch
from simulators.devices.dvt_bench.bench import Bench, load_params
from simulators.devices.dvt_bench.instruments import (
    Multimeter,
    PowerSupply,
    ThermalChamber,
)
from simulators.devices.dvt_bench.scpi_system import ScpiInstrument
from simulators.utils import ManualClock

# From the package's profile.yaml (the reference station's bench parameters).
AMBIENT_C = 25.0
TAU_S = 30.0
RATE_C_PER_S = 10.0 / 60.0
WINDOW_C = 0.5
DWELL_S = 30.0
V0 = 3.3
TEMPCO = 50e-6
THETA_JC, THETA_CA = 15.0, 5.0
LOAD_A = 0.1
IQ_A = 50e-6


#: The profile with 1 s model steps instead of 10 ms. Every stage is solved in
#: closed form per step, so the answers agree with 100 Hz to ~1e-8 while long
#: simulated spans cost a hundredth of the CPU. The socket tests use the profile.
COARSE = {"physics": {"update_rate_hz": 1.0}}


class Rig:
    """The three instruments on one bench that follows a manual clock."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.bench = Bench(load_params(COARSE), clock=self.clock)
        self.chamber = ThermalChamber(self.bench)
        self.psu = PowerSupply(self.bench)
        self.dmm = Multimeter(self.bench)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


def ask(instrument: ScpiInstrument, message: str) -> str:
    """Send one program message that must produce exactly one reply; return it."""
    replies = instrument.parse_chunk(message.encode() + b"\n")
    assert len(replies) == 1, replies
    assert replies[0].endswith(b"\n")
    return replies[0].decode().rstrip("\n")


def number(instrument: ScpiInstrument, message: str) -> float:
    return float(ask(instrument, message))


def send(instrument: ScpiInstrument, message: str) -> None:
    """Send a program message that must not produce a reply."""
    assert instrument.parse_chunk(message.encode() + b"\n") == []


def error(instrument: ScpiInstrument) -> str:
    return ask(instrument, "SYST:ERR?")


def custom(instrument: ScpiInstrument, name: str, *args: str) -> str:
    return dispatch(instrument, CustomCommand(name, args))


def expected_air(t_s: float, start: float, target: float) -> float:
    """The chamber air, in closed form: linear at the ramp rate, then first-order."""
    gap = abs(target - start)
    sign = math.copysign(1.0, target - start)
    knee = RATE_C_PER_S * TAU_S
    linear_s = max(0.0, (gap - knee) / RATE_C_PER_S)
    if t_s <= linear_s:
        return start + sign * RATE_C_PER_S * t_s
    return target - sign * min(gap, knee) * math.exp(-(t_s - linear_s) / TAU_S)


def steady_vout(air_c: float, vin: float) -> float:
    """Vout once the case has settled: Tj = air + P * (theta_ca + theta_jc), solved by iteration."""
    tj = air_c
    for _ in range(20):
        vout = V0 * (1 + TEMPCO * (tj - 25))
        iq = IQ_A * (1 + 0.003 * (tj - 25))
        power = (vin - vout) * LOAD_A + vin * iq
        tj = air_c + power * (THETA_CA + THETA_JC)
    return V0 * (1 + TEMPCO * (tj - 25))
