"""The register model of a Modbus device, built from a profile: stored, derived and faulted values.

It speaks registers, not frames: a read or write by table and address
either succeeds or raises :class:`RegisterError` with the Modbus exception code
the wire layer sends back.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

from simulators.devicekit import Values
from simulators.profiles import DeviceProfile, RegisterSpec
from simulators.profiles.expression import Expression
from simulators.protocols.modbus import ExceptionCode

__all__ = ["RegisterError", "RegisterModel", "saturate"]

#: The largest value a 16-bit register holds.
REGISTER_MAX = 0xFFFF


def saturate(value: float) -> int:
    """What a 16-bit register reports for ``value``: rounded, clamped to 0..65535.

    Like an instrument's overload reading, a value beyond the range (a drift
    that ran to infinity included) reads as the nearest bound; NaN reads as
    the top of the range.

    >>> saturate(4980.4), saturate(-3), saturate(1e308 * 10), saturate(float("nan"))
    (4980, 0, 65535, 65535)
    """
    if math.isnan(value):
        return REGISTER_MAX
    if value >= REGISTER_MAX:
        return REGISTER_MAX
    if value <= 0:
        return 0
    return round(value)


class RegisterError(Exception):
    """A request the device refuses, with the Modbus exception code to answer."""

    def __init__(self, code: ExceptionCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class RegisterModel:
    """The registers of one device and their behaviours, over the device kit's value layer.

    Overrides, drift, stuck values, noise and response faults live in
    ``values`` (:class:`~simulators.devicekit.Values`); this class stores what
    clients write and derives the registers that follow others.
    """

    def __init__(self, profile: DeviceProfile, seed: int | None = None) -> None:
        self.profile = profile
        self.seed = profile.seed if seed is None else seed
        self._by_name = {register.name: register for register in profile.registers}
        self._by_place: dict[tuple[str, int], RegisterSpec] = {
            (r.table, r.address): r for r in profile.registers
        }
        self._derive = {r.name: Expression(r.derive) for r in profile.registers if r.derive}
        self._stored: dict[str, float] = {}  # what clients wrote, filled in place by reset()
        self.values = Values(
            {r.name: self._source_of(r.name) for r in profile.registers},
            target="register",
            resolve=lambda key: self.lookup(key).name,
            parse_value=_register_value,
            noise={r.name: r.noise for r in profile.registers},
            seed=self.seed,
            corruption="crc",
            drift_moves_value=True,
        )
        self.reset()

    def reset(self) -> None:
        """Back to the profile's defaults and start-up faults; other faults cleared."""
        self._stored.update((r.name, r.default) for r in self.profile.registers)
        self.values.reset()
        for fault in self.profile.faults:
            self.values.fault(*fault.split(","))

    # -- register access, as the wire layer sees it ---------------------------

    def read(self, table: str, address: int, count: int) -> list[int]:
        """Read ``count`` registers from ``address``; every one must exist."""
        registers = [self._at(table, address + offset) for offset in range(count)]
        return [self._report(register) for register in registers]

    def write(self, address: int, values: Sequence[int]) -> None:
        """Write holding registers from ``address``; all or nothing (a stuck one ignores it)."""
        registers = [self._at("holding", address + offset) for offset in range(len(values))]
        for register, value in zip(registers, values, strict=True):
            if not register.writable:
                raise RegisterError(
                    ExceptionCode.ILLEGAL_DATA_ADDRESS, f"{register.name} is read-only"
                )
            if not register.accepts(value):
                raise RegisterError(
                    ExceptionCode.ILLEGAL_DATA_VALUE,
                    f"{value} is not valid for {register.name} ({register.describe_values()})",
                )
        for register, value in zip(registers, values, strict=True):
            if self.values.write(register.name):
                self._stored[register.name] = value

    def _at(self, table: str, address: int) -> RegisterSpec:
        register = self._by_place.get((table, address))
        if register is None:
            raise RegisterError(
                ExceptionCode.ILLEGAL_DATA_ADDRESS, f"no {table} register at address {address}"
            )
        return register

    # -- values ---------------------------------------------------------------

    def value(self, name: str) -> float:
        """The register's current value, faults included, without advancing drift or noise."""
        return self.values.value(name)

    def _source_of(self, name: str) -> Callable[[], float]:
        """The register's own value: what was written, or its expression over the others."""
        if name in self._derive:
            return functools.partial(self._derived, name)
        return functools.partial(self._stored.__getitem__, name)  # no Python frame per read

    def _derived(self, name: str) -> float:
        expression = self._derive[name]
        scope = dict(self.profile.parameters)
        for dependency in expression.names & self._by_name.keys():
            scope[dependency] = self.values.value(dependency)
        return expression.evaluate(scope)

    def _report(self, register: RegisterSpec) -> int:
        """A read from the wire: drift advances, noise is drawn, the result saturates to 16 bits."""
        try:
            return saturate(self.values.report(register.name))
        except ValueError as error:  # a derived register's expression failed
            raise RegisterError(ExceptionCode.SERVER_DEVICE_FAILURE, str(error)) from None

    # -- what the custom commands name ------------------------------------------

    def lookup(self, key: str) -> RegisterSpec:
        """A register by name, or by address when only one table has it."""
        register = self._by_name.get(key)
        if register is not None:
            return register
        try:
            address = int(key)
        except ValueError:
            known = ", ".join(self._by_name)
            raise ValueError(f"unknown register {key!r}; known: {known}") from None
        matches = [r for r in self.profile.registers if r.address == address]
        if len(matches) != 1:
            raise ValueError(f"address {address} names {len(matches)} registers; use a name")
        return matches[0]

    def describe(self) -> str:
        """One line per register: address, table, name, value, accepted values."""
        lines = []
        for register in sorted(self.profile.registers, key=lambda r: (r.table, r.address)):
            access = "rw" if register.writable else "ro"
            try:
                value = str(saturate(self.value(register.name)))
            except ValueError as error:  # a derived register's expression failed
                value = f"? ({error})"
            lines.append(
                f"{register.table} {register.address} {register.name} = "
                f"{value} ({access}, {register.describe_values()})"
            )
        return "\n".join(lines)


def _register_value(text: str) -> int:
    """A ``$system_set`` value for a register: an integer 0..65535."""
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"value must be an integer, got {text!r}") from None
    if not 0 <= value <= REGISTER_MAX:
        raise ValueError(f"value must be 0-65535, got {value}")
    return value
