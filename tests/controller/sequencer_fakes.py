"""A scripted in-memory device and a demo plan for the sequencer tests (no sockets).

:class:`FakeRegisters` is a ``RegisterClient`` that answers from a dict and can
be told to raise, call by call, what a real device connection raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mfg_ctl.clients import RefusedError, TransientError, UnreachableError
from mfg_ctl.plan import Plan, parse_plan
from mfg_ctl.run.events import DeviceInfo, Event, StepFinished
from mfg_ctl.run.sequencer import RunOutcome, Sequencer

__all__ = [
    "DEVICES",
    "PLAN",
    "FakeRegisters",
    "RefusedError",
    "TransientError",
    "UnreachableError",
    "by_number",
    "demo_plan",
    "devices",
    "finished_steps",
    "run",
]

Call = tuple[Any, ...]


class FakeRegisters:
    """A register client in memory; ``fail_next`` queues what the next calls raise."""

    def __init__(self, values: dict[tuple[str, int], int] | None = None) -> None:
        self.values = dict(values or {})
        self.calls: list[Call] = []
        self._script: list[BaseException | None] = []

    def fail_next(self, *errors: BaseException | None) -> FakeRegisters:
        """The next read/write calls raise these, in order (None: that call succeeds)."""
        self._script.extend(errors)
        return self

    def _scripted(self) -> None:
        if self._script:
            error = self._script.pop(0)
            if error is not None:
                raise error

    def read(self, table: str, address: int, timeout: float) -> int:
        self.calls.append(("read", table, address, timeout))
        self._scripted()
        return self.values[(table, address)]

    def write(self, address: int, value: int, timeout: float) -> None:
        self.calls.append(("write", address, value, timeout))
        self._scripted()
        self.values[("holding", address)] = value

    def close(self) -> None:
        self.calls.append(("close",))

    @property
    def closes(self) -> int:
        return sum(call == ("close",) for call in self.calls)


PLAN = """\
name: demo
description: a supply and a meter
steps:
  - name: set_voltage
    device: power_supply
    register: voltage_setpoint
    write: 1200
    timeout: 0.5
  - name: check_voltage
    device: power_supply
    register: voltage_readback
    expected: 1200
    tolerance: 25
  - name: check_current
    device: power_supply
    register: current_readback
    range: [400, 520]
  - name: check_dmm
    device: dmm
    register: dc_voltage
    expected: 5000
    tolerance: 50
"""

DEVICES = (
    DeviceInfo("power_supply", "127.0.0.1", 15020, "custom"),
    DeviceInfo("dmm", "127.0.0.1", 15021, "custom"),
)


def demo_plan(text: str = PLAN) -> Plan:
    return parse_plan(text, "plans/demo.yaml")


def devices(psu_volts: int = 1200, current: int = 480, dmm_volts: int = 4980) -> dict[str, Any]:
    return {
        "power_supply": FakeRegisters({("input", 100): psu_volts, ("input", 101): current}),
        "dmm": FakeRegisters({("input", 100): dmm_volts}),
    }


def run(plan: Plan, clients: dict[str, Any], **kwargs: Any) -> tuple[RunOutcome, list[Event]]:
    events: list[Event] = []
    sequencer = Sequencer(plan, clients, DEVICES, [events.append], "custom", **kwargs)
    return sequencer.run(), events


def finished_steps(events: Iterable[Event]) -> list[StepFinished]:
    return [event for event in events if isinstance(event, StepFinished)]


def by_number(events: Iterable[Event]) -> dict[int, StepFinished]:
    return {step.number: step for step in finished_steps(events)}


