"""The device kit: what simulated devices share, so a device is a model, a protocol and servers.

* :mod:`~simulators.devicekit.faults`: the fault catalogue, one table, and its grammar;
* :mod:`~simulators.devicekit.values`: the value layer (override, drift, stuck, noise),
  the one place value faults are applied;
* :mod:`~simulators.devicekit.replies`: the one place a response fault becomes a
  :class:`~simulators.common.Reply`;
* :mod:`~simulators.devicekit.commands`: the fault custom commands, written once.

Layer rule: the kit imports the plugin contract (:mod:`simulators.common`) and
nothing of devices, protocols' sockets or the controller; it does no I/O.
"""

from simulators.devicekit.commands import FaultCommands, ResetCommand
from simulators.devicekit.faults import KINDS, NO_FAULT, ResponseFault, ResponseFaults
from simulators.devicekit.replies import GarbageLines, apply, respond
from simulators.devicekit.values import LIVE, Values, number_or_live

__all__ = [
    "KINDS",
    "LIVE",
    "NO_FAULT",
    "FaultCommands",
    "GarbageLines",
    "ResetCommand",
    "ResponseFault",
    "ResponseFaults",
    "Values",
    "apply",
    "number_or_live",
    "respond",
]
