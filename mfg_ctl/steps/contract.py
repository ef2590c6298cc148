"""What a step kind and the sequencer agree on: the context a step runs in and its outcome.

A step kind's ``run(step, context)`` talks to its devices through
``context.clients`` and returns a :class:`StepOutcome`, or raises a
:class:`DeviceError`; the sequencer turns either into one ``StepFinished``
event. What the sequencer does with each error:

* :class:`TransientError` (timeout, bad frame, dropped connection): the step's
  devices are closed (reopened on the next request) and the step runs again,
  up to its ``retries``;
* :class:`RefusedError` (the device answered with an error): the step is an
  ``error``, not retried;
* :class:`UnreachableError` (nothing answers there): the step is an ``error``
  and the run ends (exit status 3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from mfg_ctl.run.events import SweepReading

if TYPE_CHECKING:
    from mfg_ctl.steps.model import StepBase

__all__ = [
    "DeviceError",
    "FramingMismatchError",
    "Limits",
    "OperatorPrompt",
    "Progress",
    "RefusedError",
    "StepContext",
    "StepKind",
    "StepOutcome",
    "TransientError",
    "UnreachableError",
    "no_operator",
]

#: ``pass`` and ``fail`` judge a measurement; ``error``: no trustworthy measurement was made.
Status = Literal["pass", "fail", "error"]


class DeviceError(Exception):
    """A request to a device failed; :attr:`reason` is the report's text.

    ``code`` is the device's own code for the failure (a dut's ``E210``), "" if it gave none.
    """

    def __init__(self, message: str = "", code: str = "") -> None:
        super().__init__(message)
        self.code = code

    @property
    def reason(self) -> str:
        """What the report says about the failure."""
        return str(self)


class TransientError(DeviceError):
    """No trustworthy answer this time (timeout, malformed or dropped): worth a retry."""


class RefusedError(DeviceError):
    """The device refused the request (a Modbus exception response, a SCPI error)."""

    @property
    def reason(self) -> str:
        """``refused: ...``."""
        return f"refused: {self}"


class UnreachableError(DeviceError):
    """The device cannot be connected to at all: the run ends."""

    @property
    def reason(self) -> str:
        """``unreachable: ...``."""
        return f"unreachable: {self}"

    def why_the_run_ended(self, device: str) -> str:
        """What the command says when this error ended the run at plan device ``device``."""
        return "a device could not be reached"


class FramingMismatchError(UnreachableError):
    """The device answers only in the other Modbus framing: nothing to retry."""

    @property
    def reason(self) -> str:
        """The message itself: it already says what to do."""
        return str(self)

    def why_the_run_ended(self, device: str) -> str:
        """The device and what to do."""
        return f"{device}: {self}"


@dataclass(frozen=True, slots=True)
class Limits:
    """What a measured value was judged against: a band, and the value expected if one was."""

    low: float | None
    high: float | None
    expected: float | None = None


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """How one step ended: its status, the reason the report prints, what was measured.

    ``value`` is the measurement (None for a write or when none was made),
    judged against ``limits`` in ``unit``; ``unreachable`` says the device was
    not there to talk to, which ends the run; ``error_code`` is the device's
    code for an error, if it gave one.
    """

    status: Status
    reason: str
    value: float | None = None
    limits: Limits | None = None
    unit: str = ""
    unreachable: bool = False
    error_code: str = ""


@dataclass(frozen=True, slots=True)
class Progress:
    """Part of a step measured before the step is judged (a TempCo point): for observers.

    ``readings`` are the raw readings behind it, which the run store keeps.
    """

    part: str  # e.g. point_25C
    reason: str  # what the report would say about it
    value: float | None = None
    unit: str = ""
    readings: tuple[SweepReading, ...] = ()


@dataclass(frozen=True, slots=True)
class OperatorPrompt:
    """A question for the person at the station, asked by step ``number`` (``name``).

    The answer is one of ``answers``; whoever answers (the web UI's operator page)
    waits at most ``timeout`` seconds for it.
    """

    text: str
    answers: tuple[str, ...]
    timeout: float
    number: int = 0
    name: str = ""


def no_operator(prompt: OperatorPrompt) -> str:
    """Nobody answers prompts here (a batch, a command line without one): an error step."""
    raise DeviceError(
        "needs an operator: nobody here answers prompts; run the plan from the web UI's "
        "operator page or at a terminal"
    )


def _ignore(progress: Progress) -> None:
    """Nobody listens."""


def _itself(step: Any) -> Any:
    """The step as validated."""
    return step


@dataclass(frozen=True, slots=True)
class StepContext:
    """What a running step may use: the run's device clients by plan device name, and more.

    ``clock_speed`` says how much faster than real time the devices' clock runs
    (simulated instruments); ``progress`` tells the observers about a part of
    the step as soon as it is measured; ``ask`` puts a question to the operator
    and returns the answer, blocking until one comes (a :class:`DeviceError`
    when none can: nobody there, no answer in time, the run was stopped).
    """

    clients: Mapping[str, Any]
    run_id: str = ""
    clock_speed: float = 1.0
    progress: Callable[[Progress], None] = _ignore
    ask: Callable[[OperatorPrompt], str] = no_operator

    def client(self, device: str) -> Any:
        """The client of plan device ``device``."""
        return self.clients[device]


@dataclass(frozen=True)
class StepKind:
    """A kind of plan step: its name, its plan model, which YAML steps it claims, how it runs.

    ``claims(raw)`` says whether a step as written in YAML (a mapping) is of
    this kind; ``nested`` names the model of each of its mapping fields, for
    the field names of plan errors (``tempco.temperatures``). ``prepare``, once
    per run, turns the validated step into what ``run`` is given on every
    attempt (by default the step itself; the built-in kinds resolve plain fields
    once, as the sequencer's inner loop is their cost per step).
    """

    name: str
    model: type[StepBase]
    claims: Callable[[Mapping[str, Any]], bool]
    run: Callable[[Any, StepContext], StepOutcome]
    nested: Mapping[str, type[Any]] = field(default_factory=dict)
    prepare: Callable[[Any], Any] = _itself
