"""Runs started from the browser: the CLI's sequencer in a background thread, heard on a channel.

A run started here is the same run ``mfg-ctl run`` makes: its devices are
opened the same way (simulated in-process, or the configured station file),
its events go to the run store and to its live :class:`~mfg_ctl.web.live.Channel`,
and a stop request ends it at the next step boundary after its teardown.
With a station file there is one set of devices, so one run at a time.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mfg_ctl.artifacts.files import ArtifactError
from mfg_ctl.batch.lifecycle import batch_artifacts, finish_batch, new_batch_record
from mfg_ctl.batch.runner import BatchRunner, BatchSetup, UnitDone
from mfg_ctl.connect import open_devices
from mfg_ctl.plan import Plan
from mfg_ctl.run.events import UnitIdentity
from mfg_ctl.run.sequencer import ObserverError, Sequencer
from mfg_ctl.stations import Station, StationError, check_covers, load_station
from mfg_ctl.store import RunStore, StoreError
from mfg_ctl.store.models import BatchRecord
from mfg_ctl.web.live import Channel, ChannelObserver, Channels
from mfg_ctl.web.prompts import PromptBroker
from mfg_ctl.web.settings import WebSettings
from simulators.server import ServeError

__all__ = ["BusyError", "LaunchError", "Launcher"]

log = logging.getLogger(__name__)


class LaunchError(Exception):
    """A run could not be started (bad station file, plan not covered): the text says why."""


class BusyError(LaunchError):
    """Too many runs at once, or the station's devices are in use by another run."""


@dataclass
class _Active:
    """A run in progress: its channel, and how to stop it."""

    channel: Channel
    stop: Callable[[], None]
    thread: threading.Thread | None = None
    stopped: threading.Event = field(default_factory=threading.Event)


def _unit_data(done: UnitDone) -> dict[str, Any]:
    return {
        "sn": done.sn,
        "run_id": done.finished.run_id,
        "verdict": done.finished.verdict,
        "status": done.finished.status,
        "first_failure": done.finished.first_failure or "",
        "at": done.finished.finished_at.isoformat(),
    }


def _batch_data(record: BatchRecord) -> dict[str, Any]:
    return {
        "batch_id": record.batch_id,
        "plan": record.plan_name,
        "stage": record.stage,
        "station_id": record.station_id,
        "sns": list(record.sns),
    }


class Launcher:
    """Starts and stops runs in background threads; each publishes on its own channel."""

    def __init__(self, settings: WebSettings, store: RunStore, channels: Channels) -> None:
        self.settings = settings
        self.store = store
        self.channels = channels
        self._active: dict[str, _Active] = {}
        self._lock = threading.Lock()
        self.prompts = PromptBroker()  # the operator prompts of the runs started here

    def station(self) -> Station | None:
        """The configured station, shifted by its offset; None to simulate devices here."""
        if self.settings.station_path is None:
            return None
        try:
            return load_station(self.settings.station_path).shifted(self.settings.port_offset)
        except StationError as error:
            raise LaunchError(str(error)) from None

    def identity(self, identity: UnitIdentity, station: Station | None) -> UnitIdentity:
        """``identity`` with the station id this server records when the form gave none:
        ``--station-id``, else the station file's, else this machine's name."""
        if identity.station_id:
            return identity
        station_id = (
            self.settings.station_id
            or (station.station_id if station else "")
            or socket.gethostname()[:64]
        )
        return UnitIdentity(
            identity.sn, identity.batch_id, station_id, identity.stage, identity.operator
        )

    def start_run(self, plan: Plan, identity: UnitIdentity) -> str:
        """Start ``plan`` for one unit in the background and return its run id.

        Raises BusyError when it may not start now, LaunchError when it cannot.
        """
        station = self.station()
        if station is not None:
            try:
                check_covers(station, plan)
            except StationError as error:
                raise LaunchError(str(error)) from None
        run_id = uuid.uuid4().hex
        sequencer_box: list[Sequencer] = []
        asked_stop = threading.Event()

        def stop() -> None:
            asked_stop.set()
            self.prompts.cancel(run_id)  # a step waiting for the operator ends now
            if sequencer_box:
                sequencer_box[0].request_stop()

        channel = self._admit(run_id, "run", stop, station is not None)
        unit = self.identity(identity, station)

        def work() -> None:
            try:
                with open_devices(plan, station, None) as connected:
                    sequencer = Sequencer(
                        plan,
                        connected.clients,
                        connected.devices,
                        [self.store, ChannelObserver(channel)],
                        connected.framing,
                        run_id=run_id,
                        clock_speed=connected.clock_speed,
                        devices_from=self._described(),
                        identity=unit,
                        ask=self.prompts.asker(run_id, channel),
                    )
                    sequencer_box.append(sequencer)
                    if asked_stop.is_set():
                        sequencer.request_stop()
                    outcome = sequencer.run()
                if outcome.unreachable:
                    channel.publish("run_error", {"run_id": run_id, "error": outcome.ended_because})
            except (StationError, ServeError) as error:
                channel.publish("run_error", {"run_id": run_id, "error": str(error)})
            except ObserverError as error:
                self.store.try_mark_aborted(run_id)
                channel.publish("run_error", {"run_id": run_id, "error": str(error.error)})
            except Exception as error:  # a thread must end its channel whatever happened
                log.exception("run %s failed", run_id)
                channel.publish("run_error", {"run_id": run_id, "error": str(error)})
            finally:
                self._done(run_id)

        self._launch(run_id, work)
        return run_id

    def start_batch(
        self,
        plan: Plan,
        identity: UnitIdentity,
        sns: tuple[str, ...],
        *,
        parallel: int = 1,
        dut_profile: str = "clean",
    ) -> str:
        """Start a batch of ``sns`` in the background, stored and foldered as ``mfg-ctl batch``
        does; return its channel id (BusyError, LaunchError)."""
        station = self.station()
        unit = self.identity(identity, station)
        if not unit.batch_id or not unit.stage:
            raise LaunchError("a batch needs a batch id and a stage")
        if station is not None and station.slot_count < parallel:
            raise LaunchError(
                f"the station has {station.slot_count} slot(s): lower the units at once"
            )
        if self.store.batch(unit.batch_id) is not None:
            raise BusyError(f"batch {unit.batch_id} already exists: give another batch id")
        options = {"parallel": parallel, "dut_profile": dut_profile, "seed": 0}
        record = new_batch_record(plan, unit, sns, self.settings.runs_dir, **options)
        channel_id = str(record.options["run_id"])
        runner_box: list[BatchRunner] = []

        def stop() -> None:
            for runner in runner_box:
                runner.stop()

        channel = self._admit(channel_id, "batch", stop, station is not None)
        setup = BatchSetup(
            plan, unit, sns, parallel, station, None, dut_profile, 0, self._described()
        )

        def unit_done(done: UnitDone) -> None:
            channel.publish("unit_finished", _unit_data(done))

        def work() -> None:
            try:
                artifacts = batch_artifacts(record, plan)
                self.store.start_batch(record)
                artifacts.create()
                channel.publish("batch_started", _batch_data(record))
                runner = BatchRunner(setup, self.store, artifacts, unit_done)
                runner_box.append(runner)
                if self._active_stopped(channel_id):
                    runner.stop()
                outcome = runner.run()
                summary, not_tested = finish_batch(self.store, record, artifacts)
                channel.publish(
                    "batch_finished",
                    {
                        "batch_id": record.batch_id,
                        "units": summary["units"],
                        "not_tested": not_tested,
                        "folder": str(artifacts.folder),
                        "error": str(outcome.failure or outcome.unreachable or ""),
                    },
                )
            except (ArtifactError, StoreError) as error:
                channel.publish("run_error", {"run_id": channel_id, "error": str(error)})
            except Exception as error:  # a thread must end its channel whatever happened
                log.exception("batch %s failed", record.batch_id)
                channel.publish("run_error", {"run_id": channel_id, "error": str(error)})
            finally:
                self._done(channel_id)

        self._launch(channel_id, work)
        return channel_id

    def _active_stopped(self, channel_id: str) -> bool:
        with self._lock:
            active = self._active.get(channel_id)
        return active is not None and active.stopped.is_set()

    def _described(self) -> str:
        """Where the devices are, as the report says it."""
        if self.settings.station_path is None:
            return ""
        offset = self.settings.port_offset
        return f"{self.settings.station_path}" + (f" (ports {offset:+d})" if offset else "")

    def _admit(
        self, channel_id: str, kind: str, stop: Callable[[], None], exclusive: bool
    ) -> Channel:
        """Open a channel for a new run, or raise BusyError when it may not start now."""
        with self._lock:
            if exclusive and self._active:
                raise BusyError(
                    "the station's devices are in use by another run: wait for it to end"
                )
            if len(self._active) >= self.settings.concurrent_runs:
                raise BusyError(
                    f"{len(self._active)} runs are in progress, the most this server runs at "
                    "once: wait for one to end"
                )
            channel = self.channels.open(channel_id, kind)
            self._active[channel_id] = _Active(channel, stop)
            return channel

    def _launch(self, channel_id: str, work: Callable[[], None]) -> None:
        thread = threading.Thread(target=work, name=f"web-{channel_id[:8]}", daemon=True)
        with self._lock:
            self._active[channel_id].thread = thread
        thread.start()

    def _done(self, channel_id: str) -> None:
        with self._lock:
            active = self._active.pop(channel_id, None)
        if active is not None:
            active.channel.close()

    def stop(self, channel_id: str) -> bool:
        """Ask a live run to stop after its current step (teardown runs); False if not live."""
        with self._lock:
            active = self._active.get(channel_id)
        if active is None:
            return False
        active.stopped.set()
        active.stop()
        return True

    def running(self) -> list[str]:
        """The ids of the runs in progress."""
        with self._lock:
            return list(self._active)

    def shutdown(self, wait_s: float = 30.0) -> None:
        """Stop every run and wait (bounded) for their teardown: the server is going away."""
        with self._lock:
            active = list(self._active.values())
        for each in active:
            each.stop()
        for each in active:
            if each.thread is not None:
                each.thread.join(wait_s)
