"""``mfg-ctl tempco``: the TempCo characterisation, on real instruments or the simulated bench."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import click

from simulators import plugins
from simulators.clock import SimulatedClock
from simulators.controller.characterise import characterise
from simulators.controller.cli_support import (
    EXIT_FAIL,
    EXIT_UNREACHABLE,
    CommandExit,
    db_option,
    export,
    fail,
    opened_store,
)
from simulators.controller.connect import SIMULATED_SPEED
from simulators.controller.drivers import (
    Backend,
    InstrumentError,
    ScpiChamber,
    ScpiDmm,
    ScpiPowerSupply,
    open_transport,
)
from simulators.controller.events import DeviceInfo, Event
from simulators.controller.observers import ConsolePrinter
from simulators.controller.report import RunReport
from simulators.controller.tempco import TempcoSettings
from simulators.launcher import Simulator

__all__ = ["tempco"]


@click.command()
@click.option("--chamber", metavar="ADDRESS", help="host:port or VISA resource (default: simulate)")
@click.option("--psu", metavar="ADDRESS", help="the power supply feeding the DUT")
@click.option("--dmm", metavar="ADDRESS", help="the multimeter on the DUT output")
@click.option("--backend", type=click.Choice(["socket", "visa"]), default="socket",
              show_default=True, help="talk with the project's client or with PyVISA")
@click.option("--temperatures", metavar="LIST", help="sweep, e.g. -40,0,25,85,125 (default)")
@click.option("--expected", type=float, help="expected tempco, ppm/C (default 50)")
@click.option("--tolerance", type=float, help="allowed deviation, ppm/C (default 5)")
@click.option("--readings", type=click.IntRange(1, 1000), help="readings averaged per point")
@click.option("--speed", type=click.FloatRange(min=1.0, max=2000.0), default=SIMULATED_SPEED,
              show_default=True, help="simulated seconds per real second (simulated bench only)")
@click.option("--json-out", type=click.Path(path_type=Path))
@click.option("--md-out", type=click.Path(path_type=Path))
@db_option
def tempco(
    *,
    chamber: str | None,
    psu: str | None,
    dmm: str | None,
    backend: str,
    temperatures: str | None,
    expected: float | None,
    tolerance: float | None,
    readings: int | None,
    speed: float,
    json_out: Path | None,
    md_out: Path | None,
    db_url: str | None,
) -> None:
    """Characterise the DUT's output temperature coefficient (ppm/C) over a chamber sweep.

    Without --chamber/--psu/--dmm it simulates the DVT bench at --speed; it
    records the run like any other and exits 1 when the tempco is out of limits.
    """
    addresses = [chamber, psu, dmm]
    if any(addresses) and not all(addresses):
        fail("give --chamber, --psu and --dmm together, or none to simulate the bench")
    simulated = not any(addresses)
    settings = _tempco_settings(
        temperatures, expected, tolerance, readings, speed if simulated else 1.0
    )
    events: list[Event] = []
    with opened_store(db_url) as store, _tempco_bench(addresses, speed) as where:
        devices = tuple(
            _device_info(name, address, simulated)
            for name, address in zip(("chamber", "psu", "dmm"), where, strict=True)
        )
        observers: list[Callable[[Event], None]] = [events.append, ConsolePrinter(), store]
        kind = cast("Backend", backend)
        try:
            with (
                ScpiChamber(open_transport(where[0], kind)) as bench_chamber,
                ScpiPowerSupply(open_transport(where[1], kind)) as bench_psu,
                ScpiDmm(open_transport(where[2], kind)) as bench_dmm,
            ):
                result = characterise(
                    bench_chamber, bench_psu, bench_dmm, settings,
                    observers=observers, devices=devices,
                )
        except InstrumentError as error:
            fail(str(error), EXIT_UNREACHABLE)
    export(RunReport.from_events(events), json_out, md_out)
    if result is None or not result.passed:
        raise CommandExit("", EXIT_FAIL)


def _tempco_settings(
    temperatures: str | None,
    expected: float | None,
    tolerance: float | None,
    readings: int | None,
    speed: float,
) -> TempcoSettings:
    changes: dict[str, Any] = {"clock_speed": speed}
    if temperatures:
        try:
            changes["temperatures_c"] = tuple(float(t) for t in temperatures.split(","))
        except ValueError:
            fail(f"--temperatures takes numbers separated by commas, got {temperatures!r}")
    for field, value in (
        ("expected_ppm_per_c", expected),
        ("tolerance_ppm_per_c", tolerance),
        ("readings_per_point", readings),
    ):
        if value is not None:
            changes[field] = value
    try:
        return TempcoSettings(**changes)
    except ValueError as error:
        fail(str(error))


def _device_info(name: str, address: str, simulated: bool) -> DeviceInfo:
    """Describe an instrument by its address (``host:port`` or a VISA resource)."""
    host, _, port = address.rpartition(":")
    if port.isdigit() and host:
        return DeviceInfo(name, host, int(port), "scpi", 1, simulated)
    return DeviceInfo(name, address, 0, "scpi", 1, simulated)


@contextmanager
def _tempco_bench(addresses: list[str | None], speed: float) -> Iterator[list[str]]:
    """The three instrument addresses: given, or a simulated dvt_bench at ``speed``."""
    if all(addresses):
        yield [str(address) for address in addresses]
        return
    clock = SimulatedClock(speed=speed)
    bench = Simulator(
        "dvt_bench", plugins.load("dvt_bench"), ephemeral=True, system_kwargs={"clock": clock}
    )
    with bench:
        yield [str(address) for address in bench.addresses]
