"""The step kinds a plan may use: the built-in ones, then those of installed distributions.

A distribution adds a kind by naming a :class:`~mfg_ctl.steps.contract.StepKind`
in the entry-point group ``mfg_ctl.steps`` (doc/step_kinds.rst)::

    [project.entry-points."mfg_ctl.steps"]
    settle = "their_package.settle:KIND"

Kinds are asked in order whether they claim a step as written (the built-in
``register``, ``tempco``, ``scpi``, ``line``, ``prompt``, then the others by name); the first that
does validates and runs it. A kind that cannot be loaded, or that reuses a
taken name, is logged and left out: a plan using it then fails to load with the
usual one-line error, and every other plan still runs.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from mfg_ctl.steps.contract import StepKind

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "forget", "kind_of", "step_kind", "step_kinds"]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mfg_ctl.steps"
#: The built-in kinds, in the order they are asked, as ``module:attribute``.
BUILTIN = (
    ("register", "mfg_ctl.steps.register:KIND"),
    ("tempco", "mfg_ctl.steps.tempco:KIND"),
    ("scpi", "mfg_ctl.steps.scpi:KIND"),
    ("line", "mfg_ctl.steps.line:KIND"),
    ("prompt", "mfg_ctl.steps.prompt:KIND"),
)

_kinds: dict[str, StepKind] = {}


def _load(name: str, target: str) -> StepKind:
    module, _, attribute = target.partition(":")
    kind = getattr(importlib.import_module(module), attribute)
    if not isinstance(kind, StepKind):
        raise TypeError(f"{target} is a {type(kind).__name__}, not a StepKind")
    if kind.name != name:
        raise ValueError(f"{target} calls itself {kind.name!r}, not {name!r}")
    return kind


def _installed() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda entry: entry.name)


def step_kinds() -> Mapping[str, StepKind]:
    """Every usable step kind by name, in the order they are asked; found once, then kept."""
    if not _kinds:
        found = {name: _load(name, target) for name, target in BUILTIN}
        for entry in _installed():
            where = f"{entry.value} (entry point {entry.name} of {ENTRY_POINT_GROUP})"
            if entry.name in found:
                log.warning("step kind %s left out: the name is taken", where)
                continue
            try:
                found[entry.name] = _load(entry.name, entry.value)
            except Exception as error:  # any failure of third-party code leaves it out
                log.warning("step kind %s left out: %s: %s", where, type(error).__name__, error)
        _kinds.update(found)
    return _kinds


def forget() -> None:
    """Look the kinds up again next time (after installing a distribution)."""
    _kinds.clear()


def kind_of(raw: Mapping[str, Any]) -> StepKind | None:
    """The kind that claims step ``raw`` (as written in YAML); None if none does."""
    return next((kind for kind in step_kinds().values() if kind.claims(raw)), None)


def step_kind(raw: Mapping[str, Any]) -> str | None:
    """The name of the kind of step ``raw``, from the keys it has; None if it says nothing."""
    kind = kind_of(raw)
    return kind.name if kind is not None else None
