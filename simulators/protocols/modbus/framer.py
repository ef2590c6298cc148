"""Pick a framing by name: the one switch between the custom wire and Modbus TCP.

>>> server_framer().name
'custom'
>>> client_framer("modbus-tcp").name
'modbus-tcp'
>>> server_framer("rtu")
Traceback (most recent call last):
    ...
ValueError: unknown Modbus framing 'rtu'; choose one of: custom, modbus-tcp
"""

from __future__ import annotations

from typing import Literal

from .base import ClientFramer, ServerFramer
from .custom import CustomClientFramer, CustomServerFramer
from .mbap import MbapClientFramer, MbapServerFramer

#: A framing's name, as ``-t``, ``--framing`` and station files spell it.
Framing = Literal["custom", "modbus-tcp"]
DEFAULT_FRAMING: Framing = "custom"
_FRAMINGS: dict[Framing, tuple[type[ServerFramer], type[ClientFramer]]] = {
    "custom": (CustomServerFramer, CustomClientFramer),
    "modbus-tcp": (MbapServerFramer, MbapClientFramer),
}
FRAMINGS: tuple[Framing, ...] = tuple(_FRAMINGS)
"""The framing names, default first."""


def _lookup(name: str) -> tuple[type[ServerFramer], type[ClientFramer]]:
    if name not in FRAMINGS:
        choices = ", ".join(FRAMINGS)
        raise ValueError(f"unknown Modbus framing {name!r}; choose one of: {choices}")
    return _FRAMINGS[name]


def server_framer(name: str = DEFAULT_FRAMING) -> ServerFramer:
    """Return a new device-side framer for one connection."""
    return _lookup(name)[0]()


def client_framer(name: str = DEFAULT_FRAMING) -> ClientFramer:
    """Return a new controller-side framer for one connection."""
    return _lookup(name)[1]()
