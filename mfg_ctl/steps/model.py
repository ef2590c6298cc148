"""What every plan step model is built on: :class:`StepBase` and the plan's devices.

Every step has ``kind``, ``number``, ``name``, ``device``, ``devices`` (every
device it talks to), ``timeout``, ``retries``, ``retry_delay``, ``on_exhausted``,
``requirements``, ``action``, ``target`` and ``is_write``.
Devices resolve through a :class:`DeviceCatalog` passed as the
validation context (``{"devices": catalog, "number": n}``); a register step
names a Modbus device (declared ``profile:`` or a built-in profile), a SCPI or
TempCo step names instruments declared ``scpi: KIND``. Built in code without a
catalog, SCPI device names are taken as given. The kinds themselves are the
other modules of this package (:mod:`mfg_ctl.steps.registry`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self, get_args

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

from mfg_ctl.requirements import RequirementSet, check_requirement_id
from mfg_ctl.run.events import OnExhausted
from mfg_ctl.steps.thresholds import Number
from mfg_ctl.wording import clip, clip_text, describe_type
from simulators.profiles import DeviceProfile, builtin_names
from simulators.profiles import resolve_profile as _resolve_profile

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "LINE_KINDS",
    "SCPI_KINDS",
    "Action",
    "DeviceCatalog",
    "LineKind",
    "Name",
    "Retries",
    "RetryDelay",
    "ScpiKind",
    "StepBase",
    "StepDefaults",
    "Text",
    "Timeout",
    "Whole",
    "catalog_of",
    "check_retries",
    "check_retry_delay",
    "check_timeout",
    "describe_type",
    "scpi_device",
]

DEFAULT_TIMEOUT = 1.0  # seconds per attempt
MAX_TIMEOUT = 60.0
DEFAULT_RETRIES = 1  # extra attempts after a timeout, bad frame or dropped connection
MAX_RETRIES = 10
MAX_RETRY_DELAY = 60.0  # seconds between two attempts, at most
MAX_REQUIREMENTS = 50  # requirements one step may name
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
Action = Literal["write", "read", "query", "sweep", "send", "ask"]
#: The instruments of the SCPI bench (doc/dvt_bench.rst) a plan device may be
#: (``scpi: KIND``); the ``dvt_bench`` simulator serves one of each under these names.
ScpiKind = Literal["chamber", "power_supply", "multimeter"]
SCPI_KINDS: tuple[ScpiKind, ...] = get_args(ScpiKind)
#: Devices that answer one text line per command line (``OK``, a value, or ``ERR E<nnn> text``)
#: a plan device may be (``line: KIND``); the ``dut`` simulator is one.
LineKind = Literal["dut"]
LINE_KINDS: tuple[LineKind, ...] = get_args(LineKind)


class DeviceCatalog:
    """The plan's devices by name: Modbus profiles (declared, else built-in) and SCPI kinds."""

    def __init__(
        self,
        declared: Mapping[str, DeviceProfile] | None = None,
        scpi: Mapping[str, str] | None = None,
        line: Mapping[str, str] | None = None,
    ) -> None:
        self.profiles: dict[str, DeviceProfile] = dict(declared or {})
        self.scpi: dict[str, str] = dict(scpi or {})
        self.line: dict[str, str] = dict(line or {})

    def line_kind(self, device: str) -> str:
        """The kind of line device ``device``; ValueError unless the plan declares it ``line:``."""
        if device not in self.line:
            raise ValueError(
                f"{clip(device)} is not a line device: declare it as devices: "
                f"{{{clip_text(device)}: {{line: {'|'.join(LINE_KINDS)}}}}} to send: or ask: it"
            )
        return self.line[device]

    def profile(self, device: str) -> DeviceProfile:
        """The profile of Modbus ``device``; ValueError saying how to declare an unknown one."""
        if device in self.line:
            raise ValueError(
                f"{device} is a line device (line: {self.line[device]}), not a Modbus device: "
                'talk to it with send: "..." or ask: "..." instead of register:'
            )
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


def catalog_of(info: ValidationInfo) -> DeviceCatalog:
    catalog = _context(info).get("devices")
    return catalog if isinstance(catalog, DeviceCatalog) else DeviceCatalog()


def scpi_device(info: ValidationInfo, device: str, wanted: str | None = None) -> None:
    """Check a SCPI device against the plan's catalog; nothing to check without one."""
    catalog = _context(info).get("devices")
    if isinstance(catalog, DeviceCatalog):
        catalog.scpi_kind(device, wanted)


def check_timeout(value: float) -> float:
    """``value`` if usable as a step's timeout (seconds per attempt), else ValueError."""
    if not 0 < value <= MAX_TIMEOUT:
        raise ValueError(
            f"{value:g} s is not a usable timeout: give seconds per attempt, "
            f"above 0 and at most {MAX_TIMEOUT:g}"
        )
    return value


def check_retries(value: int) -> int:
    """``value`` if usable as a step's count of extra attempts, else ValueError."""
    if not 0 <= value <= MAX_RETRIES:
        raise ValueError(f"{value} is not allowed: give 0 to {MAX_RETRIES} extra attempts")
    return value


def check_retry_delay(value: float) -> float:
    """``value`` if usable as the seconds between two attempts, else ValueError."""
    if not 0 <= value <= MAX_RETRY_DELAY:
        raise ValueError(
            f"{value:g} s is not a usable retry_delay: give seconds between attempts, "
            f"0 to {MAX_RETRY_DELAY:g}"
        )
    return value


#: A step's timeout, extra attempts and delay between attempts, checked wherever they are
#: given (a step, a plan's ``defaults:``).
Timeout = Annotated[Number, AfterValidator(check_timeout)]
Retries = Annotated[Whole, AfterValidator(check_retries)]
RetryDelay = Annotated[Number, AfterValidator(check_retry_delay)]


class StepBase(BaseModel):
    """What every step has: a name, a device, a timeout per attempt and a retry count."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str]  # the name of its StepKind
    name: Name
    device: str
    timeout: Timeout = DEFAULT_TIMEOUT
    retries: Retries = DEFAULT_RETRIES
    retry_delay: RetryDelay = 0.0
    on_exhausted: OnExhausted = "continue"
    requirements: tuple[Text, ...] = ()
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
    def action(self) -> str:
        """What the step does on the wire, as events report it (``write``, ``read``, ...)."""
        raise NotImplementedError

    @property
    def target(self) -> str:
        """What the step acts on, as events report it: a register, a command; its kind if none."""
        return self.kind

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
        catalog_of(info).profile(device)

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str, info: ValidationInfo) -> str:
        cls.check_device(value, info)
        return value

    @field_validator("requirements", mode="before")
    @classmethod
    def _requirements_listed(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise ValueError(
                f"{clip(value)} is not a list: name the requirements as a list, "
                "e.g. requirements: [REQ-PWR-001]"
            )
        return value

    @field_validator("requirements")
    @classmethod
    def _check_requirements(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if len(value) > MAX_REQUIREMENTS:
            raise ValueError(f"{len(value)} requirements: name at most {MAX_REQUIREMENTS}")
        known = _context(info).get("requirements")
        for requirement in value:
            check_requirement_id(requirement)
            if isinstance(known, RequirementSet) and requirement not in known:
                raise ValueError(known.unknown(requirement))
            if known is None and _context(info).get("devices") is not None:
                raise ValueError(
                    f"{clip(requirement)} cannot be checked: the plan names no requirements "
                    "file; add requirements: path/to/requirements.yaml at the top of the plan"
                )
        if len(set(value)) != len(value):
            raise ValueError("a requirement is named twice: name each once")
        return value

    @model_validator(mode="after")
    def _place(self, info: ValidationInfo) -> Self:
        self._number = int(_context(info).get("number", 0))
        self._teardown = bool(_context(info).get("teardown", False))
        return self


class StepDefaults(BaseModel):
    """A plan's ``defaults:``: what every step not saying otherwise gets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: Timeout | None = None
    retries: Retries | None = None
    retry_delay: RetryDelay | None = None
    on_exhausted: OnExhausted | None = None

    def apply(self, raw: Mapping[Any, Any]) -> dict[Any, Any]:
        """``raw`` (a step as written) with the defaults it does not set itself."""
        given = self.model_dump(exclude_none=True)
        return {**given, **raw}
