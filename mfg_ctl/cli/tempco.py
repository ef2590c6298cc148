"""``mfg-ctl tempco``: the TempCo characterisation, on real instruments or the simulated bench.

It runs a plan of one ``tempco`` step (:mod:`mfg_ctl.steps.tempco`) through the
sequencer, so the sweep is recorded as ``mfg-ctl run`` records it; only its
console shows each settled temperature as a line of its own, as it always has.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any, NoReturn, cast

import click
import yaml

from mfg_ctl.cli.report_files import ReportFiles, report_file_options, write_run_files
from mfg_ctl.cli.support import (
    EXIT_FAIL,
    EXIT_STORE,
    EXIT_UNREACHABLE,
    CommandExit,
    db_option,
    fail,
    interrupted,
    opened_store,
    port_offset_option,
    recorded,
    report_problems,
    say,
    sigterm_interrupts,
)
from mfg_ctl.clients import ScpiCommands
from mfg_ctl.connect import scpi_addresses
from mfg_ctl.drivers import Backend, InstrumentAddressError, InstrumentError, shift_address
from mfg_ctl.plan import Plan, parse_plan
from mfg_ctl.report import RunReport
from mfg_ctl.run.events import (
    SIMULATED_HERE,
    DeviceInfo,
    Event,
    Observer,
    RunFinished,
    RunStarted,
    StepFinished,
    StepProgress,
    StepStarted,
    Verdict,
)
from mfg_ctl.run.observers import ConsolePrinter
from mfg_ctl.run.sequencer import ObserverError, RunOutcome, Sequencer, Terminated
from mfg_ctl.steps.model import ScpiKind
from mfg_ctl.steps.tempco import MAX_READINGS, SIMULATED_SPEED
from mfg_ctl.store import RunStore
from mfg_ctl.tempco import TempcoSettings
from mfg_ctl.wording import clip
from simulators import plugins
from simulators.clock import SimulatedClock
from simulators.launcher import Simulator

__all__ = ["INSTRUMENTS", "PLAN_PATH", "tempco", "tempco_plan"]

#: Where a run of ``mfg-ctl tempco`` says its plan came from.
PLAN_PATH = "<mfg-ctl tempco>"
#: The plan's device names, as the options name the instruments, and the kind
#: (``scpi: KIND``) each one is: ``--psu`` is the power supply, ``--dmm`` the multimeter.
INSTRUMENTS: dict[str, ScpiKind] = {
    "chamber": "chamber",
    "psu": "power_supply",
    "dmm": "multimeter",
}
NAMES = tuple(INSTRUMENTS)
#: Seconds each instrument command may take (the drivers' default).
COMMAND_TIMEOUT = 2.0
#: How the console names the instruments of a point: the chamber drives, the DMM reads.
POINT_DEVICE = "chamber+dmm"


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
@click.option(
    "--readings", type=click.IntRange(1, MAX_READINGS), help="readings averaged per point"
)
@click.option(
    "--speed",
    type=click.FloatRange(min=1.0, max=10_000.0),
    default=SIMULATED_SPEED,
    show_default=True,
    help="simulated seconds per real second (simulated bench only)",
)
@click.option(
    "--dut-probe/--no-dut-probe",
    default=True,
    help="read the chamber's product probe on the DUT case (TEMP:PROD?) with each point; "
    "--no-dut-probe for a chamber without one",
)
@port_offset_option
@report_file_options
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
    dut_probe: bool,
    port_offset: int,
    report_files: ReportFiles,
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
    settings = replace(settings, dut_probe=dut_probe)
    run_id = uuid.uuid4().hex
    described = (
        SIMULATED_HERE
        if simulated
        else " ".join(
            f"--{n} {a}" for n, a in zip(NAMES, addresses, strict=True)
        )
    )
    events: list[Event] = []
    with opened_store(db_url) as store, sigterm_interrupts():
        say(f"devices: {described}")
        try:
            outcome = _sweep(
                settings, store, addresses, speed, backend, events, run_id, described, simulated
            )
        except (KeyboardInterrupt, Terminated) as stop:
            interrupted(stop, run_id, store)
        except ObserverError as error:
            _observer_failed(error, store)
        ending = recorded(run_id, store)
    if isinstance(outcome, str):  # an instrument could not be reached before the run began
        fail(outcome, EXIT_UNREACHABLE)
    problems = write_run_files(RunReport.from_events(events), report_files)
    say(ending)
    verdict_failed = outcome.finished.verdict != "pass"
    report_problems(problems, verdict_failed)
    if verdict_failed:
        raise CommandExit("", EXIT_FAIL)


def tempco_plan(settings: TempcoSettings) -> Plan:
    """The plan ``mfg-ctl tempco`` runs: one ``tempco`` step over chamber, psu and dmm."""
    sweep = {
        "chamber": "chamber",
        "supply": "psu",
        "meter": "dmm",
        "temperatures": list(settings.temperatures_c),
        "expected": settings.expected_ppm_per_c,
        "tolerance": settings.tolerance_ppm_per_c,
        "readings": settings.readings_per_point,
        "dut_probe": settings.dut_probe,
    }
    text = yaml.safe_dump(
        {
            "name": "tempco",
            "devices": {name: {"scpi": kind} for name, kind in INSTRUMENTS.items()},
            "steps": [{"name": "tempco", "timeout": COMMAND_TIMEOUT, "tempco": sweep}],
        },
        sort_keys=False,
    )
    return parse_plan(text, PLAN_PATH)


def _observer_failed(error: ObserverError, store: RunStore) -> NoReturn:
    if error.observer is not store:
        raise error.error  # the console (stdout gone): as before
    store.try_mark_aborted(error.run_id)
    fail(f"the run store failed, so run {error.run_id[:8]} was stopped: {error.error}", EXIT_STORE)


def _sweep(  # noqa: PLR0917 - the command's settings, passed on
    settings: TempcoSettings,
    store: RunStore,
    addresses: list[str | None],
    speed: float,
    backend: str,
    events: list[Event],
    run_id: str,
    described: str,
    simulated: bool,
) -> RunOutcome | str:
    """Run the plan, recorded; the error line when an instrument cannot be reached at all."""
    with _tempco_bench(addresses, speed) as where, ExitStack() as links:
        devices = tuple(
            _device_info(name, address, simulated)
            for name, address in zip(NAMES, where, strict=True)
        )
        clients: dict[str, ScpiCommands] = {}
        try:
            for name, address in zip(NAMES, where, strict=True):
                clients[name] = ScpiCommands(address, cast("Backend", backend))
                links.callback(clients[name].close)
        except InstrumentError as error:  # before the run began
            return str(error)
        console = PointsAsSteps(ConsolePrinter(), len(settings.temperatures_c))
        observers: list[Observer] = [events.append, console, store]
        sequencer = Sequencer(
            tempco_plan(settings),
            clients,
            devices,
            observers,
            "scpi",
            run_id=run_id,
            clock_speed=speed if simulated else 1.0,
            devices_from=described,
        )
        return sequencer.run()


class PointsAsSteps:
    """The console of ``mfg-ctl tempco``: each settled temperature a step line, then the fit.

    It hands ``printer`` the events of the one-step plan as the command has
    always printed them: ``point_-40C`` ... as steps of their own, the fit
    numbered after them, and an instrument failure as a step named
    ``instrument`` that aborts the run.
    """

    def __init__(self, printer: Observer, points: int) -> None:
        self.printer = printer
        self.points = points
        self.steps: list[StepFinished] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.printer(replace(event, step_count=self.points + 1))
        elif isinstance(event, StepStarted):
            self.printer(replace(event, device=POINT_DEVICE))
        elif isinstance(event, StepProgress):
            self._step(
                StepFinished(
                    event.run_id, 0, event.part, POINT_DEVICE, "vout", "sweep", "pass",
                    event.detail, event.value,
                )
            )
        elif isinstance(event, StepFinished):
            name = "instrument" if event.verdict == "error" else event.name
            self._step(replace(event, name=name, device=POINT_DEVICE))
        elif isinstance(event, RunFinished):
            self.printer(self._finished(event))

    def _step(self, finished: StepFinished) -> None:
        self.steps.append(replace(finished, number=len(self.steps) + 1))
        self.printer(self.steps[-1])

    def _finished(self, event: RunFinished) -> RunFinished:
        verdicts = [step.verdict for step in self.steps]
        aborted = event.aborted or "error" in verdicts
        verdict: Verdict = "fail" if "fail" in verdicts else "error" if aborted else "pass"
        failures = [step for step in self.steps if step.verdict != "pass"]
        return replace(
            event,
            verdict=verdict,
            passed=verdicts.count("pass"),
            failed=verdicts.count("fail"),
            errors=verdicts.count("error"),
            first_failure=f"{failures[0].number} {failures[0].name}" if failures else None,
            aborted=aborted,
        )


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
        message = str(error)  # in the options' words, not the settings' field names
        for field, option in _OPTION_OF.items():
            message = message.replace(field, option)
        fail(message)


#: The settings field each option sets, to word an error as the user typed it.
_OPTION_OF = {
    "temperatures_c": "--temperatures",
    "expected_ppm_per_c": "--expected",
    "tolerance_ppm_per_c": "--tolerance",
    "readings_per_point": "--readings",
}


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
        where = scpi_addresses(bench)
        yield [str(where[kind]) for kind in INSTRUMENTS.values()]
