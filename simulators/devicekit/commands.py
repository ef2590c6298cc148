"""The fault custom commands, written once: mix them into any System that wants them.

:class:`FaultCommands` gives ``$system_set``, ``$system_fault``,
``$system_faults``, ``$system_clear_faults`` and ``$system_reset`` over the
System's :class:`~simulators.devicekit.values.Values` (``self.values``);
:class:`ResetCommand` gives ``$system_reset`` alone. A System says in its class
statement what its values are called (``target``, the argument of ``set``) and
may reword the first docstring line ``$system_help%`` shows for a command
(``docs``); the behaviour stays the kit's.

>>> from simulators.common import ListeningSystem
>>> from simulators.devicekit.commands import FaultCommands
>>> from simulators.devicekit.values import Values
>>> class Probe(ListeningSystem, FaultCommands, target="channel"):
...     def __init__(self) -> None:
...         self.values = Values({"ch0": lambda: 1.0}, target="channel")
...     def power_on(self) -> None:
...         self.values.reset()
...     def parse(self, byte: bytes) -> bool:
...         return True
>>> probe = Probe()
>>> probe.system_fault("stuck", "ch0"), probe.system_faults()
('ok', 'stuck ch0')
>>> print(probe.system_help().splitlines()[-2].split("  ")[0])
$system_set:<channel>,<value>%
"""

from __future__ import annotations

import functools
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from simulators.devicekit.values import Values

__all__ = ["FAULT_HELP", "FaultCommands", "ResetCommand"]

#: What ``$system_help%`` says of ``$system_fault`` (the grammar of faults.KINDS, shortened).
FAULT_HELP = (
    "Inject a fault: drift,<r>,<step>[,<sigma>[,<seed>]] stuck,<r> delay,<ms>[,<k>] "
    "drop,<k> garbage,<k>."
)


def _reworded(command: Callable[..., Any], doc: str, target: str | None) -> Callable[..., Any]:
    """``command`` with another docstring and, if given, its ``reading`` argument renamed."""

    @functools.wraps(command)
    def reworded(self: object, *args: str) -> Any:
        return command(self, *args)

    reworded.__doc__ = doc
    signature = inspect.signature(command)
    if target is not None and "reading" in signature.parameters:
        parameters = [
            parameter.replace(name=target) if parameter.name == "reading" else parameter
            for parameter in signature.parameters.values()
        ]
        signature = signature.replace(parameters=parameters)
    reworded.__signature__ = signature  # type: ignore[attr-defined]
    return reworded


class ResetCommand(ABC):
    """``$system_reset%``: the System back to power-on (:meth:`power_on`).

    Class keywords: ``target`` names the argument of ``$system_set``;
    ``docs`` maps a command name (``reset``, ``set`` ...) to its help line.
    """

    def __init_subclass__(
        cls,
        *,
        target: str | None = None,
        docs: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        commands = dict(docs or {})
        if target and hasattr(cls, "system_set"):
            commands.setdefault("set", cls.system_set.__doc__.replace("reading", target))
        for name, doc in commands.items():
            command = getattr(cls, f"system_{name}")
            setattr(cls, f"system_{name}", _reworded(command, doc, target))

    def hold(self) -> AbstractContextManager[object]:
        """Hold the model, up to date, while a command reads or changes values (default: as is)."""
        return nullcontext()

    @abstractmethod
    def power_on(self) -> None:
        """Back to the state at start-up; every System that takes these commands defines it."""

    def system_reset(self) -> str:
        """Back to the start-up state: defaults, faults and set values cleared."""
        with self.hold():
            self.power_on()
        return "ok"


class FaultCommands(ResetCommand):
    """The fault commands over ``self.values``: set, fault, faults, clear_faults, reset."""

    values: Values

    def system_set(self, reading: str, value: str) -> str:
        """Report <value> for a reading until set again, reset, or set to 'live'."""
        with self.hold():
            self.values.set_text(reading, value)
        return "ok"

    def system_fault(self, kind: str, *args: str) -> str:
        """Inject a fault (the help line is :data:`FAULT_HELP`, longer than a source line)."""
        with self.hold():
            self.values.fault(kind, *args)
        return "ok"

    def system_faults(self) -> str:
        """List the active faults, one per line, or none."""
        return self.values.describe_faults()

    def system_clear_faults(self) -> str:
        """Remove every fault (what drift added goes too; set values stay)."""
        self.values.clear_faults()
        return "ok"


FaultCommands.system_fault.__doc__ = FAULT_HELP
