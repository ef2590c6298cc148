"""``mfg-ctl line``: a simulated factory line — one ``mfg-ctl batch`` process per station.

Every station is a child process running ``mfg-ctl batch`` with its own
station id, batch id (``<line id>-ST01``...), SN file and run folder, serving
its own simulated devices on ephemeral ports; all write to the one store
(``--db``) and, with ``--mqtt``, publish to one broker. The figures printed at
the end are read back from the store. Ctrl-C or SIGTERM is passed on to the
children, which close their batches (``mfg-ctl batch --resume`` finishes them);
a child that has not stopped in :data:`GRACE_S` seconds is killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import click

from mfg_ctl.artifacts.files import ArtifactError, check_writable
from mfg_ctl.batch.lifecycle import DEFAULT_ARTIFACTS
from mfg_ctl.batch.line import (
    MAX_STATIONS,
    MAX_UNITS,
    LineFigures,
    StationFigures,
    line_figures,
    render_line_text,
    share_units,
    station_figures,
    station_ids,
)
from mfg_ctl.cli.batch import MAX_PARALLEL
from mfg_ctl.cli.support import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_PASS,
    EXIT_TERMINATED,
    db_option,
    fail,
    opened_store,
    say,
    store_call,
)
from mfg_ctl.connect import DUT_PROFILES
from mfg_ctl.identity import IdentityError, check_label, check_stage
from mfg_ctl.plan import PlanError, load_plan
from mfg_ctl.store import RunStore

__all__ = ["line"]

#: The plan a line runs unless told.
DEFAULT_PLAN = Path("plans") / "dut_functional.yaml"
#: The longest line id: ``-ST01`` and ``-U000001`` still fit in a batch id and a serial number.
MAX_LINE_ID = 48
#: How long stopped children get to close their batches before they are killed.
GRACE_S = 30.0


@dataclass
class Station:
    """One station of the line: its ids, its folder and, once started, its process."""

    station_id: str
    batch_id: str
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        """Where the child's stdout and stderr go."""
        return self.folder / "batch.log"

    def last_line(self) -> str:
        """The last line the child wrote (its error, when it failed)."""
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1] if lines else ""


@click.command(short_help="Run a simulated factory line: one batch process per station.")
@click.option("--stations", type=int, default=10, show_default=True, help="stations (processes)")
@click.option("--units", type=int, default=200, show_default=True, help="units in all, shared out")
@click.option("--parallel", type=int, default=1, show_default=True, help="slots of each station")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), default=DEFAULT_PLAN,
              show_default=True, help="the plan every station runs")
@click.option("--stage", default="MP", show_default=True, help="build stage of the units")
@click.option("--line-id", help="name of the line: prefix of its batch ids (default LINE-<time>)")
@click.option("--dut-profile", type=click.Choice(DUT_PROFILES), help="how the simulated DUTs fail")
@click.option("--seed", type=int, help="seed of the simulated DUTs")
@click.option("--artifacts", "artifacts_root", type=click.Path(path_type=Path),
              help=f"folder of the stations' run folders (default: {DEFAULT_ARTIFACTS}/)")
@click.option("--mqtt", metavar="URL", help="every station publishes its events to this broker")
@click.option("--json-out", type=click.Path(path_type=Path), help="also write the figures as JSON")
@db_option
def line(
    *,
    stations: int,
    units: int,
    parallel: int,
    plan_path: Path,
    stage: str,
    line_id: str | None,
    dut_profile: str | None,
    seed: int | None,
    artifacts_root: Path | None,
    mqtt: str | None,
    json_out: Path | None,
    db_url: str | None,
) -> None:
    """Start one mfg-ctl batch per station, wait for all, and print each station's yield
    and throughput as the store recorded them."""
    _check_counts(stations, units, parallel)
    try:
        load_plan(plan_path)
        check_stage(stage)
        line_id = line_id or datetime.now(UTC).strftime("LINE-%Y%m%dT%H%M%S")
        check_label(line_id, "line id")
        if len(line_id) > MAX_LINE_ID:
            raise IdentityError(
                f"line id {line_id[:MAX_LINE_ID]}... is longer than {MAX_LINE_ID} characters: "
                "its batch ids and serial numbers add to it"
            )
    except (PlanError, IdentityError) as error:
        fail(str(error))
    if mqtt is not None:
        _check_mqtt(mqtt)
    root = (artifacts_root or DEFAULT_ARTIFACTS) / line_id
    try:
        check_writable(root)
    except ArtifactError as error:
        fail(str(error))
    shares = share_units(units, stations, f"{line_id}-U")
    line_stations = [
        Station(station_id, f"{line_id}-{station_id}", root / station_id)
        for station_id, share in zip(station_ids(stations), shares, strict=True)
        if share
    ]
    with opened_store(db_url) as store:  # made (and migrated) once, before the children race
        for station in line_stations:
            if store_call(store.batch, station.batch_id) is not None:
                fail(f"batch {station.batch_id} already exists: give another --line-id")
        options = _batch_options(
            plan_path, stage, parallel, profile=dut_profile, seed=seed, mqtt=mqtt
        )
        say(f"line {line_id}: {units} unit(s) on {len(line_stations)} station(s), "
            f"{parallel} slot(s) each; logs in {root}/")
        stopped_by = _run_stations(line_stations, shares, options, db_url)
        figures = _figures(store, line_id, line_stations)
    click.echo(render_line_text(figures), nl=False)
    if json_out is not None:
        json_out.write_text(json.dumps(figures.to_dict(), indent=2) + "\n", encoding="utf-8")
    _exit(line_stations, stopped_by, figures.total)


def _check_counts(stations: int, units: int, parallel: int) -> None:
    """Exit 2 unless every count is within its bounds."""
    if not 1 <= stations <= MAX_STATIONS:
        fail(f"--stations {stations}: give 1 to {MAX_STATIONS} stations")
    if not 1 <= units <= MAX_UNITS:
        fail(f"--units {units}: give 1 to {MAX_UNITS} units")
    if not 1 <= parallel <= MAX_PARALLEL:
        fail(f"--parallel {parallel}: give 1 to {MAX_PARALLEL} units at once")


def _check_mqtt(url: str) -> None:
    """Exit 2 unless ``url`` names a broker the children can use."""
    try:
        from mfg_ctl.events.mqtt import MqttUrlError, parse_url  # noqa: PLC0415 - the extra
    except ImportError:
        fail("--mqtt needs paho-mqtt: pip install 'simulators[mqtt]'")
    try:
        parse_url(url)
    except MqttUrlError as error:
        fail(str(error))


def _batch_options(
    plan: Path,
    stage: str,
    parallel: int,
    *,
    profile: str | None,
    seed: int | None,
    mqtt: str | None,
) -> list[str]:
    """The ``mfg-ctl batch`` options every station shares."""
    options = ["--plan", str(plan.absolute()), "--stage", stage, "--parallel", str(parallel)]
    if profile is not None:
        options += ["--dut-profile", profile]
    if seed is not None:
        options += ["--seed", str(seed)]
    if mqtt is not None:
        options += ["--mqtt", mqtt]
    return options


def _run_stations(
    stations: list[Station],
    shares: tuple[tuple[str, ...], ...],
    options: list[str],
    db_url: str | None,
) -> int | None:
    """Start every station, wait for all; the signal that stopped the line, if one did."""
    environment = dict(os.environ)
    if db_url:  # in the environment, not in argv: a URL may hold a password
        environment["MFG_CTL_DB"] = db_url
    received: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        for station in stations:
            process = station.process
            if process is not None and process.poll() is None:  # ours, and not reaped yet
                process.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    stopping = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, forward) for number in stopping}
    try:
        for station, share in zip(stations, (share for share in shares if share), strict=True):
            station.folder.mkdir(parents=True, exist_ok=True)
            sn_file = station.folder / "units.txt"
            sn_file.write_text("\n".join(share) + "\n", encoding="ascii")
            command = [
                sys.executable, "-m", "mfg_ctl", "batch", *options,
                "--station-id", station.station_id, "--batch-id", station.batch_id,
                "--sn-file", str(sn_file), "--artifacts", str(station.folder),
            ]
            with station.log.open("wb") as log:
                station.process = subprocess.Popen(  # noqa: S603 - our own interpreter and args
                    command, stdout=log, stderr=subprocess.STDOUT, env=environment,
                    start_new_session=True,  # a terminal's Ctrl-C reaches them through us only
                )
            if received:
                forward(received[0], None)
        _reap(stations, received)
    finally:
        for station in stations:  # never leave a child behind, whatever happened here
            if station.process is not None and station.process.poll() is None:
                station.process.kill()
                station.process.wait()
        for number, handler in previous.items():
            signal.signal(number, handler)
    return received[0] if received else None


def _reap(stations: list[Station], received: list[int]) -> None:
    """Wait for every child; once a signal came, kill those still running after GRACE_S."""
    deadline: float | None = None
    for station in stations:
        process = station.process
        assert process is not None
        while process.poll() is None:
            if received and deadline is None:
                deadline = time.monotonic() + GRACE_S
            if deadline is not None and time.monotonic() > deadline:
                process.kill()
            try:
                process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue


def _figures(store: RunStore, line_id: str, stations: list[Station]) -> LineFigures:
    """Each station's figures and the line's total, from what the store recorded."""
    rows: list[StationFigures] = []
    starts: list[datetime] = []
    ends: list[datetime] = []
    for station in stations:
        record = store_call(store.batch, station.batch_id)
        if record is None:  # the child failed before it recorded its batch
            continue
        runs = store_call(store.unit_runs, batch_id=station.batch_id)
        rows.append(station_figures(
            station.station_id, station.batch_id, runs, record.started_at, record.finished_at
        ))
        starts.append(record.started_at)
        if record.finished_at is not None:
            ends.append(record.finished_at)
    first = min(starts) if starts else datetime.now(UTC)
    return line_figures(line_id, rows, first, max(ends) if ends else None)


def _exit(stations: list[Station], stopped_by: int | None, total: StationFigures) -> None:
    """End with batch's statuses: the signal's, a broken station's, 1 if a unit failed, else 0."""
    if stopped_by is not None:
        signalled = EXIT_INTERRUPTED if stopped_by == signal.SIGINT else EXIT_TERMINATED
        fail("line stopped: mfg-ctl batch --resume BATCH_ID finishes each batch", signalled)
    for station in stations:
        assert station.process is not None
        status = station.process.returncode
        if status not in (EXIT_PASS, EXIT_FAIL):
            said = station.last_line().removeprefix("error: ") or "no output"
            fail(f"station {station.station_id} exited {status}: {said} (log {station.log})",
                 status if status > 0 else EXIT_FAIL)
    if total.failed:
        fail(f"{total.failed} of {total.tested} unit(s) failed", EXIT_FAIL)
