"""``mfg-ctl run`` and ``mfg-ctl replay``: a plan against its devices, recorded, reported.

stdout holds the station report and nothing else; stderr says where the
devices were (``devices: ...``), notes what a user may not expect, and ends
every run with ``run ID recorded in STORE`` (or the one error line that says
how it ended). A ``prompt`` step asks its question on stderr and reads the
answer from stdin when both are a terminal; otherwise it is an error step.
"""

from __future__ import annotations

import select
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from mfg_ctl.artifacts.files import ArtifactError, check_writable
from mfg_ctl.cli.mqtt import close_mqtt, mqtt_option, open_mqtt
from mfg_ctl.cli.report_files import ReportFiles, report_file_options, write_run_files
from mfg_ctl.cli.support import (
    EXIT_FAIL,
    EXIT_PASS,
    EXIT_STORE,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    FRAMINGS,
    CommandExit,
    Outputs,
    db_option,
    fail,
    interrupted,
    opened_store,
    port_offset_option,
    recorded,
    say,
    sigterm_interrupts,
)
from mfg_ctl.cli.unit import identity_of, identity_options
from mfg_ctl.connect import open_devices
from mfg_ctl.nearby import running_simulators_note
from mfg_ctl.plan import Plan, PlanError, load_plan, parse_plan
from mfg_ctl.report import RunReport
from mfg_ctl.run.events import NO_UNIT, SIMULATED_HERE, Event, UnitIdentity
from mfg_ctl.run.observers import ConsolePrinter, JsonlLog
from mfg_ctl.run.rerun import NothingToRerun, RerunError, choose_rerun
from mfg_ctl.run.sequencer import ObserverError, RunOutcome, Sequencer, Terminated
from mfg_ctl.stations import (
    Framing,
    Station,
    StationError,
    check_covers,
    load_station,
)
from mfg_ctl.steps.contract import DeviceError, OperatorPrompt, no_operator
from mfg_ctl.steps.prompt import unanswered
from mfg_ctl.store import RunStore, StoreError
from simulators.server import ServeError

if TYPE_CHECKING:
    from mfg_ctl.artifacts.writer import RunFolder
    from mfg_ctl.events.mqtt import Broker

__all__ = ["replay", "run"]


@dataclass(frozen=True)
class Where:
    """Where the devices are: a station file (shifted by an offset) or none (simulate them)."""

    station_path: Path | None
    port_offset: int = 0

    def load(self) -> Station | None:
        """The station, its ports shifted; None to simulate; exit 2 on a bad file or offset."""
        if self.station_path is None:
            if self.port_offset:
                fail("--port-offset shifts a station's ports: add --station FILE")
            return None
        try:
            return load_station(self.station_path).shifted(self.port_offset)
        except StationError as error:
            fail(str(error))

    @property
    def described(self) -> str:
        """What the report says: ``simulated in-process`` or the file as given (and offset)."""
        if self.station_path is None:
            return SIMULATED_HERE
        shift = f" (ports {self.port_offset:+d})" if self.port_offset else ""
        return f"{self.station_path}{shift}"


station_option = click.option(
    "--station",
    "station_path",
    type=click.Path(path_type=Path),
    help="station file: use devices already running (default: simulate them here)",
)


@click.command()
@click.argument("plan_path", metavar="PLAN", type=click.Path(path_type=Path))
@station_option
@port_offset_option
@click.option("--framing", type=FRAMINGS, help="Modbus framing (default: custom, or the station's)")
@click.option(
    "--only-failed",
    is_flag=True,
    help="re-run the steps that did not pass in the last run of this exact plan text, "
    "with the writes they depend on",
)
@report_file_options
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path),
    help="append every event to this JSON-lines file",
)
@click.option(
    "--artifacts",
    "artifacts_root",
    type=click.Path(path_type=Path),
    help="also write the run's folder (events, summary, coverage, report) under this folder",
)
@mqtt_option
@identity_options
@db_option
def run(
    *,
    plan_path: Path,
    station_path: Path | None,
    port_offset: int,
    framing: Framing | None,
    only_failed: bool,
    report_files: ReportFiles,
    log_path: Path | None,
    artifacts_root: Path | None,
    mqtt: Broker | None,
    db_url: str | None,
    **identity: str | None,
) -> None:
    """Run PLAN and print its station report."""
    where = Where(station_path, port_offset)
    outputs = Outputs(report_files, log_path, artifacts_root)
    outputs.check_apart_from({"plan": plan_path, "station": station_path})
    plan = _load_plan(plan_path)
    station = where.load()
    unit = identity_of(**identity, station_default=station.station_id if station else "")
    with opened_store(db_url) as store:
        selected: list[int] = []
        parent: str | None = None
        if only_failed:
            try:
                chosen = choose_rerun(store, plan)
            except RerunError as error:
                fail(str(error))
            except NothingToRerun as done:
                click.echo(str(done))
                raise CommandExit("", EXIT_PASS) from None
            except StoreError as error:
                fail(str(error), EXIT_STORE)
            for note in chosen.notes:
                say(note)
            selected, parent = chosen.selected, chosen.parent.run_id
        _execute(
            plan,
            store=store,
            where=where,
            station=station,
            framing=framing,
            selected=selected,
            parent=parent,
            outputs=outputs,
            identity=unit,
            mqtt=mqtt,
        )


def _load_plan(path: Path) -> Plan:
    try:
        return load_plan(path)
    except PlanError as error:
        fail(str(error))


@click.command(short_help="Run again the exact plan text of a recorded run.")
@click.argument("run_id")
@station_option
@port_offset_option
@click.option("--framing", type=FRAMINGS, help="Modbus framing")
@report_file_options
@db_option
def replay(
    *,
    run_id: str,
    station_path: Path | None,
    port_offset: int,
    framing: Framing | None,
    report_files: ReportFiles,
    db_url: str | None,
) -> None:
    """Run again the exact plan text stored with RUN_ID (recorded as a new run)."""
    where = Where(station_path, port_offset)
    outputs = Outputs(report_files)
    outputs.check_apart_from({"station": station_path})
    station = where.load()
    with opened_store(db_url) as store:
        try:
            stored = store.get(run_id)
        except StoreError as error:
            fail(str(error))
        outputs.check_apart_from({"plan": Path(stored.plan_path)})
        try:
            plan = parse_plan(stored.plan_text, stored.plan_path)
        except PlanError as error:
            fail(f"the plan stored with run {stored.run_id[:8]} no longer loads: {error}")
        _execute(
            plan,
            store=store,
            where=where,
            station=station,
            framing=framing,
            selected=[],
            parent=stored.run_id,
            outputs=outputs,
        )


def _execute(
    plan: Plan,
    *,
    store: RunStore,
    where: Where,
    station: Station | None,
    framing: Framing | None,
    selected: list[int],
    parent: str | None,
    outputs: Outputs,
    identity: UnitIdentity = NO_UNIT,
    mqtt: Broker | None = None,
) -> None:
    """Run the plan, then end the command with the exit status its outcome deserves."""
    if station is not None:
        try:
            check_covers(station, plan)
        except StationError as error:
            fail(str(error))
    events: list[Event] = []
    observers: list[Callable[[Event], None]] = [events.append, ConsolePrinter(), store]
    folder, log = _file_observers(plan, outputs)
    observers += [observer for observer in (folder, log) if observer is not None]
    say(f"devices: {where.described}")
    publisher = open_mqtt(mqtt, identity.station_id)
    if publisher is not None:
        observers.append(publisher)
    if station is None and (note := running_simulators_note(plan)):
        say(note)
    sequencer: Sequencer | None = None
    try:
        with sigterm_interrupts(), open_devices(plan, station, framing) as connected:
            sequencer = Sequencer(
                plan,
                connected.clients,
                connected.devices,
                observers,
                connected.framing,
                selected=selected,
                parent_run_id=parent,
                clock_speed=connected.clock_speed,
                devices_from=where.described,
                identity=identity,
                ask=_ask_at_terminal if sys.stdin.isatty() and sys.stderr.isatty() else no_operator,
            )
            outcome = sequencer.run()
    except (StationError, ServeError) as error:
        fail(str(error))
    except (KeyboardInterrupt, Terminated) as stop:
        if sequencer is None:
            raise
        interrupted(stop, sequencer.run_id, store)
    except ObserverError as error:
        _observer_failed(error, store, log)
    finally:
        if log is not None:
            log.close()
        close_mqtt(publisher)
    if folder is not None and folder.folder is not None:
        say(f"artifacts: {folder.folder}")
    _finish(outcome, RunReport.from_events(events), store, outputs)


def _ask_at_terminal(prompt: OperatorPrompt) -> str:
    """Ask the person at this terminal (stderr, stdin) until they give an answer offered;
    DeviceError when none comes within the step's timeout or the input ends."""
    deadline = time.monotonic() + prompt.timeout
    while True:
        say_prompt = f"{prompt.name}: {prompt.text} [{'/'.join(prompt.answers)}] "
        click.echo(say_prompt, err=True, nl=False)
        ready, _, _ = select.select([sys.stdin], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            click.echo("", err=True)
            raise unanswered(prompt)
        line = sys.stdin.readline()
        if not line:
            raise DeviceError("needs an operator: the terminal's input ended")
        if line.strip() in prompt.answers:
            return line.strip()
        say(f"answer one of: {', '.join(prompt.answers)}")


def _file_observers(plan: Plan, outputs: Outputs) -> tuple[RunFolder | None, JsonlLog | None]:
    """The run folder (``--artifacts``) and the event log (``--log``) asked for; exit 2 if
    either cannot be written."""
    folder = log = None
    if outputs.artifacts_root is not None:
        try:
            check_writable(outputs.artifacts_root)
        except ArtifactError as error:
            fail(str(error))
        from mfg_ctl.artifacts.writer import RunFolder  # noqa: PLC0415 - only with --artifacts

        folder = RunFolder(outputs.artifacts_root, plan)
    if outputs.log_path is not None:
        try:
            log = JsonlLog(outputs.log_path)
        except OSError as error:
            fail(f"cannot write {outputs.log_path}: {error.strerror}")
    return folder, log


def _observer_failed(error: ObserverError, store: RunStore, log: JsonlLog | None) -> NoReturn:
    """The store, the event log or stdout failed mid-run: the run was stopped and torn down."""
    if isinstance(error.error, BrokenPipeError):
        raise error.error  # the reader of stdout went away (| head)
    run_id = error.run_id[:8]
    if error.observer is store:
        store.try_mark_aborted(error.run_id)
        fail(
            f"the run store failed, so run {run_id} was stopped after its teardown steps: "
            f"{error.error}",
            EXIT_STORE,
        )
    if isinstance(error.error, ArtifactError):
        fail(
            f"{error.error}; run {run_id} was stopped after its teardown steps and recorded "
            f"in {store.where}",
            EXIT_STORE,
        )
    reason = getattr(error.error, "strerror", None) or error.error
    what = f"the event log {log.path}" if log is not None and error.observer is log else "stdout"
    fail(
        f"cannot write {what}: {reason}; run {run_id} was stopped after its teardown steps "
        f"and recorded as aborted in {store.where}",
        EXIT_STORE,
    )


def _finish(outcome: RunOutcome, report: RunReport, store: RunStore, outputs: Outputs) -> None:
    """Exports, the closing line, and the exit status: failure first, exports' problems after."""
    problems = write_run_files(report, outputs.files)
    for problem in problems[:-1]:
        say(f"error: {problem}")
    last = problems[-1] if problems else None
    ending = recorded(report.run_id, store)
    if outcome.unreachable:
        if last:
            say(f"error: {last}")
        fail(f"{outcome.ended_because}; {ending}", EXIT_UNREACHABLE)
    if last:
        say(ending)
        status = EXIT_FAIL if outcome.finished.verdict != "pass" else EXIT_USAGE
        fail(last, status)
    say(ending)
    if outcome.finished.verdict != "pass":
        raise CommandExit("", EXIT_FAIL)
