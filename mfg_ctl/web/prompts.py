"""Questions a running plan puts to the operator, and the answers that release them.

A ``prompt`` step calls its context's ``ask``; for a run started here that is
:meth:`PromptBroker.asker`: the question becomes a pending prompt of the run,
is published on the run's live channel as a ``prompt`` message, and the
step's thread waits (bounded by the step's timeout) until a browser answers
it through :meth:`PromptBroker.answer`, the run is stopped
(:meth:`PromptBroker.cancel`), or time runs out. An answer is published as
``prompt_answered``. Every method is thread-safe.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mfg_ctl.steps.contract import DeviceError, OperatorPrompt
from mfg_ctl.steps.prompt import unanswered
from mfg_ctl.web.live import Channel

__all__ = ["PendingPrompt", "PromptBroker", "PromptError"]

#: Stopped runs remembered, so a prompt asked after the stop (a teardown step) is refused
#: at once; past this the oldest are forgotten (their runs have long ended).
MAX_STOPPED = 1000


class PromptError(Exception):
    """An answer that cannot be taken: ``status`` 404 (no such prompt waits) or 400 (not
    one of the ``offered`` answers)."""

    def __init__(self, status: int, offered: tuple[str, ...] = ()) -> None:
        super().__init__(
            f"answer one of: {', '.join(offered)}" if offered else "no such prompt is waiting"
        )
        self.status = status
        self.offered = offered


@dataclass(frozen=True, slots=True)
class PendingPrompt:
    """A question waiting for its answer: who asks (run, step) and what may be answered."""

    prompt_id: str
    run_id: str
    number: int
    name: str
    text: str
    answers: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        """The ``prompt`` message's data."""
        return {
            "run_id": self.run_id,
            "prompt_id": self.prompt_id,
            "number": self.number,
            "name": self.name,
            "text": self.text,
            "answers": list(self.answers),
        }


@dataclass
class _Waiting:
    """A pending prompt and what releases its step's thread."""

    pending: PendingPrompt
    released: threading.Event = field(default_factory=threading.Event)
    answer: str | None = None
    stopped: bool = False


class PromptBroker:
    """The pending prompts of every run of one server."""

    def __init__(self) -> None:
        self._waiting: dict[str, _Waiting] = {}  # by prompt id
        self._stopped: OrderedDict[str, None] = OrderedDict()  # run ids
        self._lock = threading.Lock()

    def asker(self, run_id: str, channel: Channel) -> Callable[[OperatorPrompt], str]:
        """The ``ask`` of run ``run_id``'s steps: its prompts are published on ``channel``."""

        def ask(prompt: OperatorPrompt) -> str:
            return self.ask(run_id, channel, prompt)

        return ask

    def ask(self, run_id: str, channel: Channel, prompt: OperatorPrompt) -> str:
        """Publish ``prompt`` and wait for its answer; DeviceError when none comes."""
        pending = PendingPrompt(
            uuid.uuid4().hex[:16], run_id, prompt.number, prompt.name, prompt.text, prompt.answers
        )
        waiting = _Waiting(pending)
        with self._lock:
            if run_id in self._stopped:
                raise DeviceError("the run was stopped: no operator prompt is asked")
            self._waiting[pending.prompt_id] = waiting
        channel.publish("prompt", pending.data())
        waiting.released.wait(prompt.timeout)
        with self._lock:
            self._waiting.pop(pending.prompt_id, None)
            answer, stopped = waiting.answer, waiting.stopped
        if answer is not None:
            return answer
        if stopped:
            raise DeviceError("the run was stopped while waiting for the operator's answer")
        raise unanswered(prompt)

    def answer(self, run_id: str, prompt_id: str, answer: str, channel: Channel) -> None:
        """Answer a pending prompt of ``run_id`` and publish it on ``channel``.

        PromptError 404 when the run has no such prompt (answered already, timed
        out, never asked), 400 when ``answer`` is not one of those offered.
        """
        with self._lock:
            waiting = self._waiting.get(prompt_id)
            if waiting is None or waiting.pending.run_id != run_id or waiting.released.is_set():
                raise PromptError(404)
            if answer not in waiting.pending.answers:
                raise PromptError(400, waiting.pending.answers)
            waiting.answer = answer
            waiting.released.set()
            channel.publish("prompt_answered", {"prompt_id": prompt_id, "answer": answer})

    def pending(self, run_id: str) -> list[PendingPrompt]:
        """The prompts of ``run_id`` waiting for an answer, oldest first."""
        with self._lock:
            return [
                waiting.pending
                for waiting in self._waiting.values()
                if waiting.pending.run_id == run_id and not waiting.released.is_set()
            ]

    def cancel(self, run_id: str) -> None:
        """The run is stopping: release its waiting prompts and refuse any it asks later."""
        with self._lock:
            self._stopped[run_id] = None
            while len(self._stopped) > MAX_STOPPED:
                self._stopped.popitem(last=False)
            for waiting in self._waiting.values():
                if waiting.pending.run_id == run_id and not waiting.released.is_set():
                    waiting.stopped = True
                    waiting.released.set()
