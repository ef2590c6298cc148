"""Runs left "running" by a process that is gone (a mixin of :class:`~mfg_ctl.store.RunStore`).

A run is closed as ``aborted`` when its command is interrupted (:meth:`mark_aborted`),
when a write failed mid-run (:meth:`try_mark_aborted`), or, by any later query of
any process, when the process that recorded it no longer exists on this machine
(:meth:`_reap`). A run recorded on another machine is never judged from here.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mfg_ctl.store.models import RunSummary, StepResult, StoreError, TestRun

__all__ = ["AbandonedRuns", "ended_here", "pid_alive", "started_here"]

log = logging.getLogger(__name__)

#: Runs started by this process (any RunStore); a "running" row with our pid
#: but not listed here was left by an earlier process that had the same pid.
_LIVE_RUNS: set[str] = set()


def started_here(run_id: str) -> None:
    """This process records ``run_id`` now: its "running" row is not abandoned."""
    _LIVE_RUNS.add(run_id)


def ended_here(run_id: str) -> None:
    """This process no longer records ``run_id``."""
    _LIVE_RUNS.discard(run_id)


class AbandonedRuns:
    """Closing runs as aborted; the store supplies its transactions, its host name and
    a second opening of itself that waits less (:meth:`_reopened`)."""

    _host: str

    def _reopened(self, wait_s: float) -> AbstractContextManager[AbandonedRuns]:
        raise NotImplementedError

    def _read(self, what: str) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write(self, what: str) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def mark_aborted(self, run_id: str) -> bool:
        """Mark a still-running run aborted now (Ctrl-C); False if it is unknown or had ended."""
        ended_here(run_id)
        return self._abort(run_id, datetime.now(UTC))

    def try_mark_aborted(self, run_id: str, wait_s: float = 1.0) -> bool:
        """Best effort after a failed write: mark the run aborted, waiting at most ``wait_s``
        for the database; False (never an exception) if it cannot be done now.

        The run is forgotten as ours either way, so the next query of any
        process marks it aborted if this could not.
        """
        ended_here(run_id)
        try:
            with self._reopened(wait_s) as quick:
                return quick._abort(run_id, datetime.now(UTC))
        except StoreError as error:
            log.info("could not mark run %s aborted now: %s", run_id, error)
            return False

    def _abort(self, run_id: str, finished_at: datetime | None) -> bool:
        """Close a running run as aborted, counting the steps it recorded."""
        with self._write(f"mark run {run_id} aborted") as session:
            run = session.get(TestRun, run_id)
            if run is None or run.status != "running":
                return False
            verdicts = session.execute(
                select(StepResult.verdict, func.count())
                .where(StepResult.run_id == run_id)
                .group_by(StepResult.verdict)
            ).all()
            counts: dict[str, int] = {str(v): int(n) for v, n in verdicts}
            first = session.execute(
                select(StepResult.number, StepResult.name)
                .where(StepResult.run_id == run_id, StepResult.verdict != "pass")
                .order_by(StepResult.number)
                .limit(1)
            ).first()
            run.status = "aborted"
            run.passed = counts.get("pass", 0)
            run.failed = counts.get("fail", 0)
            run.errors = counts.get("error", 0)
            run.first_failure = None if first is None else f"{first.number} {first.name}"
            run.finished_at = finished_at
            if finished_at is not None:
                run.duration_s = (finished_at - run.started_at).total_seconds()
        log.info("run %s marked aborted", run_id)
        return True

    def is_running(self, run: RunSummary) -> bool:
        """Whether ``run`` is recorded as running and its process may still be at it."""
        return run.status == "running" and self._alive(run.run_id, run.host, run.pid)

    def _reap(self) -> None:
        """Mark aborted every run still 'running' whose process is gone.

        Best effort: a query must answer even when this cleanup cannot write
        (the database is locked or read-only); the next query tries again.
        """
        with self._read("look for abandoned runs") as session:
            rows = session.execute(
                select(TestRun.id, TestRun.host, TestRun.pid).where(TestRun.status == "running")
            ).all()
        for run_id, host, pid in rows:
            if not self._alive(run_id, host, pid):
                try:
                    self._abort(run_id, None)
                except StoreError as error:
                    log.warning("could not mark run %s aborted: %s", run_id, error)
                    return

    def _alive(self, run_id: str, host: str, pid: int) -> bool:
        """Tell whether the process recording a run may still be at it."""
        if host != self._host:
            return True  # another machine's process: nothing to check from here
        if pid == os.getpid():
            return run_id in _LIVE_RUNS
        return pid_alive(pid)


def pid_alive(pid: int) -> bool:
    """Tell whether a process with this pid exists on this machine."""
    if sys.platform == "win32":  # pragma: no cover - os.kill would terminate it there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists but belongs to someone else
    return True
