"""Test plans: named steps against named devices, all checked before anything runs.

A plan is YAML: a ``name``, optional ``devices``, ``steps`` and optional
``teardown`` steps (of the same kinds, run after the others however the run
ends: pass, failure, abort or interrupt). A device is a
Modbus device described by a profile (``{profile: NAME_OR_PATH}``; built-in
profiles need no declaration) or an instrument of the SCPI bench
(``{scpi: chamber|power_supply|multimeter}``). A Modbus register step writes
one value (``write: 1200``) or reads one and judges it by exactly one threshold
(``expected`` + ``tolerance``, ``expected`` + ``tolerance_pct``, or ``range:
[low, high]``); a SCPI step sends ``write: "VOLT 5"`` or judges ``query:
"MEAS:VOLT:DC?"`` by one threshold; a ``tempco:`` step sweeps a chamber,
supply and meter. Names resolve against the devices at load, so a bad plan
fails at once with one line naming the file, the step and the field::

    plans/x.yaml: step 3 (enable_supply_output), field write: 2 is not accepted by
    output_enable (accepted: 0/1)

Step kinds are told apart by their keys: each kind (:mod:`mfg_ctl.steps`,
found by :func:`~mfg_ctl.steps.registry.kind_of`) claims the steps it
validates and runs, and another distribution may add kinds.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from mfg_ctl.requirements import RequirementError, RequirementSet, load_requirements
from mfg_ctl.run.events import plan_hash
from mfg_ctl.safe_yaml import read_text_file, read_yaml
from mfg_ctl.steps.model import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    LINE_KINDS,
    SCPI_KINDS,
    DeviceCatalog,
    LineKind,
    Name,
    ScpiKind,
    StepBase,
    StepDefaults,
    Text,
    describe_type,
)
from mfg_ctl.steps.registry import kind_of
from mfg_ctl.steps.thresholds import FieldError
from mfg_ctl.wording import clip, clip_text
from simulators.profiles import DeviceProfile, ProfileError
from simulators.profiles import resolve_profile as _resolve_profile

__all__ = [
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "SCPI_KINDS",
    "DeviceCatalog",
    "DeviceRef",
    "Plan",
    "PlanError",
    "Step",
    "StepBase",
    "describe_type",
    "load_plan",
    "parse_plan",
    "read_yaml",
]

#: Any step, of any kind.
Step = StepBase


class PlanError(Exception):
    """A plan is missing or invalid; the one-line message names the file, step and field."""


class DeviceRef(BaseModel):
    """A plan device: a Modbus device's profile, a SCPI instrument's kind or a line device's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str | None = None
    scpi: ScpiKind | None = None
    line: LineKind | None = None

    @model_validator(mode="after")
    def _one_protocol(self) -> Self:
        given = [name for name in ("profile", "scpi", "line") if getattr(self, name) is not None]
        if len(given) > 1:
            raise FieldError(
                given[1],
                "give one of profile: (a Modbus device), scpi: (a SCPI instrument) or line: "
                "(a line device such as the dut), not several",
            )
        if not given:
            raise FieldError(
                "profile",
                "missing; add profile: NAME_OR_PATH for a Modbus device, scpi: "
                f"{'|'.join(SCPI_KINDS)} for a SCPI instrument, or line: {'|'.join(LINE_KINDS)}",
            )
        return self


class PlanHeader(BaseModel):
    """The top level of a plan file; steps are validated one by one afterwards."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    version: Text = ""
    description: str = ""
    requirements: Text | None = None  # the requirements file, relative to the plan
    defaults: StepDefaults = StepDefaults()
    devices: dict[Name, DeviceRef] = {}
    steps: list[Any]
    teardown: list[Any] = []

    @field_validator("version")
    @classmethod
    def _check_version(cls, value: str) -> str:
        if len(value) > 64 or (value and not value.isprintable()):
            raise ValueError(
                f"{clip(value)} is not a usable version: give at most 64 printable characters"
            )
        return value

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
    profiles: Mapping[str, DeviceProfile]  # Modbus devices, by plan device name
    path: Path
    text: str
    #: SCPI instruments, by plan device name: chamber, power_supply or multimeter.
    scpi_devices: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: Steps that always run after the others, numbered after them.
    teardown: tuple[Step, ...] = ()
    version: str = ""
    #: Line devices (the dut), by plan device name: their kind.
    line_devices: Mapping[str, str] = dataclasses.field(default_factory=dict)
    #: The requirements the steps verify, when the plan names a requirements file.
    requirements: RequirementSet | None = None

    @property
    def hash(self) -> str:
        """The sha256 of the plan's text: runs of the same plan content share it."""
        return plan_hash(self.text)

    @property
    def all_steps(self) -> tuple[Step, ...]:
        """The steps, then the teardown steps."""
        return self.steps + self.teardown

    @property
    def device_names(self) -> tuple[str, ...]:
        """The devices the steps (teardown included) talk to, in order of first use."""
        return tuple(dict.fromkeys(device for step in self.all_steps for device in step.devices))

    def first_step_using(self, device: str) -> Step:
        """The first step (teardown included) that talks to ``device``; KeyError if none."""
        for step in self.all_steps:
            if device in step.devices:
                return step
        raise KeyError(device)

    def step(self, number: int) -> Step:
        """The step numbered ``number`` (from 1, teardown steps last); KeyError if none."""
        steps = self.all_steps
        if not 1 <= number <= len(steps):
            raise KeyError(number)
        return steps[number - 1]


def _pick_error(
    error: ValidationError,
    raw: Mapping[Any, Any],
    model: type[BaseModel],
    nested: Mapping[str, type[BaseModel]],
    *,
    dotted: bool = False,
) -> tuple[tuple[int | str, ...], str, str]:
    """``(loc, field, message)`` of the error earliest in the text the user wrote.

    ``nested`` names the model of each mapping field, for its fields' names;
    ``dotted`` names their fields ``tempco.temperatures`` rather than ``temperatures``.
    """
    keys = [str(key) for key in raw]

    def position(detail: Any) -> tuple[int, bool]:  # a typo before the field it misses
        loc = detail["loc"]
        where = keys.index(str(loc[0])) if loc and str(loc[0]) in keys else len(keys)
        return where, detail["type"] == "missing"

    detail = min(error.errors(), key=position)
    cause = detail.get("ctx", {}).get("error")
    loc = detail["loc"]
    if isinstance(cause, FieldError):
        field = cause.field
    elif dotted and loc and loc[0] in nested:
        field = ".".join(str(part) for part in loc if not isinstance(part, int))
    else:
        field = clip_text(str(loc[-1] if loc else ""))
    if isinstance(cause, ValueError):
        message = str(cause)
    elif detail["type"] == "missing":
        message = f"missing; add {field}: ..."
    elif detail["type"] == "extra_forbidden":
        fields = list(
            nested.get(str(loc[0]), model).model_fields if len(loc) > 1 else model.model_fields
        )
        close = difflib.get_close_matches(field.rsplit(".", 1)[-1], fields, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        message = f"unknown field ({hint}known: {', '.join(sorted(fields))})"
    else:
        given = detail["input"]
        shown = str(given).lower() if isinstance(given, bool) else clip(given)
        message = f"{shown}: {detail['msg'][:1].lower()}{detail['msg'][1:]}"
    return loc, field, message


def _declared_profiles(header: PlanHeader, base: Path, source: str) -> dict[str, DeviceProfile]:
    profiles = {}
    for name, ref in header.devices.items():
        if ref.profile is None:
            continue  # a SCPI instrument
        where: str | Path = ref.profile
        if Path(ref.profile).suffix in {".yaml", ".yml"}:
            where = base / ref.profile  # an absolute path stays as it is
        try:
            profiles[name] = _resolve_profile(where)
        except ProfileError as error:
            problem = clip_text(" ".join(str(error).split()), 200)  # a YAML error spans lines
            raise PlanError(f"{source}: device {name}, field profile: {problem}") from None
    return profiles


def _parse_step(
    raw: Any,
    number: int,
    catalog: DeviceCatalog,
    source: str,
    *,
    teardown: int = 0,
    requirements: RequirementSet | None = None,
) -> Step:
    """Validate one step; ``teardown`` is its place among the teardown steps (0: a main step)."""
    name = raw.get("name") if isinstance(raw, dict) else None
    label = f"teardown step {teardown}" if teardown else f"step {number}"
    where = f"{source}: {label}" + (
        f" ({clip_text(name)})" if isinstance(name, str) and name else ""
    )
    if not isinstance(raw, dict):
        raise PlanError(
            f"{where}: a step is a mapping of fields (name, device, register, ...), "
            f"not {describe_type(raw)}"
        )
    kind = kind_of(raw)
    if kind is None:
        raise PlanError(
            f"{where}, field register: missing; say which register the step writes or reads "
            '(or query: "..." / write: "..." for a SCPI instrument, tempco: for a sweep)'
        )
    model = kind.model
    try:
        return model.model_validate(
            raw,
            context={
                "devices": catalog,
                "number": number,
                "teardown": bool(teardown),
                "requirements": requirements,
            },
        )
    except ValidationError as error:
        loc, field, message = _pick_error(error, raw, model, kind.nested, dotted=True)
        if loc and isinstance(loc[-1], int) and loc[0] not in kind.nested:  # range: [1, "x"]
            field = str(loc[0])
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
        nested: dict[str, type[BaseModel]] = {"devices": DeviceRef, "defaults": StepDefaults}
        loc, field, message = _pick_error(error, data, PlanHeader, nested)
        shown = [clip_text(str(part)) for part in loc]
        if loc[0] == "devices" and len(loc) > 2:
            where = f"device {shown[1]}" + ("" if loc[2] == "[key]" else f", field {field}")
        elif loc[0] == "devices" and len(loc) == 2 and field in DeviceRef.model_fields:
            where = f"device {shown[1]}, field {field}"  # profile and scpi, both or neither
        elif loc[0] == "devices" and len(loc) == 2:
            where = f"device {shown[1]}"
            given = describe_type(data["devices"][loc[1]])
            message = (
                f"give {{profile: NAME_OR_PATH}}, {{scpi: {'|'.join(SCPI_KINDS)}}} or "
                f"{{line: {'|'.join(LINE_KINDS)}}}, not {given}"
            )
        elif loc[0] == "defaults" and len(loc) > 1:
            where = f"field defaults.{field}"
        else:
            where = f"field {shown[0]}"
            if loc == ("defaults",) and not isinstance(data["defaults"], dict):
                message = (
                    "give a mapping of what every step gets unless it says otherwise "
                    f"({', '.join(StepDefaults.model_fields)}), not "
                    f"{describe_type(data['defaults'])}"
                )
        raise PlanError(f"{source}: {where}: {message}") from None
    scpi = {name: ref.scpi for name, ref in header.devices.items() if ref.scpi is not None}
    line = {name: ref.line for name, ref in header.devices.items() if ref.line is not None}
    catalog = DeviceCatalog(_declared_profiles(header, path.parent, str(source)), scpi, line)
    requirements = _requirements(header, path.parent, str(source))
    steps: list[Step] = []
    numbers: dict[str, int] = {}
    raws = [(raw, 0) for raw in header.steps]
    raws += [(raw, place) for place, raw in enumerate(header.teardown, start=1)]
    for number, (written, teardown) in enumerate(raws, start=1):
        raw = header.defaults.apply(written) if isinstance(written, dict) else written
        step = _parse_step(
            raw, number, catalog, str(source), teardown=teardown, requirements=requirements
        )
        if step.name in numbers:
            label = f"teardown step {teardown}" if teardown else f"step {number}"
            raise PlanError(
                f"{source}: {label} ({step.name}), field name: already the name of step "
                f"{numbers[step.name]}; give every step its own name"
            )
        numbers[step.name] = number
        steps.append(step)
    main = tuple(step for step in steps if not step.teardown)
    return Plan(
        header.name,
        header.description,
        main,
        catalog.profiles,
        path,
        text,
        scpi,
        tuple(step for step in steps if step.teardown),
        header.version,
        line,
        requirements,
    )


def _requirements(header: PlanHeader, base: Path, source: str) -> RequirementSet | None:
    """The plan's requirements file, read (relative to the plan), or None if it names none."""
    if header.requirements is None:
        return None
    where = Path(header.requirements)
    try:
        return load_requirements(where if where.is_absolute() else base / where)
    except RequirementError as error:
        raise PlanError(f"{source}: field requirements: {error}") from None


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file."""
    return parse_plan(read_text_file(path, "plan", PlanError), path)
