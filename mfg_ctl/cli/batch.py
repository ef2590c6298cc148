"""``mfg-ctl batch``: a plan once per serial number, on one or more slots, recorded and summed up.

Everything the command is told is checked before anything is written: a bad
serial number, a stage with spaces, ``--parallel 0``, a station with fewer
slots than ``--parallel`` or an unwritable ``--artifacts`` folder is one line
and exit 2, with no folder made and no batch recorded. ``--resume B`` tests
the units of batch B that have no recorded run (after Ctrl-C, or a ``kill -9``).
"""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from mfg_ctl.artifacts.files import ArtifactError, check_writable
from mfg_ctl.batch.lifecycle import (
    DEFAULT_ARTIFACTS,
    batch_artifacts,
    batch_folder,
    new_batch_record,
)
from mfg_ctl.batch.progress import BatchProgress
from mfg_ctl.batch.runner import BatchRunner, BatchSetup
from mfg_ctl.batch.units import BatchError, parse_sns, read_sn_file
from mfg_ctl.cli.mqtt import close_mqtt, mqtt_option, open_mqtt
from mfg_ctl.cli.report import close_batch
from mfg_ctl.cli.report_files import ReportFiles, report_file_options
from mfg_ctl.cli.run import Where, station_option
from mfg_ctl.cli.support import (
    EXIT_STORE,
    FRAMINGS,
    db_option,
    fail,
    opened_store,
    port_offset_option,
    say,
    sigterm_interrupts,
    store_call,
)
from mfg_ctl.cli.unit import identity_of
from mfg_ctl.connect import DUT_PROFILES
from mfg_ctl.plan import Plan, PlanError, load_plan, parse_plan
from mfg_ctl.run.events import UnitIdentity
from mfg_ctl.stations import Framing, Station, StationError, check_covers
from mfg_ctl.store import RunStore, StoreError
from mfg_ctl.store.abandoned import pid_alive
from mfg_ctl.store.models import BatchRecord
from mfg_ctl.wording import clip

if TYPE_CHECKING:
    from mfg_ctl.events.mqtt import Broker

__all__ = ["batch"]


#: The most slots (units tested at once) a batch may use.
MAX_PARALLEL = 64


@dataclass(frozen=True)
class Asked:
    """The options of a new batch, as given."""

    plan_path: Path | None
    sns: str | None
    sn_file: Path | None
    dut_profile: str | None
    seed: int | None


@click.command(short_help="Test many units: the plan once per serial number.")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help="the plan to run")
@click.option("--batch-id", help="name of the batch (letters, digits, _ . -)")
@click.option("--station-id", help="this station (default: the station file's station_id)")
@click.option("--stage", help="build stage: EVT, DVT, PVT, MP or your own label")
@click.option("--operator", help="who runs it (default: $MFG_CTL_OPERATOR, else the login)")
@click.option("--sns", help="serial numbers, comma-separated: SN0001,SN0002")
@click.option("--sn-file", type=click.Path(path_type=Path), help="a file of serial numbers")
@click.option("--parallel", type=int, help="units tested at once, one per slot (default 1)")
@station_option
@port_offset_option
@click.option("--framing", type=FRAMINGS, help="Modbus framing (default: custom, or the station's)")
@click.option(
    "--artifacts",
    "artifacts_root",
    type=click.Path(path_type=Path),
    help=f"folder of run folders (default: {DEFAULT_ARTIFACTS}/)",
)
@click.option(
    "--dut-profile",
    type=click.Choice(DUT_PROFILES),
    help="how the DUTs mfg-ctl serves itself fail (default: clean)",
)
@click.option("--seed", type=int, help="seed of those DUTs: the same seed, the same outcomes")
@click.option("--resume", "resume_id", metavar="BATCH_ID", help="test the units B has not finished")
@mqtt_option
@report_file_options
@db_option
def batch(
    *,
    plan_path: Path | None,
    batch_id: str | None,
    station_id: str | None,
    stage: str | None,
    operator: str | None,
    sns: str | None,
    sn_file: Path | None,
    parallel: int | None,
    station_path: Path | None,
    port_offset: int,
    framing: Framing | None,
    artifacts_root: Path | None,
    dut_profile: str | None,
    seed: int | None,
    resume_id: str | None,
    mqtt: Broker | None,
    report_files: ReportFiles,
    db_url: str | None,
) -> None:
    """Run a plan once per unit of a batch; store every unit and write a run folder."""
    where = Where(station_path, port_offset)
    if parallel is not None and not 1 <= parallel <= MAX_PARALLEL:
        fail(f"--parallel {parallel}: give 1 to {MAX_PARALLEL} units at once")
    asked = Asked(plan_path, sns, sn_file, dut_profile, seed)
    if resume_id is not None:
        given = [name for name, value in _new_only(asked, batch_id, stage, artifacts_root) if value]
        if given:
            fail(f"--resume takes the batch's own {given[0][2:]}: drop {given[0]}")
        with opened_store(db_url) as store:
            _resume(
                store, resume_id, where=where, parallel=parallel or 0, framing=framing,
                station_id=station_id, operator=operator, files=report_files, mqtt=mqtt,
            )
        return
    plan, units, identity, station = _check_new(
        asked, where, batch_id=batch_id, station_id=station_id, stage=stage, operator=operator
    )
    slots = parallel or 1
    _check_slots(station, plan, slots, asked)
    root = artifacts_root or DEFAULT_ARTIFACTS
    try:
        check_writable(root)
    except ArtifactError as error:
        fail(str(error))
    with opened_store(db_url) as store:
        existing = store_call(store.batch, identity.batch_id)
        if existing is not None:
            fail(
                f"batch {identity.batch_id} already exists ({existing.status}, "
                f"{len(existing.sns)} units): --resume {identity.batch_id} finishes it; "
                "or give another --batch-id"
            )
        record = new_batch_record(
            plan, identity, units, root,
            parallel=slots, dut_profile=dut_profile or "clean", seed=seed or 0,
        )
        store_call(store.start_batch, record)
        _execute(
            store, record, plan=plan, identity=identity, units=units, where=where,
            station=station, slots=slots, framing=framing, files=report_files, mqtt=mqtt,
        )


def _new_only(
    asked: Asked, batch_id: str | None, stage: str | None, root: Path | None
) -> list[tuple[str, object]]:
    return [
        ("--plan", asked.plan_path), ("--sns", asked.sns), ("--sn-file", asked.sn_file),
        ("--batch-id", batch_id), ("--stage", stage), ("--artifacts", root),
        ("--dut-profile", asked.dut_profile), ("--seed", asked.seed is not None or None),
    ]


def _check_new(
    asked: Asked,
    where: Where,
    *,
    batch_id: str | None,
    station_id: str | None,
    stage: str | None,
    operator: str | None,
) -> tuple[Plan, tuple[str, ...], UnitIdentity, Station | None]:
    """The plan, the serial numbers, the identity and the station of a new batch; exit 2 if bad."""
    required = (("--plan", asked.plan_path), ("--batch-id", batch_id), ("--stage", stage))
    for option, value in required:
        if value is None:
            fail(f"{option} is missing: a batch needs --plan, --batch-id, --stage and its units")
    if (asked.sns is None) == (asked.sn_file is None):
        fail("give the units with --sns SN1,SN2,... or --sn-file FILE (one of them)")
    assert asked.plan_path is not None
    try:
        plan = load_plan(asked.plan_path)
    except PlanError as error:
        fail(str(error))
    try:
        if asked.sn_file is not None:
            units = read_sn_file(asked.sn_file)
        else:
            units = parse_sns(asked.sns or "")
    except BatchError as error:
        fail(str(error))
    station = where.load()
    identity = identity_of(
        sn=None, batch_id=batch_id, station_id=station_id, stage=stage, operator=operator,
        station_default=station.station_id if station else "",
    )
    if not identity.station_id:
        fail("no station id: give --station-id S (or station_id: in the station file)")
    return plan, units, identity, station


def _check_slots(station: Station | None, plan: Plan, slots: int, asked: Asked) -> None:
    """Exit 2 unless the station has ``slots`` slots with the plan's devices."""
    if station is None:
        return
    if asked.dut_profile is not None or asked.seed is not None:
        fail(
            "--dut-profile and --seed choose how the DUTs mfg-ctl serves itself behave; "
            "with --station the devices are real (or already running): drop them"
        )
    if station.slot_count < slots:
        fail(
            f"{station.path} has {station.slot_count} slot(s), fewer than --parallel {slots}: "
            "list one device set per slot under slots:, or lower --parallel"
        )
    try:
        for place in range(slots):
            check_covers(station.slot(place), plan)
    except StationError as error:
        fail(str(error))


def _resume(
    store: RunStore,
    batch_id: str,
    *,
    where: Where,
    parallel: int,
    framing: Framing | None,
    station_id: str | None,
    operator: str | None,
    files: ReportFiles,
    mqtt: Broker | None,
) -> None:
    """Test the units of ``batch_id`` that have no recorded run."""
    record = store_call(store.batch, batch_id)
    if record is None:
        fail(f"no batch {clip(batch_id)} in {store.where}: see mfg-ctl runs --batch-id")
    if record.status == "running" and _alive(record):
        fail(f"batch {batch_id} is still running (pid {record.pid}): wait for it or stop it")
    if station_id is not None and station_id != record.station_id:
        fail(f"batch {batch_id} runs on station {record.station_id}: drop --station-id")
    try:
        plan = parse_plan(record.plan_text, record.plan_path)
    except PlanError as error:
        fail(f"the plan stored with batch {batch_id} no longer loads: {error}")
    station = where.load()
    slots = parallel or int(record.options.get("parallel", 1))
    _check_slots(station, plan, slots, Asked(None, None, None, None, None))
    finished = store_call(store.finished_units, batch_id)
    remaining = tuple(sn for sn in record.sns if sn not in finished)
    identity = identity_of(
        sn=None, batch_id=batch_id, station_id=record.station_id, stage=record.stage,
        operator=operator if operator is not None else record.operator,
    )
    if not remaining:
        click.echo(f"batch {batch_id}: all {len(record.sns)} units already have a recorded run")
        return
    say(f"resuming batch {batch_id}: {len(remaining)} of {len(record.sns)} units left")
    store_call(store.set_batch_status, batch_id, "running", pid=os.getpid())
    _execute(
        store, record, plan=plan, identity=identity, units=remaining, where=where,
        station=station, slots=slots, framing=framing, files=files, mqtt=mqtt,
    )


def _execute(
    store: RunStore,
    record: BatchRecord,
    *,
    plan: Plan,
    identity: UnitIdentity,
    units: tuple[str, ...],
    where: Where,
    station: Station | None,
    slots: int,
    framing: Framing | None,
    files: ReportFiles,
    mqtt: Broker | None,
) -> NoReturn:
    """Test ``units``, write the run folder, close the batch, and exit with what it deserves."""
    folder = batch_folder(record)
    artifacts = batch_artifacts(record, plan)
    try:
        artifacts.create()
        recorded = {run.run_id for run in store.unit_runs(batch_id=record.batch_id)}
        dropped = artifacts.keep_only(recorded)
    except (ArtifactError, StoreError) as error:
        fail(str(error), EXIT_STORE)
    if dropped:
        say(f"dropped the rows of {dropped} unit run(s) the store never recorded")
    profile = str(record.options.get("dut_profile", "clean"))
    setup = BatchSetup(
        plan, identity, units, slots, station, framing, profile,
        int(record.options.get("seed", 0)), where.described,
    )
    described = where.described + (f", dut profile {profile}" if station is None else "")
    say(f"devices: {described}; {len(units)} unit(s) on {slots} slot(s)")
    progress = BatchProgress(len(units), sys.stderr)
    publisher = open_mqtt(mqtt, identity.station_id)
    observers = () if publisher is None else (publisher,)
    runner = BatchRunner(setup, store, artifacts, progress, observers)
    try:
        with sigterm_interrupts():
            outcome = runner.run()
    finally:
        progress.close()
        close_mqtt(publisher)
    close_batch(store, record, artifacts, outcome, folder, files=files)


def _alive(record: BatchRecord) -> bool:
    """Whether the process that marked the batch running may still be at it."""
    if record.host != socket.gethostname():
        return True  # another machine's process: nothing to check from here
    return record.pid != os.getpid() and pid_alive(record.pid)
