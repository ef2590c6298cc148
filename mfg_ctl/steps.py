"""The step models of a plan, one per kind, each checked against the plan's devices.

Three kinds, told apart by their keys (:func:`step_kind`):

``register`` (:class:`RegisterStep`)
    A Modbus device: ``write: 1200`` to a register, or read one and judge it by
    one threshold.
``scpi`` (:class:`ScpiStep`)
    A SCPI instrument: ``write: "VOLT 5"`` sends a command; ``query:
    "MEAS:VOLT:DC?"`` reads a number and judges it by one threshold.
``tempco`` (:class:`TempcoStep`)
    A TempCo sweep over a chamber, a power supply and a multimeter, judged in
    ppm per degree Celsius.

Every step has ``kind``, ``number``, ``name``, ``device``, ``devices`` (every
device it talks to), ``timeout``, ``retries``, ``action``, ``is_write`` and
``threshold``. Devices resolve through a :class:`DeviceCatalog` passed as the
validation context (``{"devices": catalog, "number": n}``); a register step
names a Modbus device (declared ``profile:`` or a built-in profile), a SCPI or
TempCo step names instruments declared ``scpi: KIND``. Built in code without a
catalog, SCPI device names are taken as given.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PrivateAttr,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mfg_ctl.thresholds import FieldError, Number, ThresholdFields
from mfg_ctl.wording import (
    CUSTOM_PREFIX,
    clip,
    clip_text,
    control_character,
    describe_type,
)
from simulators.profiles import DeviceProfile, RegisterSpec, builtin_names
from simulators.profiles import resolve_profile as _resolve_profile

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "MAX_COMMAND",
    "SCPI_KINDS",
    "DeviceCatalog",
    "RegisterStep",
    "ScpiStep",
    "StepBase",
    "describe_type",
]

DEFAULT_TIMEOUT = 1.0  # seconds per attempt
MAX_TIMEOUT = 60.0
DEFAULT_RETRIES = 1  # extra attempts after a timeout, bad frame or dropped connection
MAX_RETRIES = 10
MAX_COMMAND = 256  # characters in one SCPI command
MAX_READINGS = 1000  # DMM readings averaged per TempCo point
#: The instruments of the SCPI bench (doc/dvt_bench.rst) a plan device may be.
SCPI_KINDS = ("chamber", "power_supply", "multimeter")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


#: The longest name of a plan, step or device.
MAX_NAME = 100


def _usable_name(value: str) -> str:
    if len(value) > MAX_NAME:
        raise ValueError(f"{clip(value)} is too long for a name: use at most {MAX_NAME} characters")
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"{clip(value)} is not a usable name: use letters, digits, _ . - and no spaces"
        )
    return value


Name = Annotated[str, AfterValidator(_usable_name)]

Whole = Annotated[int, Strict()]
Text = Annotated[str, Strict()]
Action = Literal["write", "read", "query", "sweep"]
ScpiKind = Literal["chamber", "power_supply", "multimeter"]


class DeviceCatalog:
    """The plan's devices by name: Modbus profiles (declared, else built-in) and SCPI kinds."""

    def __init__(
        self,
        declared: Mapping[str, DeviceProfile] | None = None,
        scpi: Mapping[str, str] | None = None,
    ) -> None:
        self.profiles: dict[str, DeviceProfile] = dict(declared or {})
        self.scpi: dict[str, str] = dict(scpi or {})

    def profile(self, device: str) -> DeviceProfile:
        """The profile of Modbus ``device``; ValueError saying how to declare an unknown one."""
        if device in self.scpi:
            raise ValueError(
                f"{device} is a SCPI instrument (scpi: {self.scpi[device]}), not a Modbus "
                'device: talk to it with query: "..." or write: "..." instead of register:'
            )
        if device not in self.profiles:
            if device not in builtin_names():
                raise ValueError(
                    f"unknown device {clip(device)}: not under the plan's devices: and not a "
                    f"built-in profile ({', '.join(builtin_names())}); declare it as "
                    f"devices: {{{clip_text(device)}: {{profile: path/to/profile.yaml}}}}"
                )
            self.profiles[device] = _resolve_profile(device)
        return self.profiles[device]

    def scpi_kind(self, device: str, wanted: str | None = None) -> str:
        """The instrument kind of SCPI ``device``; ValueError unless declared (as ``wanted``)."""
        kinds = wanted or "|".join(SCPI_KINDS)
        declare = f"declare it as devices: {{{clip_text(device)}: {{scpi: {kinds}}}}}"
        if device not in self.scpi:
            if device in self.profiles or device in builtin_names():
                raise ValueError(
                    f"{device} is a Modbus device, not a SCPI instrument: use "
                    f"register: with it, or {declare}"
                )
            raise ValueError(f"unknown SCPI device {clip(device)}: {declare}")
        kind = self.scpi[device]
        if wanted is not None and kind != wanted:
            raise ValueError(
                f"{device} is a {kind}, not a {wanted}: name a device declared as scpi: {wanted}"
            )
        return kind


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


def _catalog(info: ValidationInfo) -> DeviceCatalog:
    catalog = _context(info).get("devices")
    return catalog if isinstance(catalog, DeviceCatalog) else DeviceCatalog()


def _scpi_device(info: ValidationInfo, device: str, wanted: str | None = None) -> None:
    """Check a SCPI device against the plan's catalog; nothing to check without one."""
    catalog = _context(info).get("devices")
    if isinstance(catalog, DeviceCatalog):
        catalog.scpi_kind(device, wanted)


class StepBase(BaseModel):
    """What every step has: a name, a device, a timeout per attempt and a retry count."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str]
    name: Name
    device: str
    timeout: Number = DEFAULT_TIMEOUT
    retries: Whole = DEFAULT_RETRIES
    _number: int = PrivateAttr(default=0)
    _teardown: bool = PrivateAttr(default=False)

    @property
    def number(self) -> int:
        """The step's place in its plan, from 1 (0 outside a plan); teardown steps come last."""
        return self._number

    @property
    def teardown(self) -> bool:
        """Whether the step is one of the plan's ``teardown:`` steps, which always run."""
        return self._teardown

    @property
    def action(self) -> Action:
        """What the step does on the wire, as events report it."""
        raise NotImplementedError

    @property
    def is_write(self) -> bool:
        """Whether the step writes rather than measures."""
        return self.action == "write"

    @property
    def devices(self) -> tuple[str, ...]:
        """Every device the step talks to."""
        return (self.device,)

    @classmethod
    def check_device(cls, device: str, info: ValidationInfo) -> None:
        """ValueError unless ``device`` is one this kind of step can talk to."""
        _catalog(info).profile(device)

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str, info: ValidationInfo) -> str:
        cls.check_device(value, info)
        return value

    @field_validator("timeout")
    @classmethod
    def _check_timeout(cls, value: float) -> float:
        if not 0 < value <= MAX_TIMEOUT:
            raise ValueError(
                f"{value:g} s is not a usable timeout: give seconds per attempt, "
                f"above 0 and at most {MAX_TIMEOUT:g}"
            )
        return value

    @field_validator("retries")
    @classmethod
    def _check_retries(cls, value: int) -> int:
        if not 0 <= value <= MAX_RETRIES:
            raise ValueError(f"{value} is not allowed: give 0 to {MAX_RETRIES} extra attempts")
        return value

    @model_validator(mode="after")
    def _place(self, info: ValidationInfo) -> Self:
        self._number = int(_context(info).get("number", 0))
        self._teardown = bool(_context(info).get("teardown", False))
        return self


def _register_of(info: ValidationInfo) -> RegisterSpec | None:
    device, register = info.data.get("device"), info.data.get("register")
    if device is None or register is None:
        return None  # already reported
    return _catalog(info).profile(device).register(register)


# ``register`` is also ABCMeta.register on every pydantic class; the field is
# what instances see, so pydantic's warning about the shadowing is noise here.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", 'Field name "register"', UserWarning)

    class RegisterStep(StepBase, ThresholdFields):
        """Write one value to a Modbus register, or read one and judge it by one threshold."""

        kind: ClassVar[str] = "register"
        register: str
        write: Whole | None = None
        _spec: RegisterSpec | None = PrivateAttr(default=None)

        @property
        def register_spec(self) -> RegisterSpec:
            """The register from the device's profile: table, address, accepted values."""
            assert self._spec is not None, "validated steps always have their register"
            return self._spec

        @property
        def action(self) -> Action:
            """``write`` or ``read``."""
            return "write" if self.write is not None else "read"

        @field_validator("register")
        @classmethod
        def _check_register(cls, value: str, info: ValidationInfo) -> str:
            device = info.data.get("device")
            if device is not None:
                profile = _catalog(info).profile(device)
                known = [register.name for register in profile.registers]
                if value not in known:
                    close = difflib.get_close_matches(value, known, n=1)
                    hint = f"did you mean {close[0]}? " if close else ""
                    raise ValueError(
                        f"{device} has no register {clip(value)} ({hint}registers: "
                        f"{', '.join(known)})"
                    )
            return value

        @field_validator("write")
        @classmethod
        def _check_write(cls, value: int, info: ValidationInfo) -> int:
            spec = _register_of(info)
            if spec is None:
                return value
            if not spec.writable:
                raise ValueError(
                    f"{spec.name} is read-only ({spec.table} register): judge it with a threshold, "
                    "or write a holding register"
                )
            if not (0 <= value <= 0xFFFF and spec.accepts(value)):
                raise ValueError(
                    f"{value} is not accepted by {spec.name} (accepted: {spec.describe_values()})"
                )
            return value

        @model_validator(mode="after")
        def _resolve(self, info: ValidationInfo) -> Self:
            if self.write is not None:
                given = self.given_thresholds()
                if given:
                    raise FieldError(
                        given[0], "a write step takes no threshold: judge the value in a read step"
                    )
            else:
                self._threshold = self.build_threshold()
            self._spec = _catalog(info).profile(self.device).register(self.register)
            return self


def _command(value: str) -> str:
    """A SCPI command as sent: stripped, one line, not empty, at most MAX_COMMAND characters."""
    command = value.strip()
    if not command:
        raise ValueError('empty: give a SCPI command, such as query: "MEAS:VOLT:DC?"')
    if "\n" in command or "\r" in command:
        raise ValueError(f"{clip(command)} spans lines: give one command per step, on one line")
    if len(command) > MAX_COMMAND:
        raise ValueError(
            f"{len(command)} characters is too long for a command: give at most {MAX_COMMAND}"
        )
    if found := control_character(command):
        raise ValueError(f"{clip(command)} contains the control character {found}: remove it")
    if CUSTOM_PREFIX in command:
        raise ValueError(
            f"{clip(command)} contains {CUSTOM_PREFIX}, which starts a simulator's custom "
            "command (a fault or a reset), not SCPI: send faults with mfg-ctl simulate-fault"
        )
    return command


class ScpiStep(StepBase, ThresholdFields):
    """Send one SCPI command (``write``), or query one number and judge it by one threshold."""

    kind: ClassVar[str] = "scpi"
    query: Text | None = None
    write: Text | None = None

    @property
    def command(self) -> str:
        """The query or the command, as sent (stripped)."""
        command = self.query if self.query is not None else self.write
        assert command is not None, "validated SCPI steps always have a command"
        return command

    @property
    def action(self) -> Action:
        """``write`` or ``query``."""
        return "write" if self.write is not None else "query"

    @classmethod
    def check_device(cls, device: str, info: ValidationInfo) -> None:
        """ValueError unless ``device`` is declared ``scpi:`` in the plan."""
        _scpi_device(info, device)

    @field_validator("query")
    @classmethod
    def _check_query(cls, value: str) -> str:
        command = _command(value)
        if not command.endswith("?"):
            raise ValueError(
                f"{clip(command)} is not a query (no ? at the end): send a command with write:"
            )
        return command

    @field_validator("write")
    @classmethod
    def _check_write(cls, value: str) -> str:
        command = _command(value)
        if command.endswith("?"):
            raise ValueError(
                f"{clip(command)} is a query (ends with ?): read it with query: and a threshold"
            )
        return command

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        if self.query is not None and self.write is not None:
            raise FieldError("write", "give query: or write:, not both; make them two steps")
        if self.write is not None:
            given = self.given_thresholds()
            if given:
                raise FieldError(
                    given[0], "a write step takes no threshold: judge the value in a query step"
                )
        elif self.query is None:
            raise FieldError("query", 'missing; give query: "MEAS:VOLT:DC?" or write: "VOLT 5"')
        else:
            self._threshold = self.build_threshold()
        return self
