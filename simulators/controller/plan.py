"""Test plans: named steps against named device registers, all checked before anything runs.

A plan is YAML: a ``name``, optional ``devices`` (plan device name -> profile)
and ``steps``. A Modbus register step writes one value (``write: 1200``) or
reads one and judges it by exactly one threshold (``expected`` + ``tolerance``,
``expected`` + ``tolerance_pct``, or ``range: [low, high]``). Names resolve
against the device profiles at load, so a bad plan fails at once with one line
naming the file, the step and the field::

    plans/x.yaml: step 3 (enable_supply_output), field write: 2 is not accepted by
    output_enable (accepted: 0/1)

Step kinds are told apart by their keys (:func:`step_kind`) and each kind is
its own model (:data:`STEP_KINDS`); a new kind (an SCPI ``query:``, a
``tempco`` sweep) adds a model and a line to each and reshapes nothing else.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    PrivateAttr,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from simulators.controller.thresholds import FieldError, Number, ThresholdFields
from simulators.profiles import DeviceProfile, ProfileError, RegisterSpec, builtin_names
from simulators.profiles import resolve_profile as _resolve_profile

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "STEP_KINDS",
    "DeviceCatalog",
    "Plan",
    "PlanError",
    "RegisterStep",
    "Step",
    "StepBase",
    "load_plan",
    "parse_plan",
    "read_yaml",
    "step_kind",
]

DEFAULT_TIMEOUT = 1.0  # seconds per attempt
MAX_TIMEOUT = 60.0
DEFAULT_RETRIES = 1  # extra attempts after a timeout, bad frame or dropped connection
MAX_RETRIES = 10
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _usable_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a usable name: use letters, digits, _ . - and no spaces"
        )
    return value


Name = Annotated[str, AfterValidator(_usable_name)]

Whole = Annotated[int, Strict()]
Action = Literal["write", "read", "query", "sweep"]


class PlanError(Exception):
    """A plan is missing or invalid; the one-line message names the file, step and field."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping."""


def _unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str | int | float) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        if isinstance(key, str | int | float):
            seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_yaml(text: str, source: str, error: type[Exception]) -> Any:
    """Parse YAML, refusing repeated keys; ``error`` carries one line naming ``source``."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a safe loader)
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(f"{source}: not valid YAML{at}: {problem.problem}") from None
    except yaml.YAMLError as problem:  # e.g. a control character
        raise error(f"{source}: not valid YAML: {str(problem).splitlines()[0]}") from None


def describe_type(value: Any) -> str:
    """What a YAML value is, in words, for error messages."""
    words = {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}
    if value is None:
        return "nothing"
    return words.get(type(value), "a number" if isinstance(value, int | float) else "a value")


class DeviceCatalog:
    """Profiles by plan device name: those declared under ``devices:``, else the built-ins."""

    def __init__(self, declared: Mapping[str, DeviceProfile] | None = None) -> None:
        self.profiles: dict[str, DeviceProfile] = dict(declared or {})

    def profile(self, device: str) -> DeviceProfile:
        """The profile of ``device``; ValueError saying how to declare an unknown one."""
        if device not in self.profiles:
            if device not in builtin_names():
                raise ValueError(
                    f"unknown device {device!r}: not under the plan's devices: and not a "
                    f"built-in profile ({', '.join(builtin_names())}); declare it as "
                    f"devices: {{{device}: {{profile: path/to/profile.yaml}}}}"
                )
            self.profiles[device] = _resolve_profile(device)
        return self.profiles[device]


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


def _catalog(info: ValidationInfo) -> DeviceCatalog:
    catalog = _context(info).get("devices")
    return catalog if isinstance(catalog, DeviceCatalog) else DeviceCatalog()


class StepBase(BaseModel):
    """What every step has: a name, a device, a timeout per attempt and a retry count."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str]
    name: Name
    device: str
    timeout: Number = DEFAULT_TIMEOUT
    retries: Whole = DEFAULT_RETRIES
    _number: int = PrivateAttr(default=0)

    @property
    def number(self) -> int:
        """The step's place in its plan, from 1 (0 outside a plan)."""
        return self._number

    @property
    def action(self) -> Action:
        """What the step does on the wire, as events report it."""
        raise NotImplementedError

    @property
    def is_write(self) -> bool:
        """Whether the step writes rather than measures."""
        return self.action == "write"

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str, info: ValidationInfo) -> str:
        _catalog(info).profile(value)
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
                        f"{device} has no register {value!r} ({hint}registers: {', '.join(known)})"
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


#: The step model of each kind.
Step = RegisterStep
STEP_KINDS: dict[str, type[Step]] = {"register": RegisterStep}


def step_kind(raw: Mapping[str, Any]) -> str | None:
    """Which kind of step ``raw`` is, from the keys it has; None if it says nothing."""
    if "register" in raw:
        return "register"
    return None


class DeviceRef(BaseModel):
    """A plan device: which profile describes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str


class PlanHeader(BaseModel):
    """The top level of a plan file; steps are validated one by one afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    description: str = ""
    devices: dict[Name, DeviceRef] = {}
    steps: list[Any]

    @field_validator("steps")
    @classmethod
    def _check_steps(cls, value: list[Any]) -> list[Any]:
        if not value:
            raise ValueError("the plan has no steps: add at least one under steps:")
        return value


@dataclass(frozen=True)
class Plan:
    """A validated plan: steps numbered from 1, each resolved against its device's profile."""

    name: str
    description: str
    steps: tuple[Step, ...]
    profiles: Mapping[str, DeviceProfile]  # by plan device name
    path: Path
    text: str

    @property
    def device_names(self) -> tuple[str, ...]:
        """The devices the steps talk to, in order of first use."""
        return tuple(dict.fromkeys(step.device for step in self.steps))

    def step(self, number: int) -> Step:
        """The step numbered ``number`` (from 1); KeyError if none."""
        if not 1 <= number <= len(self.steps):
            raise KeyError(number)
        return self.steps[number - 1]


def _pick_error(
    error: ValidationError, raw: Mapping[Any, Any], model: type[BaseModel]
) -> tuple[tuple[int | str, ...], str, str]:
    """``(loc, field, message)`` of the error earliest in the text the user wrote."""
    keys = [str(key) for key in raw]

    def position(detail: Any) -> tuple[int, bool]:  # a typo before the field it misses
        loc = detail["loc"]
        where = keys.index(str(loc[0])) if loc and str(loc[0]) in keys else len(keys)
        return where, detail["type"] == "missing"

    detail = min(error.errors(), key=position)
    cause = detail.get("ctx", {}).get("error")
    loc = detail["loc"]
    field = cause.field if isinstance(cause, FieldError) else str(loc[-1] if loc else "")
    if isinstance(cause, ValueError):
        message = str(cause)
    elif detail["type"] == "missing":
        message = f"missing; add {field}: ..."
    elif detail["type"] == "extra_forbidden":
        fields = list((DeviceRef if len(loc) > 1 and loc[0] == "devices" else model).model_fields)
        close = difflib.get_close_matches(field, fields, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        message = f"unknown field ({hint}known: {', '.join(sorted(fields))})"
    else:
        given = detail["input"]
        shown = str(given).lower() if isinstance(given, bool) else repr(given)
        message = f"{shown}: {detail['msg'][:1].lower()}{detail['msg'][1:]}"
    return loc, field, message


def _declared_profiles(header: PlanHeader, base: Path, source: str) -> dict[str, DeviceProfile]:
    profiles = {}
    for name, ref in header.devices.items():
        where: str | Path = ref.profile
        if Path(ref.profile).suffix in {".yaml", ".yml"}:
            where = base / ref.profile  # an absolute path stays as it is
        try:
            profiles[name] = _resolve_profile(where)
        except ProfileError as error:
            problem = " ".join(str(error).split())  # a YAML error spans lines
            raise PlanError(f"{source}: device {name}, field profile: {problem}") from None
    return profiles


def _parse_step(raw: Any, number: int, catalog: DeviceCatalog, source: str) -> Step:
    name = raw.get("name") if isinstance(raw, dict) else None
    where = f"{source}: step {number}" + (f" ({name})" if isinstance(name, str) and name else "")
    if not isinstance(raw, dict):
        raise PlanError(
            f"{where}: a step is a mapping of fields (name, device, register, ...), "
            f"not {describe_type(raw)}"
        )
    kind = step_kind(raw)
    if kind is None:
        raise PlanError(
            f"{where}, field register: missing; say which register the step writes or reads"
        )
    model = STEP_KINDS[kind]
    try:
        return model.model_validate(raw, context={"devices": catalog, "number": number})
    except ValidationError as error:
        loc, field, message = _pick_error(error, raw, model)
        field = str(loc[0]) if loc and isinstance(loc[-1], int) else field  # range: [1, "x"]
        raise PlanError(f"{where}, field {field}: {message}") from None


def parse_plan(text: str, source: str | Path = "<plan>") -> Plan:
    """Validate plan text; ``source`` is the file it came from (relative profiles start there)."""
    path = Path(source)
    data = read_yaml(text, str(source), PlanError)
    if not isinstance(data, dict):
        raise PlanError(
            f"{source}: a plan is a mapping with name, devices and steps, not {describe_type(data)}"
        )
    try:
        header = PlanHeader.model_validate(data)
    except ValidationError as error:
        loc, field, message = _pick_error(error, data, PlanHeader)
        if loc[0] == "devices" and len(loc) > 2:
            where = f"device {loc[1]}" + ("" if loc[2] == "[key]" else f", field {field}")
        elif loc[0] == "devices" and len(loc) == 2:
            where = f"device {loc[1]}"
            given = describe_type(data["devices"][loc[1]])
            message = f"give {{profile: NAME_OR_PATH}}, not {given}"
        else:
            where = f"field {loc[0]}"
        raise PlanError(f"{source}: {where}: {message}") from None
    catalog = DeviceCatalog(_declared_profiles(header, path.parent, str(source)))
    steps: list[Step] = []
    numbers: dict[str, int] = {}
    for number, raw in enumerate(header.steps, start=1):
        step = _parse_step(raw, number, catalog, str(source))
        if step.name in numbers:
            raise PlanError(
                f"{source}: step {number} ({step.name}), field name: already the name of step "
                f"{numbers[step.name]}; give every step its own name"
            )
        numbers[step.name] = number
        steps.append(step)
    return Plan(header.name, header.description, tuple(steps), catalog.profiles, path, text)


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise PlanError(f"{path}: cannot read the plan: {error.strerror}") from None
    except UnicodeDecodeError:
        raise PlanError(f"{path}: not a text file (UTF-8 expected)") from None
    return parse_plan(text, path)
