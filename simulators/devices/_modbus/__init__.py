"""What the Modbus device plugins share: a System class chosen by framing (``-t``).

Cheap to import on purpose — ``discos-simulator list`` imports every plugin —
so the profile and wire machinery load only when a System is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from simulators.common import BaseSystem, MultiTypeSystem

__all__ = ["ModbusSystemPicker", "modbus_port"]

#: Default port of each built-in Modbus device (doc/reference_station.rst); the one
#: table of them: the ``station`` plugin serves it, and the controller reads it from there.
PORTS = {"power_supply": 5020, "dmm": 5021, "actuator": 5022, "thermocouple": 5023}


def _framed(framing: str) -> Callable[..., BaseSystem]:
    def build(**kwargs: Any) -> BaseSystem:
        from simulators.devices._modbus.system import ModbusSystem  # noqa: PLC0415 - lazy

        return ModbusSystem(framing=framing, **kwargs)

    build.__name__ = f"modbus_{framing.replace('-', '_')}"
    return build


class ModbusSystemPicker(MultiTypeSystem):
    """``-t custom`` (8-byte frames with a CRC, the default) or ``-t modbus-tcp`` (MBAP).

    Not a device: it picks which System serves one (a ``ModbusSystem`` in the
    chosen framing, over a :class:`~simulators.devices._modbus.model.RegisterModel`),
    hence the name.
    """

    systems: ClassVar[dict[str, Callable[..., BaseSystem]]] = {
        "custom": _framed("custom"),
        "modbus-tcp": _framed("modbus-tcp"),
    }
    default = "custom"


def modbus_port(name: str) -> int:
    """The default port of a built-in Modbus device."""
    return PORTS[name]
