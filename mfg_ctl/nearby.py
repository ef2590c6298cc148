"""Our simulators already running on this machine, as ``discos-simulator start`` records them.

``mfg-ctl run`` without ``--station`` serves its own copies of the plan's
devices; a simulator started by hand is then left alone, and a fault sent to
it never reaches the run. :func:`running_simulators_note` names that trap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mfg_ctl.plan import Plan
from mfg_ctl.stations import REFERENCE_PORTS
from simulators import runtime

__all__ = ["RunningSimulator", "running_for", "running_simulators_note"]

log = logging.getLogger(__name__)

#: The simulators that serve several plan devices, and the station file that describes each.
_SERVES = {"station": tuple(REFERENCE_PORTS), "dvt_bench": ("dvt_bench",)}
_STATION_FILES = {"station": "stations/local.yaml", "dvt_bench": "stations/dvt_bench.yaml"}


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator process of ours: its name, the offset it was started with, its addresses."""

    name: str
    port_offset: int
    endpoints: tuple[str, ...]

    @property
    def station_file(self) -> str:
        """The shipped station file for it (``stations/local.yaml`` for the station)."""
        return _STATION_FILES.get(self.name, "stations/local.yaml")


def running_for(plan: Plan) -> list[RunningSimulator]:
    """The simulators running here that serve one of ``plan``'s devices (best effort: [] if
    the runtime directory cannot be read)."""
    wanted = {profile.name for profile in plan.profiles.values()}
    if plan.scpi_devices:
        wanted.add("dvt_bench")
    try:
        instances = runtime.instances()
    except Exception as error:  # a hint must never stop a run
        log.debug("cannot read the simulators' runtime records: %s", error)
        return []
    found = []
    for instance in instances:
        name, _, offset = instance.key.partition("+")
        if set(_SERVES.get(name, (name,))) & wanted:
            shift = int(offset) if offset.lstrip("-").isdigit() else 0
            found.append(RunningSimulator(name, shift, tuple(instance.endpoints())))
    return found


def running_simulators_note(plan: Plan) -> str | None:
    """One stderr line when a simulator of ``plan``'s devices runs here but this run simulates
    its own; None when there is none."""
    found = running_for(plan)
    if not found:
        return None
    first = found[0]
    offset = f" --port-offset {first.port_offset}" if first.port_offset else ""
    names = ", ".join(f"{s.name} ({s.endpoints[0] if s.endpoints else '?'})" for s in found)
    verb = "are" if len(found) > 1 else "is"
    return (
        f"note: {names} {verb} running here, but without --station this run simulates its own "
        f"devices: faults sent to that simulator will not reach this run; add --station "
        f"{first.station_file}{offset} to use it"
    )
