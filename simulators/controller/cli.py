"""``mfg-ctl``: run test plans, list and re-print recorded runs, drive faults, serve the station.

A thin shell over the controller library. Exit status: 0 every step passed,
1 a step failed, 2 a bad plan, station, database or usage, 3 a device could not
be reached. Every failure is one line on stderr, never a traceback.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import click

from simulators import plugins
from simulators.cli import quiet_stdout
from simulators.client import Client
from simulators.controller.cli_support import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_PASS,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    FRAMINGS,
    CommandExit,
    Outputs,
    db_option,
    export,
    fail,
    opened_store,
)
from simulators.controller.connect import open_devices
from simulators.controller.events import Event
from simulators.controller.observers import ConsolePrinter, JsonlLog
from simulators.controller.plan import Plan, PlanError, load_plan, parse_plan
from simulators.controller.report import RunReport, render_text
from simulators.controller.sequencer import Sequencer, select_only_failed
from simulators.controller.stations import (
    Framing,
    StationError,
    load_station,
    reference_station,
)
from simulators.controller.store import (
    AmbiguousRunId,
    RunNotFound,
    RunStore,
    StoredRun,
    StoreError,
)
from simulators.controller.tempco_cli import tempco
from simulators.launcher import Simulator
from simulators.profiles import ProfileError, builtin_names, resolve_profile
from simulators.server import ServeError

__all__ = ["main"]

FAULT_KINDS = ("drift", "stuck", "delay", "crc", "drop")
OTHER_COMMANDS = ("set", "faults", "clear_faults", "reset", "registers")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Run YAML test plans against instruments and keep a record of every run."""


@cli.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path))
@click.option("--station", "station_path", type=click.Path(path_type=Path),
              help="station file: use devices already running (default: simulate them here)")
@click.option("--framing", type=FRAMINGS, help="Modbus framing (default: custom, or the station's)")
@click.option("--only-failed", is_flag=True,
              help="re-run the steps that did not pass last time, with the writes they depend on")
@click.option("--json-out", type=click.Path(path_type=Path), help="also write the report as JSON")
@click.option("--md-out", type=click.Path(path_type=Path), help="also write it as Markdown")
@click.option("--log", "log_path", type=click.Path(path_type=Path),
              help="append every event to this JSON-lines file")
@db_option
def run(
    *,
    plan_path: Path,
    station_path: Path | None,
    framing: Framing | None,
    only_failed: bool,
    json_out: Path | None,
    md_out: Path | None,
    log_path: Path | None,
    db_url: str | None,
) -> None:
    """Run PLAN and print its station report."""
    plan = _load_plan(plan_path)
    with opened_store(db_url) as store:
        selected: list[int] = []
        parent: str | None = None
        if only_failed:
            selected, parent = _only_failed(store, plan)
        _execute(
            plan, store, station_path, framing, selected=selected, parent=parent,
            outputs=Outputs(json_out, md_out, log_path),
        )


def _load_plan(path: Path) -> Plan:
    try:
        return load_plan(path)
    except PlanError as error:
        fail(str(error))


def _only_failed(store: RunStore, plan: Plan) -> tuple[list[int], str]:
    last = store.last_run(plan.name)
    if last is None:
        fail(f"no recorded run of plan {plan.name!r}: run it once without --only-failed")
    passed = {step.name for step in last.steps if step.verdict == "pass"}
    failed_names = {step.name for step in last.steps if step.verdict != "pass"}
    if last.status == "aborted":  # the steps it never reached did not pass either
        wanted = set(last.selected_steps)
        failed_names |= {
            step.name
            for step in plan.steps
            if (not wanted or step.number in wanted) and step.name not in passed
        }
    if not failed_names:
        click.echo(f"nothing to re-run: every step of run {last.run_id[:8]} passed")
        raise CommandExit("", EXIT_PASS)
    numbers = [step.number for step in plan.steps if step.name in failed_names]
    if not numbers:
        fail(f"the steps that failed in run {last.run_id[:8]} are no longer in {plan.path}")
    return select_only_failed(plan, numbers), last.run_id


def _execute(
    plan: Plan,
    store: RunStore,
    station_path: Path | None,
    framing: Framing | None,
    *,
    selected: list[int],
    parent: str | None,
    outputs: Outputs,
) -> None:
    station = None
    if station_path is not None:
        try:
            station = load_station(station_path)
        except StationError as error:
            fail(str(error))
    events: list[Event] = []
    observers: list[Callable[[Event], None]] = [events.append, ConsolePrinter(), store]
    log = None
    if outputs.log_path is not None:
        try:
            log = JsonlLog(outputs.log_path)
        except OSError as error:
            fail(f"cannot write {outputs.log_path}: {error.strerror}")
        observers.append(log)
    try:
        with open_devices(plan, station, framing) as connected:
            sequencer = Sequencer(
                plan, connected.clients, connected.devices, observers, connected.framing,
                selected=selected, parent_run_id=parent, clock_speed=connected.clock_speed,
            )
            try:
                outcome = sequencer.run()
            except KeyboardInterrupt:
                run_id = sequencer.run_id[:8]
                fail(f"interrupted: run {run_id} recorded as aborted", EXIT_INTERRUPTED)
    except (StationError, ServeError) as error:
        fail(str(error))
    finally:
        if log is not None:
            log.close()
    report = RunReport.from_events(events)
    export(report, outputs.json_out, outputs.md_out)
    if outcome.unreachable:
        fail(f"a device could not be reached; run {report.run_id[:8]} recorded", EXIT_UNREACHABLE)
    if outcome.finished.verdict != "pass":
        raise CommandExit("", EXIT_FAIL)


@cli.command()
@click.option("--plan", "plan_name", help="only runs of this plan")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@db_option
def runs(plan_name: str | None, limit: int, db_url: str | None) -> None:
    """List recorded runs, newest first."""
    with opened_store(db_url) as store:
        found = store.runs(plan_name=plan_name, limit=limit)
    if not found:
        click.echo("no recorded runs" + (f" of plan {plan_name!r}" if plan_name else ""))
        return
    header = f"{'run':<8}  {'plan':<24} {'verdict':<8} {'passed':>7}  {'started (UTC)':<19}"
    click.echo(header + "  re-run of")
    for summary in found:
        passed = f"{summary.passed}/{summary.step_count}"
        started = summary.started_at.strftime("%Y-%m-%d %H:%M:%S")
        parent = summary.parent_run_id[:8] if summary.parent_run_id else ""
        click.echo(
            f"{summary.run_id[:8]:<8}  {summary.plan_name:<24} {summary.status:<8} {passed:>7}  "
            f"{started:<19}  {parent}"
        )


def _stored(store: RunStore, run_id: str) -> StoredRun:
    try:
        return store.get(run_id)
    except (RunNotFound, AmbiguousRunId, StoreError) as error:
        fail(str(error))


@cli.command()
@click.argument("run_id")
@click.option("--json-out", type=click.Path(path_type=Path), help="write the report as JSON")
@click.option("--md-out", type=click.Path(path_type=Path), help="write it as Markdown")
@db_option
def report(run_id: str, json_out: Path | None, md_out: Path | None, db_url: str | None) -> None:
    """Print (or export) the report of a recorded run; RUN_ID may be a unique prefix."""
    with opened_store(db_url) as store:
        stored = _stored(store, run_id)
    rebuilt = RunReport.from_stored(stored)
    click.echo(render_text(rebuilt))
    export(rebuilt, json_out, md_out)


@cli.command()
@click.argument("run_id")
@click.option("--station", "station_path", type=click.Path(path_type=Path),
              help="station file (default: simulate the devices here)")
@click.option("--framing", type=FRAMINGS, help="Modbus framing")
@click.option("--json-out", type=click.Path(path_type=Path))
@click.option("--md-out", type=click.Path(path_type=Path))
@db_option
def replay(
    *,
    run_id: str,
    station_path: Path | None,
    framing: Framing | None,
    json_out: Path | None,
    md_out: Path | None,
    db_url: str | None,
) -> None:
    """Run again the exact plan text stored with RUN_ID (recorded as a new run)."""
    with opened_store(db_url) as store:
        stored = _stored(store, run_id)
        try:
            plan = parse_plan(stored.plan_text, stored.plan_path)
        except PlanError as error:
            fail(f"the plan stored with run {stored.run_id[:8]} no longer loads: {error}")
        _execute(
            plan, store, station_path, framing, selected=[], parent=stored.run_id,
            outputs=Outputs(json_out, md_out),
        )


@cli.command()
@click.argument("name", required=False)
def devices(name: str | None) -> None:
    """List the device profiles and their registers (all, or NAME)."""
    names = [name] if name else builtin_names()
    for device in names:
        try:
            profile = resolve_profile(device)
        except ProfileError as error:
            fail(str(error))
        click.echo(f"{profile.name}: {profile.description} (unit {profile.unit})")
        for register in sorted(profile.registers, key=lambda r: (r.table, r.address)):
            access = "rw" if register.writable else "ro"
            unit = f" [{register.unit}]" if register.unit else ""
            click.echo(
                f"  {register.table:<7} {register.address:>5}  {register.name:<20} {access}  "
                f"{register.describe_values():<10} default {register.default}{unit}"
            )


@cli.command(name="simulate-fault", context_settings={"ignore_unknown_options": True})
@click.argument("device")
@click.argument("kind")
@click.argument("args", nargs=-1)
@click.option("--station", "station_path", type=click.Path(path_type=Path),
              help="station file (default: the reference station on 127.0.0.1)")
def simulate_fault(
    device: str, kind: str, args: tuple[str, ...], station_path: Path | None
) -> None:
    """Send a fault to a running DEVICE: KIND is drift, stuck, delay, crc, drop, set, faults,
    clear_faults, reset or registers, e.g. ``simulate-fault dmm drift dc_voltage 5``."""
    if kind in FAULT_KINDS:
        name, arguments = "fault", (kind, *args)
    elif kind in OTHER_COMMANDS:
        name, arguments = kind, args
    else:
        fail(f"unknown fault {kind!r}; choose one of: {', '.join(FAULT_KINDS + OTHER_COMMANDS)}")
    try:
        station = load_station(station_path) if station_path else reference_station()
        endpoint = station.endpoint(device)
    except StationError as error:
        fail(str(error))
    try:
        with Client(endpoint.host, endpoint.port, timeout=2.0) as client:
            reply = client.custom(name, *arguments)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        fail(f"cannot reach {device} at {endpoint.address}: {reason}", EXIT_UNREACHABLE)
    click.echo(reply)
    if reply.startswith("error:"):
        raise CommandExit("", EXIT_FAIL)


@cli.command()
@click.option("--framing", type=FRAMINGS, default="custom", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port-offset", default=0, show_default=True, type=int)
def serve(framing: str, host: str, port_offset: int) -> None:
    """Serve the reference station's simulated devices until Ctrl-C."""
    simulator = Simulator(
        "station", plugins.load("station"), system_type=framing, host=host, port_offset=port_offset
    )
    try:
        simulator.start()
    except ServeError as error:
        fail(str(error), 1)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        simulator.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    names = [entry.kwargs.get("profile") for entry in plugins.entries(simulator.module)]
    click.echo(f"serving the station ({framing}); Ctrl-C stops")
    for name, address in zip(names, simulator.addresses, strict=True):
        click.echo(f"  {address}  {name}")
    while not simulator.wait(0.1):
        pass
    click.echo("stopped")


cli.add_command(tempco)


def main(argv: list[str] | None = None) -> int:
    """Run ``mfg-ctl``; return the exit status."""
    try:
        cli.main(args=argv, prog_name="mfg-ctl", standalone_mode=False)
    except CommandExit as stop:
        if str(stop):
            click.echo(f"error: {stop}" if stop.status != EXIT_PASS else str(stop), err=True)
        return stop.status
    except click.exceptions.Abort:
        click.echo("error: interrupted", err=True)
        return EXIT_INTERRUPTED
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except BrokenPipeError:
        quiet_stdout()  # the reader went away (| head): nothing more to say
        return EXIT_FAIL
    return EXIT_PASS

