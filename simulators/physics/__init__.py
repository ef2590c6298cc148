"""Pure physical models of the DVT bench, advanced by ``tick(dt_s)`` in simulated seconds.

No sockets, threads, clocks or file formats: parameters come in as frozen
dataclasses (or plain nested mappings shaped like ``dvt_defaults.yaml``) and
time only passes when a caller ticks a model.  Devices wire these models to
protocols; this package imports nothing else of the project.

- :mod:`~simulators.physics.dynamics`: exact one-step solutions (first-order,
  ramp-limited first-order, first-order with a ramping input).
- :mod:`~simulators.physics.thermal`: thermal chamber and the DUT thermal path.
- :mod:`~simulators.physics.ldo`: the LDO regulator under test.
- :mod:`~simulators.physics.bench`: all of it coupled, plus supply and load.
"""

from simulators.physics.bench import MAX_SUBSTEPS_PER_TICK, BenchModel, BenchParams, plan_substeps
from simulators.physics.dynamics import (
    first_order_ramped_step,
    first_order_step,
    limited_first_order_step,
    limited_first_order_time_to_gap,
)
from simulators.physics.ldo import REFERENCE_TEMPERATURE_C, Ldo, LdoOperatingPoint, LdoParams
from simulators.physics.thermal import Chamber, ChamberParams, DutThermal, ThermalParams

__all__ = [
    "MAX_SUBSTEPS_PER_TICK",
    "REFERENCE_TEMPERATURE_C",
    "BenchModel",
    "BenchParams",
    "Chamber",
    "ChamberParams",
    "DutThermal",
    "Ldo",
    "LdoOperatingPoint",
    "LdoParams",
    "ThermalParams",
    "first_order_ramped_step",
    "first_order_step",
    "limited_first_order_step",
    "limited_first_order_time_to_gap",
    "plan_substeps",
]
