"""``mfg-ctl``: run test plans, list and re-print recorded runs, drive faults, serve the station.

A thin shell over the controller library. Exit status (doc/controller.rst):
0 every step passed, 1 a step failed, 2 a bad plan, station, database or
usage, 3 a device could not be reached, 4 the run store failed mid-run,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM). Every failure is one line
on stderr, never a traceback.
"""

from __future__ import annotations

import importlib
import signal
from pathlib import Path
from types import FrameType

import click

from mfg_ctl.cli.support import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_PASS,
    EXIT_TERMINATED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    FRAMINGS,
    CommandExit,
    db_option,
    fail,
    opened_store,
    port_offset_option,
    quiet_stdout,
    store_call,
)
from mfg_ctl.cli.unit import check_filters, identity_filter_options
from mfg_ctl.run.sequencer import Terminated
from mfg_ctl.stations import StationError, load_station, reference_station
from mfg_ctl.wording import clip
from simulators import __version__, plugins
from simulators.client import Client
from simulators.commands import check_argument
from simulators.launcher import Simulator, bind_warning, check_host
from simulators.profiles import ProfileError, builtin_names, resolve_profile
from simulators.server import ServeError

__all__ = ["main"]

#: The fault kinds a Modbus device takes. The catalogue they come from is
#: ``simulators.devicekit.faults.KINDS`` (the source of truth; ``garbage`` there is for
#: line protocols only). The controller reaches devices through the wire, not the
#: device kit, so it keeps this copy; tests/controller/test_vocabulary.py pins the two.
FAULT_KINDS = ("drift", "stuck", "delay", "crc", "drop")
OTHER_COMMANDS = ("set", "faults", "clear_faults", "reset", "registers")


#: Commands living in modules of their own, imported only when used: ``mfg-ctl run``
#: does not pay for numpy and scipy (``spc``) or the report template (``batch``).
LAZY_COMMANDS = {
    "run": "mfg_ctl.cli.run:run",
    "replay": "mfg_ctl.cli.run:replay",
    "tempco": "mfg_ctl.cli.tempco:tempco",
    "batch": "mfg_ctl.cli.batch:batch",
    "line": "mfg_ctl.cli.line:line",
    "analytics": "mfg_ctl.cli.analytics:analytics",
    "export": "mfg_ctl.cli.export:export",
    "report": "mfg_ctl.cli.report:report",
    "history": "mfg_ctl.cli.analytics:history",
    "spc": "mfg_ctl.cli.spc:spc",
    "trends": "mfg_ctl.cli.trends:trends",
    "serve-web": "mfg_ctl.cli.serve_web:serve_web",
    "db": "mfg_ctl.cli.db:db",
}


class LazyGroup(click.Group):
    """A group that imports the module of a command in :data:`LAZY_COMMANDS` when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, lazy or not, in alphabetical order as click lists them."""
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, importing its module if it is a lazy one."""
        if cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, _, name = LAZY_COMMANDS[cmd_name].partition(":")
        command = getattr(importlib.import_module(module), name)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="mfg-ctl", message="%(prog)s %(version)s")
def cli() -> None:
    """Run YAML test plans against instruments and keep a record of every run."""


@cli.command()
@click.option("--plan", "plan_name", help="only runs of this plan")
@identity_filter_options
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@db_option
def runs(plan_name: str | None, limit: int, db_url: str | None, **identity: str | None) -> None:
    """List recorded runs, newest first."""
    check_filters(**identity)
    with opened_store(db_url) as store:
        found = store_call(store.runs, plan_name=plan_name, limit=limit, **identity)
        # a run whose process is gone is aborted, even if the store could not be told so yet
        status = {
            run.run_id: "aborted"
            if run.status == "running" and not store.is_running(run)
            else run.status
            for run in found
        }
    if not found:
        filters = [f"{name} {clip(value)}" for name, value in identity.items() if value]
        said = f" of plan {clip(plan_name)}" if plan_name else ""
        click.echo("no recorded runs" + said + (f" with {', '.join(filters)}" if filters else ""))
        return
    units = any(summary.sn for summary in found)
    header = f"{'run':<8}  {'plan':<24} {'verdict':<8} {'passed':>7}  {'started (UTC)':<19}"
    click.echo(header + "  re-run of" + ("  sn / batch / station / stage" if units else ""))
    for summary in found:
        passed = f"{summary.passed}/{summary.step_count}"
        started = summary.started_at.strftime("%Y-%m-%d %H:%M:%S")
        parent = summary.parent_run_id[:8] if summary.parent_run_id else ""
        unit = ""
        if units:
            named = (summary.sn, summary.batch_id, summary.station_id, summary.stage)
            unit = "  " + " / ".join(value or "-" for value in named)
        line = (
            f"{summary.run_id[:8]:<8}  {summary.plan_name:<24} {status[summary.run_id]:<8} "
            f"{passed:>7}  {started:<19}  {parent:<9}{unit}"
        )
        click.echo(line.rstrip())


@cli.command(short_help="List the device profiles and their registers.")
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
@click.option(
    "--station",
    "station_path",
    type=click.Path(path_type=Path),
    help="station file (default: the reference station on 127.0.0.1)",
)
@port_offset_option
def simulate_fault(
    device: str, kind: str, args: tuple[str, ...], station_path: Path | None, port_offset: int
) -> None:
    """Send a fault to a running DEVICE.

    KIND is drift, stuck, delay, crc, drop, set, faults, clear_faults, reset or
    registers; for example: mfg-ctl simulate-fault dmm drift dc_voltage 5. A drift
    takes REGISTER STEP [SIGMA [SEED]]: drift dc_voltage 2 3 42 moves it 2 per read,
    each read with Gaussian noise of sigma 3 seeded by 42.
    """
    if kind in FAULT_KINDS:
        name, arguments = "fault", (kind, *args)
    elif kind in OTHER_COMMANDS:
        name, arguments = kind, args
    else:
        known = ", ".join(FAULT_KINDS + OTHER_COMMANDS)
        fail(f"unknown fault {clip(kind)}; choose one of: {known}")
    for argument in arguments:
        try:
            check_argument(argument)
        except ValueError as error:
            fail(f"{error}: remove it")
    try:
        station = load_station(station_path) if station_path else reference_station()
        endpoint = station.shifted(port_offset).endpoint(device)
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


@cli.command(short_help="Serve the reference station's devices until Ctrl-C.")
@click.option("--framing", type=FRAMINGS, default="custom", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@port_offset_option
def serve(framing: str, host: str, port_offset: int) -> None:
    """Serve the reference station's simulated devices until Ctrl-C."""
    try:
        check_host(host)
        reference_station().shifted(port_offset)  # every shifted port must exist
    except (StationError, ServeError) as error:
        fail(str(error))
    if warning := bind_warning(host):
        click.echo(warning, err=True)
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
    except Terminated:
        click.echo("error: terminated", err=True)
        return EXIT_TERMINATED
    except click.ClickException as error:
        error.show()
        return EXIT_USAGE
    except BrokenPipeError:
        quiet_stdout()  # the reader went away (| head): nothing more to say
        return EXIT_FAIL
    return EXIT_PASS
