"""Plan step kinds as plug-ins: one module per kind, each with its plan model and ``run``.

The rule of this layer: a kind module (:mod:`~mfg_ctl.steps.register`,
:mod:`~mfg_ctl.steps.scpi`, :mod:`~mfg_ctl.steps.tempco`, or one in another
distribution) holds everything about its kind — the pydantic model that
validates it in a plan and ``run(step, context) -> StepOutcome`` that performs
it through the run's device clients or drivers. What kinds share lives in
:mod:`~mfg_ctl.steps.contract` (outcome, context, errors) and
:mod:`~mfg_ctl.steps.model` (the step base, the plan's devices);
:mod:`~mfg_ctl.steps.registry` finds the kinds. The sequencer knows only the
contract and the registry: it imports no kind, driver or instrument module,
and nothing here imports the sequencer.
"""

from mfg_ctl.steps.contract import (
    DeviceError,
    FramingMismatchError,
    Limits,
    Progress,
    RefusedError,
    StepContext,
    StepKind,
    StepOutcome,
    TransientError,
    UnreachableError,
)
from mfg_ctl.steps.model import DeviceCatalog, StepBase
from mfg_ctl.steps.registry import ENTRY_POINT_GROUP, kind_of, step_kind, step_kinds

__all__ = [
    "ENTRY_POINT_GROUP",
    "DeviceCatalog",
    "DeviceError",
    "FramingMismatchError",
    "Limits",
    "Progress",
    "RefusedError",
    "StepBase",
    "StepContext",
    "StepKind",
    "StepOutcome",
    "TransientError",
    "UnreachableError",
    "kind_of",
    "step_kind",
    "step_kinds",
]
