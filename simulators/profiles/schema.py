"""Device profiles: a register map and its behaviours, in YAML, with no wire format in it.

A profile names each register, its table (holding or input), its 0-based wire
address, access, accepted values, default, and optional behaviours: ``derive``
(an expression over other registers and ``parameters``, e.g. a readback that
follows a setpoint), ``noise`` (seeded Gaussian noise, in raw units) and
start-up ``faults`` in the ``$system_fault`` grammar.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulators.profiles.expression import FUNCTIONS, Expression

__all__ = ["DeviceProfile", "ProfileError", "RegisterSpec", "load_profile"]

Word = Annotated[int, Field(ge=0, le=0xFFFF)]


class ProfileError(Exception):
    """A profile file is missing or invalid; the message names the file and the field."""


class RegisterSpec(BaseModel):
    """One register of a device."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    address: Word
    table: Literal["holding", "input"]
    access: Literal["rw", "ro"] | None = None
    range: tuple[Word, Word] | None = None
    choices: list[Word] | None = None
    default: Word = 0
    derive: str | None = None
    noise: float = Field(default=0.0, ge=0.0)
    unit: str = ""
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.table == "input" and self.access == "rw":
            raise ValueError("input registers are read-only: drop 'access: rw'")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"range low {self.range[0]} is above high {self.range[1]}")
        if self.range is not None and self.choices is not None:
            raise ValueError("give either range or choices, not both")
        if self.derive is not None:
            if self.table != "input":
                raise ValueError("only input registers can be derived")
            Expression(self.derive)  # raises ValueError with the reason
        if not self.accepts(self.default) and self.derive is None:
            raise ValueError(f"default {self.default} is not an accepted value")
        return self

    @property
    def writable(self) -> bool:
        """Whether Modbus writes reach this register."""
        return self.table == "holding" and self.access != "ro"

    def accepts(self, value: int) -> bool:
        """Whether ``value`` may be written."""
        if self.range is not None:
            return self.range[0] <= value <= self.range[1]
        if self.choices is not None:
            return value in self.choices
        return True

    def describe_values(self) -> str:
        """The accepted values, for error messages and listings."""
        if self.range is not None:
            return f"{self.range[0]}-{self.range[1]}"
        if self.choices is not None:
            return "/".join(str(choice) for choice in self.choices)
        return "0-65535"


class DeviceProfile(BaseModel):
    """A device: its registers, constants for expressions, and start-up faults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    unit: int = Field(default=1, ge=1, le=247)
    seed: int = 0
    parameters: dict[str, float] = Field(default_factory=dict)
    registers: list[RegisterSpec] = Field(min_length=1)
    faults: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Self:
        names = [register.name for register in self.registers]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"register names used twice: {', '.join(duplicates)}")
        places = [(register.table, register.address) for register in self.registers]
        clashes = sorted({place for place in places if places.count(place) > 1})
        if clashes:
            raise ValueError(f"addresses used twice: {clashes}")
        known = set(names) | set(self.parameters)
        clashing = set(names) & (set(self.parameters) | set(FUNCTIONS))
        if clashing:
            raise ValueError(f"names used for both a register and a parameter: {sorted(clashing)}")
        for register in self.registers:
            if register.derive is not None:
                unknown = Expression(register.derive).names - known
                if unknown:
                    raise ValueError(
                        f"register {register.name}: derive uses unknown names {sorted(unknown)}"
                    )
        self._check_cycles()
        return self

    def _check_cycles(self) -> None:
        derived = {r.name: Expression(r.derive).names for r in self.registers if r.derive}
        visiting: set[str] = set()
        done: set[str] = set()

        def visit(name: str, path: tuple[str, ...]) -> None:
            if name in done or name not in derived:
                return
            if name in visiting:
                raise ValueError(f"derive expressions form a loop: {' -> '.join((*path, name))}")
            visiting.add(name)
            for dependency in sorted(derived[name]):
                visit(dependency, (*path, name))
            visiting.discard(name)
            done.add(name)

        for name in sorted(derived):
            visit(name, ())

    def register(self, name: str) -> RegisterSpec:
        """The register called ``name`` (KeyError if none)."""
        for register in self.registers:
            if register.name == name:
                return register
        raise KeyError(name)


def load_profile(path: Path) -> DeviceProfile:
    """Load and validate a profile; :class:`ProfileError` names the file and the field."""
    try:
        data: Any = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ProfileError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ProfileError(f"{path}: not valid YAML: {error}") from None
    return parse_profile(data, str(path))


def parse_profile(data: Any, source: str = "<profile>") -> DeviceProfile:
    """Validate profile data already parsed from YAML."""
    try:
        return DeviceProfile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "profile"
        if isinstance(data, dict) and first["loc"][:1] == ("registers",) and len(first["loc"]) > 1:
            index = first["loc"][1]
            registers = data.get("registers")
            if isinstance(index, int) and isinstance(registers, list) and index < len(registers):
                name = registers[index].get("name") if isinstance(registers[index], dict) else None
                where = f"register {index + 1}" + (f" ({name})" if name else "")
                rest = ".".join(str(part) for part in first["loc"][2:])
                where += f", field {rest}" if rest else ""
        message = first["msg"].removeprefix("Value error, ")
        raise ProfileError(f"{source}: {where}: {message}") from None
