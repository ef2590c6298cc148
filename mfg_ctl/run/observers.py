"""Observers of a run that write somewhere: the console and a JSONL event log.

(The run store is the other observer: :mod:`mfg_ctl.store`.)
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.status import Status
from rich.text import Text

from mfg_ctl.report import RunReport, render_text
from mfg_ctl.report.render import MARKS, TEARDOWN_MARK, header_text, summary_text
from mfg_ctl.run.events import (
    Event,
    RunFinished,
    RunStarted,
    StepAttempt,
    StepFinished,
    StepProgress,
    StepStarted,
)

__all__ = ["ConsolePrinter", "EventLines", "JsonlLog"]

log = logging.getLogger(__name__)

_STYLE = {"pass": "green", "fail": "bold red", "error": "bold yellow", "skipped": "dim"}


class ConsolePrinter:
    """Prints the station report; on a terminal, with colour and a progress line meanwhile.

    Piped, it prints exactly the report of doc/reference_station.rst once the run ends.
    """

    def __init__(self, stream: IO[str] | None = None, live: bool | None = None) -> None:
        self.console = Console(file=stream, highlight=False, soft_wrap=True)
        self.live = self.console.is_terminal if live is None else live
        self._events: list[Event] = []
        self._status: Status | None = None
        self._total = 0

    def __call__(self, event: Event) -> None:
        self._events.append(event)
        if isinstance(event, RunStarted):
            self._total = event.step_count  # the steps this run executes, teardown included
            if self.live:
                self._status = self.console.status(f"{event.plan_name}: starting")
                self._status.start()
        elif isinstance(event, StepStarted) and self._status is not None:
            done = sum(isinstance(e, StepFinished) for e in self._events)
            self._status.update(f"step {done + 1}/{self._total}: {event.name}")
        elif isinstance(event, RunFinished):
            if self._status is not None:
                self._status.stop()
            self._print(RunReport.from_events(self._events))

    def _print(self, report: RunReport) -> None:
        if not self.live:
            self.console.print(render_text(report), markup=False)
            return
        style = "green" if report.verdict == "pass" else "bold red"
        self.console.print(Text(header_text(report), style=style))
        if report.unit_line:
            self.console.print(Text(report.unit_line))
        width = len(str(max((s.number for s in report.steps), default=1)))
        for step in report.steps:
            line = Text(f"{step.number:>{width}} ")
            line.append(MARKS[step.verdict], style=_STYLE[step.verdict])
            marker = f" {TEARDOWN_MARK}" if step.teardown else ""
            line.append(f"{marker} {step.name}: {step.detail}")
            self.console.print(line)
        self.console.print(Text(summary_text(report)))


class EventLines:
    """Turns events into the JSON text of an ``events.jsonl`` line (``type`` names the event).

    Its lines keep their first shape: a step's ``target`` is written as
    ``register``, without its unit, and :class:`StepAttempt` is not written (a
    run's ``--artifacts`` folder has every attempt). A :class:`StepProgress` is
    written only when it carries a sweep's raw readings (``readings``: a list of
    objects, times in ISO 8601), with the ``attempt`` it belongs to: a retried
    sweep's readings are all written, and only the last attempt's count. Hand
    it every event of a run, in order: it counts the attempts.
    """

    def __init__(self) -> None:
        self._attempts: dict[tuple[str, int], int] = {}  # attempts ended, by run and step

    def line(self, event: Event) -> str | None:
        """The event as one line of JSON (no newline), or None for an event not written."""
        if isinstance(event, StepAttempt):
            key = (event.run_id, event.number)
            self._attempts[key] = self._attempts.get(key, 0) + 1
            return None
        if isinstance(event, StepProgress) and not event.readings:
            return None
        record: dict[str, Any] = {"type": type(event).__name__, **asdict(event)}
        if isinstance(event, StepProgress):
            record["attempt"] = self._attempts.get((event.run_id, event.number), 0) + 1
        if isinstance(event, StepFinished):
            del record["unit"]
            record = {("register" if key == "target" else key): v for key, v in record.items()}
        if isinstance(event, RunFinished):  # the run's attempts are counted no more
            for key in [key for key in self._attempts if key[0] == event.run_id]:
                del self._attempts[key]
        return json.dumps(record, default=_encode)


class JsonlLog:
    """Appends each event to a file as one JSON object per line (:class:`EventLines`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = path.open("a", encoding="utf-8")
        self._lines = EventLines()

    def __call__(self, event: Event) -> None:
        line = self._lines.line(event)
        if line is not None:
            self._file.write(line + "\n")
            self._file.flush()
        if isinstance(event, RunFinished):
            self.close()

    def close(self) -> None:
        """Close the file (again is harmless; a failing last flush was reported already)."""
        try:
            self._file.close()
        except OSError:
            log.debug("closing %s failed", self.path)


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")
