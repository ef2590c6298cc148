"""Where a plan's devices are: simulated in this process, or listed in a station file.

By default ``mfg-ctl run`` serves the plan's devices itself on free loopback
ports and stops them afterwards: Modbus devices from their profiles, SCPI
instruments from the DVT bench (on a fast simulated clock, so a TempCo sweep
takes seconds). With a station file it talks to devices already running —
our simulators, real Modbus TCP devices or real SCPI instruments.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from socketserver import ThreadingTCPServer

from mfg_ctl.clients import LineCommands, ModbusRegisters, RegisterClient, ScpiCommands
from mfg_ctl.plan import Plan
from mfg_ctl.run.events import DeviceInfo
from mfg_ctl.stations import Endpoint, Framing, Station, check_covers
from mfg_ctl.steps.tempco import SIMULATED_SPEED
from simulators import plugins
from simulators.clock import SimulatedClock
from simulators.common import ServerSpec
from simulators.launcher import Address, Simulator

__all__ = ["Connected", "open_devices", "scpi_addresses"]

#: The simulator whose System serves any Modbus device profile.
MODBUS_PLUGIN = "station"
#: The simulator serving the SCPI instruments, one ``servers`` entry per kind.
SCPI_PLUGIN = "dvt_bench"
#: The simulator serving each line device, by its kind (``line: dut``).
LINE_PLUGINS = {"dut": "dut"}
#: The dut's fault profiles (``-t`` of its simulator); ``clean`` never fails.
DUT_PROFILES = ("clean", "factory-flaky", "markov-flaky")

Client = RegisterClient | ScpiCommands | LineCommands


@dataclass(frozen=True)
class Connected:
    """The plan's devices, reachable: a client and a description per device."""

    clients: dict[str, Client]
    devices: tuple[DeviceInfo, ...]
    framing: str
    clock_speed: float = 1.0  # how much faster than real time the devices' clock runs


@contextmanager
def open_devices(
    plan: Plan, station: Station | None, framing: Framing | None, dut_profile: str = "clean"
) -> Iterator[Connected]:
    """Connect the plan's devices; simulate them here when there is no station.

    ``dut_profile`` is the fault profile of the line devices simulated here.
    """
    if station is not None:
        check_covers(station, plan)
        endpoints = {name: _framed(station.endpoint(name), framing) for name in plan.device_names}
        with _connected(endpoints, simulated=False, speed=1.0) as connected:
            yield connected
        return
    with ExitStack() as stack:
        endpoints = stack.enter_context(_simulated_modbus(plan, framing or "custom"))
        endpoints |= stack.enter_context(_simulated_scpi(plan, SIMULATED_SPEED))
        endpoints |= stack.enter_context(_simulated_line(plan, dut_profile))
        ordered = {name: endpoints[name] for name in plan.device_names}
        yield stack.enter_context(_connected(ordered, simulated=True, speed=SIMULATED_SPEED))


def _framed(endpoint: Endpoint, framing: Framing | None) -> Endpoint:
    if framing is None or framing == endpoint.framing or endpoint.protocol != "modbus":
        return endpoint
    return Endpoint(endpoint.host, endpoint.port, framing, endpoint.unit)


@contextmanager
def _simulated_modbus(plan: Plan, framing: Framing) -> Iterator[dict[str, Endpoint]]:
    """Serve every Modbus device of the plan from its profile on ephemeral loopback ports."""
    names = [name for name in plan.device_names if name in plan.profiles]
    if not names:
        yield {}
        return
    module = types.ModuleType("mfg_ctl_simulated", "The plan's devices, simulated.")
    servers: list[ServerSpec] = [
        (("127.0.0.1", 0), (), ThreadingTCPServer, {"profile": plan.profiles[name]})
        for name in names
    ]
    vars(module).update(System=plugins.load(MODBUS_PLUGIN).System, servers=servers)
    with Simulator("simulated", module, system_type=framing, ephemeral=True) as simulator:
        yield {
            name: Endpoint(address.host, address.port, framing, plan.profiles[name].unit)
            for name, address in zip(names, simulator.addresses, strict=True)
        }


@contextmanager
def _simulated_scpi(plan: Plan, speed: float) -> Iterator[dict[str, Endpoint]]:
    """Serve the SCPI bench when the plan uses SCPI instruments."""
    scpi = plan.scpi_devices
    if not scpi:
        yield {}
        return
    bench = Simulator(
        SCPI_PLUGIN, plugins.load(SCPI_PLUGIN), ephemeral=True,
        system_kwargs={"clock": SimulatedClock(speed=speed)},
    )
    with bench:
        where = scpi_addresses(bench)
        yield {
            name: Endpoint(where[kind].host, where[kind].port, "custom", 1, "scpi")
            for name, kind in scpi.items()
        }


@contextmanager
def _simulated_line(plan: Plan, profile: str) -> Iterator[dict[str, Endpoint]]:
    """Serve each line device of the plan (its command port only), one unit each."""
    names = list(plan.line_devices)
    if not names:
        yield {}
        return
    with ExitStack() as stack:
        endpoints = {}
        for name in names:
            plugin = plugins.load(LINE_PLUGINS[plan.line_devices[name]])
            module = types.ModuleType("mfg_ctl_simulated_line", "A plan's line device, simulated.")
            servers: list[ServerSpec] = [(("127.0.0.1", 0), (), ThreadingTCPServer, {})]
            vars(module).update(System=plugin.System, servers=servers)
            simulator = stack.enter_context(
                Simulator("simulated", module, system_type=profile, ephemeral=True)
            )
            address = simulator.addresses[0]
            endpoints[name] = Endpoint(address.host, address.port, "custom", 1, "line")
        yield endpoints


def scpi_addresses(bench: Simulator) -> dict[str, Address]:
    """Where a started SCPI bench serves each instrument kind (``chamber``, ...).

    The kinds are the ``instrument`` of each of the plugin's ``servers`` entries:
    the simulator's own table, read rather than copied.
    """
    entries = plugins.entries(bench.module)
    return {
        str(entry.kwargs["instrument"]): address
        for entry, address in zip(entries, bench.addresses, strict=True)
    }


@contextmanager
def _connected(
    endpoints: dict[str, Endpoint], simulated: bool, speed: float
) -> Iterator[Connected]:
    clients: dict[str, Client] = {}
    for name, endpoint in endpoints.items():
        clients[name] = (
            ScpiCommands(endpoint.address) if endpoint.protocol == "scpi"
            else LineCommands(endpoint.address) if endpoint.protocol == "line"
            else ModbusRegisters(endpoint)
        )
    framings: set[str] = {e.framing for e in endpoints.values() if e.protocol == "modbus"}
    framings = framings or {e.protocol for e in endpoints.values()}
    devices = tuple(
        DeviceInfo(name, e.host, e.port, e.framing if e.protocol == "modbus" else e.protocol,
                   e.unit, simulated)
        for name, e in endpoints.items()
    )
    try:
        yield Connected(
            clients, devices, framings.pop() if len(framings) == 1 else "mixed", speed
        )
    finally:
        for client in clients.values():
            client.close()
