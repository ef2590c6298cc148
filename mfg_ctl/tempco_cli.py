"""``mfg-ctl tempco``: the TempCo characterisation, on real instruments or the simulated bench."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import click

from mfg_ctl.characterise import characterise
from mfg_ctl.cli_support import (
    EXIT_FAIL,
    EXIT_STORE,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    CommandExit,
    db_option,
    export,
    fail,
    interrupted,
    opened_store,
    port_offset_option,
    recorded,
    say,
    sigterm_interrupts,
)
from mfg_ctl.connect import SIMULATED_SPEED
from mfg_ctl.drivers import (
    Backend,
    InstrumentAddressError,
    InstrumentError,
    ScpiChamber,
    ScpiDmm,
    ScpiPowerSupply,
    open_transport,
    shift_address,
)
from mfg_ctl.events import SIMULATED_HERE, DeviceInfo, Event
from mfg_ctl.observers import ConsolePrinter
from mfg_ctl.report import RunReport
from mfg_ctl.sequencer import Terminated
from mfg_ctl.store import RunStore, StoreError
from mfg_ctl.tempco import TempcoResult, TempcoSettings
from mfg_ctl.wording import clip
from simulators import plugins
from simulators.clock import SimulatedClock
from simulators.launcher import Simulator

__all__ = ["tempco"]


@click.command(short_help="Characterise the DUT's temperature coefficient.")
@click.option("--chamber", metavar="ADDRESS", help="host:port or VISA resource (default: simulate)")
@click.option("--psu", metavar="ADDRESS", help="the power supply feeding the DUT")
@click.option("--dmm", metavar="ADDRESS", help="the multimeter on the DUT output")
@click.option(
    "--backend",
    type=click.Choice(["socket", "visa"]),
    default="socket",
    show_default=True,
    help="talk with the project's client or with PyVISA",
)
@click.option("--temperatures", metavar="LIST", help="sweep, e.g. -40,0,25,85,125 (default)")
@click.option("--expected", type=float, help="expected tempco, ppm/C (default 50)")
@click.option("--tolerance", type=float, help="allowed deviation, ppm/C (default 5)")
@click.option("--readings", type=click.IntRange(1, 1000), help="readings averaged per point")
@click.option(
    "--speed",
    type=click.FloatRange(min=1.0, max=10_000.0),
    default=SIMULATED_SPEED,
    show_default=True,
    help="simulated seconds per real second (simulated bench only)",
)
@port_offset_option
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
    port_offset: int,
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
    if port_offset:
        if simulated:
            fail("--port-offset shifts the ports of --chamber, --psu and --dmm: give them")
        try:
            addresses = [shift_address(str(address), port_offset) for address in addresses]
        except InstrumentAddressError as error:
            fail(str(error))
    settings = _tempco_settings(
        temperatures, expected, tolerance, readings, speed if simulated else 1.0
    )
    run_id = uuid.uuid4().hex
    described = (
        SIMULATED_HERE
        if simulated
        else " ".join(
            f"--{n} {a}" for n, a in zip(("chamber", "psu", "dmm"), addresses, strict=True)
        )
    )
    events: list[Event] = []
    with opened_store(db_url) as store, sigterm_interrupts():
        say(f"devices: {described}")
        try:
            result = _characterise(
                store, addresses, speed, backend, settings, events, run_id, described, simulated
            )
        except (KeyboardInterrupt, Terminated) as stop:
            interrupted(stop, run_id, store)
        except StoreError as error:
            store.try_mark_aborted(run_id)
            fail(f"the run store failed, so run {run_id[:8]} was stopped: {error}", EXIT_STORE)
        ending = recorded(run_id, store)
    if isinstance(result, str):  # an instrument could not be reached before the run began
        fail(result, EXIT_UNREACHABLE)
    problems = export(RunReport.from_events(events), json_out, md_out)
    for problem in problems[:-1]:
        say(f"error: {problem}")
    say(ending)
    verdict_failed = not isinstance(result, TempcoResult) or not result.passed
    if problems:
        fail(problems[-1], EXIT_FAIL if verdict_failed else EXIT_USAGE)
    if verdict_failed:
        raise CommandExit("", EXIT_FAIL)


def _characterise(  # noqa: PLR0917 - the command's settings, passed on
    store: RunStore,
    addresses: list[str | None],
    speed: float,
    backend: str,
    settings: TempcoSettings,
    events: list[Event],
    run_id: str,
    described: str,
    simulated: bool,
) -> TempcoResult | str | None:
    """Run the sweep, recorded; the error line when an instrument cannot be reached at all."""
    with _tempco_bench(addresses, speed) as where:
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
                return characterise(
                    bench_chamber,
                    bench_psu,
                    bench_dmm,
                    settings,
                    observers=observers,
                    devices=devices,
                    run_id=run_id,
                    devices_from=described,
                )
        except InstrumentError as error:  # before the run began, or while closing
            return None if events else str(error)


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
            fail(f"--temperatures takes numbers separated by commas, got {clip(temperatures)}")
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
