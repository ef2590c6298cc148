"""Station files: where each device of a test station is reached, and how.

::

    framing: custom            # default for every Modbus device: custom | modbus-tcp
    devices:
      power_supply: {host: 127.0.0.1, port: 5020}
      dmm: {host: 10.0.0.7, port: 502, framing: modbus-tcp, unit: 3}
      chamber: {host: 10.0.0.9, port: 5025, protocol: scpi}

A plan names devices; a station says where they are. The same plan runs
against the simulators (``stations/local.yaml``) or the real bench.
``protocol`` is ``modbus`` (the default), ``scpi`` or ``line`` (a device that
answers one line per command line, such as the dut); those two take no
``framing`` or ``unit`` (their :class:`Endpoint` says framing ``custom``, unit
1, which nothing reads).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from mfg_ctl.identity import check_label
from mfg_ctl.plan import Plan, describe_type
from mfg_ctl.safe_yaml import read_text_file, read_yaml
from mfg_ctl.steps.thresholds import FieldError
from mfg_ctl.wording import clip, clip_text
from simulators import plugins
from simulators.protocols.modbus import Framing

__all__ = [
    "REFERENCE_PORTS",
    "Endpoint",
    "Framing",
    "Protocol",
    "Station",
    "StationError",
    "check_covers",
    "load_station",
    "parse_station",
    "reference_station",
]

Protocol = Literal["modbus", "scpi", "line"]
#: The most test sockets one station file may list.
MAX_SLOTS = 64


def _reference_ports() -> dict[str, int]:
    """Each device of the ``station`` simulator and its port, read from the plugin's ``servers``."""
    station = plugins.load("station")
    return {
        str(entry.kwargs["profile"]): entry.listening[1]
        for entry in plugins.entries(station)
        if entry.listening is not None
    }


#: The reference station's Modbus ports (doc/reference_station.rst): the ``station``
#: simulator's own table, so the controller and the simulator cannot disagree.
REFERENCE_PORTS = _reference_ports()

_HOST = re.compile(r"[A-Za-z0-9_.:%-]+")


class StationError(Exception):
    """A station file is missing or invalid, or lacks a device; one line naming file and device."""


@dataclass(frozen=True)
class Endpoint:
    """Where one device answers and how to speak to it (framing and unit: Modbus only)."""

    host: str
    port: int
    framing: Framing
    unit: int = 1
    protocol: Protocol = "modbus"

    @property
    def address(self) -> str:
        """``host:port``."""
        return f"{self.host}:{self.port}"


class DeviceEntry(BaseModel):
    """One device in a station file; ``framing`` defaults to the station's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str
    port: Annotated[int, Strict(), Field(ge=1, le=65535)]
    framing: Framing | None = None
    unit: Annotated[int, Strict(), Field(ge=1, le=247)] | None = None
    protocol: Protocol = "modbus"

    @model_validator(mode="after")
    def _modbus_fields(self) -> Self:
        if self.protocol != "modbus":
            what = "a SCPI instrument" if self.protocol == "scpi" else "a line device"
            for name in ("framing", "unit"):
                if getattr(self, name) is not None:
                    raise FieldError(name, f"{what} has no {name} (Modbus only); drop it")
        return self

    @field_validator("host")
    @classmethod
    def _check_host(cls, value: str) -> str:
        if not _HOST.fullmatch(value):
            raise ValueError(f"{clip(value)} is not a host: give a name or an IP address")
        if value.count(":") == 1:
            raise ValueError(f"{clip(value)}: give the port separately, as port:")
        return value


class StationFile(BaseModel):
    """The top level of a station file: its devices, and per test socket (slot) the others."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    station_id: str | None = None
    framing: Framing = "custom"
    description: str = ""
    devices: dict[str, DeviceEntry] = {}
    slots: list[dict[str, DeviceEntry]] = []

    @field_validator("slots", mode="before")
    @classmethod
    def _few_slots(cls, value: Any) -> Any:
        if isinstance(value, list) and len(value) > MAX_SLOTS:
            raise ValueError(f"{len(value)} slots: give at most {MAX_SLOTS} test sockets")
        return value

    @field_validator("station_id")
    @classmethod
    def _check_station_id(cls, value: str) -> str:
        return check_label(value, "station id")

    @model_validator(mode="after")
    def _some_devices(self) -> Self:
        if not self.devices and not self.slots:
            raise FieldError(
                "devices",
                "no devices: give devices: {NAME: {host: ..., port: ...}} "
                "(or slots: [{NAME: {...}}, ...], one per test socket)",
            )
        for place, slot in enumerate(self.slots, start=1):
            if not slot:
                raise FieldError(
                    "slots", f"slot {place} has no devices: give {{NAME: {{host: ..., port: ...}}}}"
                )
            if both := sorted(set(slot) & set(self.devices)):
                raise FieldError(
                    "slots", f"slot {place} names {both[0]}, which devices: already has; "
                    "a device is shared (under devices:) or per slot (under slots:), not both"
                )
        return self


@dataclass(frozen=True)
class Station:
    """The devices of a station by name, each with its endpoint; per slot, the slot's own.

    ``devices`` are shared by every slot; ``slots`` (test sockets of a multi-up
    fixture) each add their own devices, so slot ``i`` is :meth:`slot` ``(i)``.
    """

    devices: Mapping[str, Endpoint]
    path: Path
    description: str = ""
    station_id: str = ""
    slots: tuple[Mapping[str, Endpoint], ...] = ()

    @property
    def slot_count(self) -> int:
        """How many units the station tests at once: its slots, or 1 without any."""
        return len(self.slots) or 1

    def slot(self, index: int) -> Station:
        """The station as one slot sees it (from 0): the shared devices and the slot's own."""
        if not self.slots:
            return self
        own = self.slots[index]
        return dataclasses.replace(self, devices={**self.devices, **own}, slots=())

    def shifted(self, offset: int) -> Station:
        """The same station with every port moved by ``offset`` (``--port-offset``).

        StationError naming the device when a shifted port leaves 1-65535.
        """
        if offset == 0:
            return self
        return dataclasses.replace(
            self,
            devices=self._shift(self.devices, offset, ""),
            slots=tuple(
                self._shift(slot, offset, f"slot {place}, ")
                for place, slot in enumerate(self.slots, start=1)
            ),
        )

    def _shift(
        self, devices: Mapping[str, Endpoint], offset: int, where: str
    ) -> dict[str, Endpoint]:
        shifted = {}
        for name, endpoint in devices.items():
            port = endpoint.port + offset
            if not 1 <= port <= 65535:
                raise StationError(
                    f"{self.path}: {where}device {name}: port {endpoint.port} + offset {offset} = "
                    f"{port} is out of range (1-65535); give a smaller --port-offset"
                )
            shifted[name] = dataclasses.replace(endpoint, port=port)
        return shifted

    def endpoint(self, device: str) -> Endpoint:
        """Where ``device`` is; StationError naming the file if the station lacks it."""
        if device not in self.devices:
            raise StationError(
                f"{self.path}: no device {clip(device)} "
                f"(devices: {clip_text(', '.join(self.devices), 200)}); "
                f"add it under devices: with host and port"
            )
        return self.devices[device]


_HINTS = {
    "port": "give a TCP port, 1-65535",
    "unit": "give a Modbus unit id, 1-247",
    "framing": "give custom or modbus-tcp",
    "protocol": "give modbus, scpi or line",
    "devices": "give devices: {NAME: {host: ..., port: ...}}",
}


def _error_line(error: ValidationError, data: Mapping[str, Any]) -> str:
    detail = error.errors()[0]
    loc = detail["loc"]
    cause = detail.get("ctx", {}).get("error")
    field = clip_text(str(loc[-1])) if loc else "station"
    if isinstance(cause, FieldError):
        field, loc = cause.field, (*loc, cause.field)
    if isinstance(cause, ValueError):
        message = str(cause)
    elif detail["type"] == "missing":
        message = f"missing; add {field}: ..."
    elif detail["type"] == "extra_forbidden":
        known = DeviceEntry.model_fields if len(loc) > 1 else StationFile.model_fields
        message = f"unknown field (known: {', '.join(known)})"
    else:
        message = f"{clip(detail['input'])} is not allowed: {_HINTS.get(field, detail['msg'])}"
    slot = ""
    if loc and loc[0] == "slots" and len(loc) > 2:  # ("slots", i, device, field...)
        index = int(loc[1])
        slot, loc = f"slot {index + 1}, ", ("devices", *loc[2:])
        data = {"devices": data["slots"][index]}
    if len(loc) == 2 and loc[0] == "devices":
        given = describe_type(data["devices"][loc[1]])
        return f"{slot}device {clip_text(str(loc[1]))}: give {{host: ..., port: ...}}, not {given}"
    if len(loc) > 2:
        return f"{slot}device {clip_text(str(loc[1]))}, field {field}: {message}"
    return f"field {field}: {message}"


def parse_station(text: str, source: str | Path = "<station>") -> Station:
    """Validate station text; ``source`` names it in errors."""
    data = read_yaml(text, str(source), StationError)
    if not isinstance(data, dict):
        raise StationError(
            f"{source}: a station is a mapping with framing and devices, not {describe_type(data)}"
        )
    try:
        station = StationFile.model_validate(data)
    except ValidationError as error:
        raise StationError(f"{source}: {_error_line(error, data)}") from None

    def endpoints(entries: Mapping[str, DeviceEntry]) -> dict[str, Endpoint]:
        return {
            name: (
                Endpoint(entry.host, entry.port, "custom", 1, entry.protocol)
                if entry.protocol != "modbus"
                else Endpoint(
                    entry.host, entry.port, entry.framing or station.framing, entry.unit or 1
                )
            )
            for name, entry in entries.items()
        }

    return Station(
        endpoints(station.devices),
        Path(source),
        station.description,
        station.station_id or "",
        tuple(endpoints(slot) for slot in station.slots),
    )


def load_station(path: str | Path) -> Station:
    """Read and validate a station file."""
    return parse_station(read_text_file(path, "station", StationError), path)


def reference_station(
    host: str = "127.0.0.1", port_offset: int = 0, framing: Framing = "custom"
) -> Station:
    """The reference station of ``discos-simulator -s station start``, without a file."""
    devices = {
        name: Endpoint(host, port + port_offset, framing) for name, port in REFERENCE_PORTS.items()
    }
    return Station(devices, Path("<reference station>"), "the reference station")


def check_covers(station: Station, plan: Plan) -> None:
    """StationError naming the first device ``plan`` needs that ``station`` lacks or misdescribes.

    A device the plan declares ``scpi:`` must be ``protocol: scpi`` in the
    station, one it declares ``line:`` ``protocol: line``, and every other
    device ``protocol: modbus``.
    """
    for device in plan.device_names:
        step = plan.first_step_using(device)
        if device not in station.devices:
            raise StationError(
                f"{station.path}: no device {device!r}, which {plan.path} needs "
                f"(step {step.number} {step.name}); add it under devices: with host and port"
            )
        wanted = (
            "scpi" if device in plan.scpi_devices
            else "line" if device in plan.line_devices
            else "modbus"
        )
        if station.devices[device].protocol != wanted:
            raise StationError(
                f"{station.path}: device {device!r} is protocol "
                f"{station.devices[device].protocol}, but {plan.path} talks {wanted} to it "
                f"(step {step.number} {step.name}); set protocol: {wanted} under devices: {device}"
            )
