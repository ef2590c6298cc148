"""A DVT bench over SCPI: thermal chamber, power supply and DMM around one simulated LDO.

Three TCP ports, one instrument each, newline-terminated SCPI: the thermal
chamber (5025) sets the temperature the DUT sits in, the power supply (5026)
feeds the DUT's input, the multimeter (5027) measures its output. The three
share one physical model (:mod:`simulators.physics`), advanced by the simulated
clock whenever an instrument is asked something. Reference: ``doc/dvt_bench.rst``.

Cheap to import on purpose (``discos-simulator list`` imports it): the
physics, YAML and SCPI machinery load only when a System is built.
"""

from __future__ import annotations

from socketserver import ThreadingTCPServer
from typing import TYPE_CHECKING, Any

from simulators.common import ServerSpec, Shared

if TYPE_CHECKING:
    from simulators.devices.dvt_bench.bench import Bench

__all__ = ["BENCH", "PORTS", "System", "servers"]

#: Default port of each instrument (doc/reference_station.rst).
PORTS = {"chamber": 5025, "power_supply": 5026, "multimeter": 5027}


def new_bench() -> Bench:
    """A fresh bench with the package's parameters (one per simulator start)."""
    from simulators.devices.dvt_bench.bench import Bench  # noqa: PLC0415 - lazy on purpose

    return Bench()


#: The one bench the three entries share; every start builds a new one.
BENCH = Shared(new_bench)

servers: list[ServerSpec] = [
    (("127.0.0.1", port), (), ThreadingTCPServer, {"instrument": name, "bench": BENCH})
    for name, port in PORTS.items()
]


class System:
    """Builds the instrument an entry names: ``chamber``, ``power_supply`` or ``multimeter``.

    Other keyword arguments go to the instrument: ``bench`` (the shared
    :class:`~simulators.devices.dvt_bench.bench.Bench`) and ``clock``.
    """

    def __new__(cls, instrument: str, **kwargs: Any) -> Any:
        from simulators.devices.dvt_bench.instruments import build  # noqa: PLC0415 - lazy

        return build(instrument, **kwargs)
