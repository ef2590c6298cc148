"""Where a plan's devices are: simulated in this process, or listed in a station file.

By default ``mfg-ctl run`` serves the plan's devices itself, from their
profiles, on free loopback ports, and stops them afterwards: one command, no
set-up. With a station file it talks to devices already running — our
simulators or real Modbus TCP devices.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from socketserver import ThreadingTCPServer

from simulators import plugins
from simulators.controller.clients import ModbusRegisters, RegisterClient
from simulators.controller.events import DeviceInfo
from simulators.controller.plan import Plan
from simulators.controller.stations import Endpoint, Station, check_covers
from simulators.launcher import Simulator

__all__ = ["Connected", "open_devices"]

#: The simulator whose System serves any Modbus device profile.
MODBUS_PLUGIN = "station"


@dataclass(frozen=True)
class Connected:
    """The plan's devices, reachable: a client and a description per device."""

    clients: dict[str, RegisterClient]
    devices: tuple[DeviceInfo, ...]
    framing: str


@contextmanager
def open_devices(plan: Plan, station: Station | None, framing: str | None) -> Iterator[Connected]:
    """Connect the plan's devices; simulate them here when there is no station."""
    if station is not None:
        check_covers(station, plan)
        endpoints = {name: _framed(station.endpoint(name), framing) for name in plan.device_names}
        with _connected(endpoints, simulated=False) as connected:
            yield connected
        return
    with _simulated(plan, framing or "custom") as endpoints, _connected(
        endpoints, simulated=True
    ) as connected:
        yield connected


def _framed(endpoint: Endpoint, framing: str | None) -> Endpoint:
    if framing is None or framing == endpoint.framing:
        return endpoint
    return Endpoint(endpoint.host, endpoint.port, framing, endpoint.unit)  # type: ignore[arg-type]


@contextmanager
def _simulated(plan: Plan, framing: str) -> Iterator[dict[str, Endpoint]]:
    """Serve every device of the plan from its profile on ephemeral loopback ports."""
    module = types.ModuleType("mfg_ctl_simulated", "The plan's devices, simulated.")
    module.System = plugins.load(MODBUS_PLUGIN).System  # type: ignore[attr-defined]
    module.servers = [  # type: ignore[attr-defined]
        (("127.0.0.1", 0), (), ThreadingTCPServer, {"profile": plan.profiles[name]})
        for name in plan.device_names
    ]
    with Simulator("simulated", module, system_type=framing, ephemeral=True) as simulator:
        yield {
            name: Endpoint(address.host, address.port, framing, plan.profiles[name].unit)  # type: ignore[arg-type]
            for name, address in zip(plan.device_names, simulator.addresses, strict=True)
        }


@contextmanager
def _connected(endpoints: dict[str, Endpoint], simulated: bool) -> Iterator[Connected]:
    clients: dict[str, RegisterClient] = {
        name: ModbusRegisters(endpoint) for name, endpoint in endpoints.items()
    }
    framings = {endpoint.framing for endpoint in endpoints.values()}
    devices = tuple(
        DeviceInfo(name, e.host, e.port, e.framing, e.unit, simulated)
        for name, e in endpoints.items()
    )
    try:
        yield Connected(clients, devices, framings.pop() if len(framings) == 1 else "mixed")
    finally:
        for client in clients.values():
            client.close()
