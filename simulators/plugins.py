"""Finding simulators: built-in packages under ``simulators/devices`` and entry points.

A third-party package registers its simulator module under the entry-point group
``simulators.plugins``, e.g. in its ``pyproject.toml``::

    [project.entry-points."simulators.plugins"]
    their_device = "their_device_sim"

A plugin module must stay cheap to import (``discos-simulator list`` imports it):
import heavy dependencies inside the System, not at module level.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
import socketserver
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import simulators.devices
from simulators.common import MultiTypeSystem

__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginError",
    "PluginInfo",
    "ServerEntry",
    "describe",
    "discover",
    "load",
    "plain_text",
    "started_with_all",
    "types",
]

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "simulators.plugins"


class PluginError(Exception):
    """A simulator cannot be found or does not follow the plugin contract."""


@dataclass(frozen=True)
class PluginInfo:
    """Where a simulator comes from: its name, its module and who ships it."""

    name: str
    module: str
    origin: str  # "built-in" or the distribution that registered it


@dataclass(frozen=True)
class ServerEntry:
    """One entry of a module's ``servers``: an independent unit with its own System."""

    listening: tuple[str, int] | None
    sending: tuple[str, int] | None
    server_type: type[socketserver.BaseServer]
    kwargs: dict[str, Any]

    @property
    def transport(self) -> str:
        """``tcp`` or ``udp``."""
        return "udp" if issubclass(self.server_type, socketserver.UDPServer) else "tcp"


def discover() -> dict[str, PluginInfo]:
    """Return every simulator by name: built-ins first, then entry points (built-ins win)."""
    found: dict[str, PluginInfo] = {}
    for module in pkgutil.iter_modules(simulators.devices.__path__):
        if module.ispkg and not module.name.startswith("_"):
            name = module.name
            found[name] = PluginInfo(name, f"simulators.devices.{name}", "built-in")
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in found:
            logger.warning("plugin %r from %s is shadowed by a built-in", entry.name, entry.value)
            continue
        origin = entry.dist.name if entry.dist is not None else "entry point"
        found[entry.name] = PluginInfo(entry.name, entry.value, origin)
    return dict(sorted(found.items()))


def load(name: str) -> ModuleType:
    """Import the simulator ``name`` and check it declares ``servers`` and ``System``."""
    plugins = discover()
    info = plugins.get(name)
    if info is None:
        known = ", ".join(plugins) or "none"
        raise PluginError(f"unknown simulator {name!r}; known: {known} (discos-simulator list)")
    try:
        module = importlib.import_module(info.module)
    except Exception as error:
        raise PluginError(f"simulator {name!r} ({info.module}) failed to import: {error}") from None
    entries(module)  # validates
    if not hasattr(module, "System"):
        raise PluginError(f"simulator {name!r} ({info.module}) has no System class")
    return module


def entries(module: ModuleType) -> list[ServerEntry]:
    """Return a module's ``servers`` as :class:`ServerEntry` objects, validating their shape."""
    servers = getattr(module, "servers", None)
    if not isinstance(servers, list) or not servers:
        raise PluginError(f"{module.__name__} has no 'servers' list")
    result = []
    for number, entry in enumerate(servers, 1):
        try:
            listening, sending, server_type, kwargs = entry
        except (TypeError, ValueError):
            raise PluginError(
                f"{module.__name__}: servers entry {number} is not "
                "(l_address, s_address, server_type, kwargs)"
            ) from None
        if not (isinstance(server_type, type) and issubclass(server_type, socketserver.BaseServer)):
            raise PluginError(f"{module.__name__}: servers entry {number} has no server type")
        if kwargs is not None and not isinstance(kwargs, dict):
            raise PluginError(f"{module.__name__}: servers entry {number} kwargs is not a dict")
        result.append(
            ServerEntry(
                _address(module, number, listening),
                _address(module, number, sending),
                server_type,
                dict(kwargs or {}),
            )
        )
    return result


def _address(module: ModuleType, number: int, address: Any) -> tuple[str, int] | None:
    if address == () or address is None:
        return None
    try:
        host, port = address
        port = int(port)
    except (TypeError, ValueError):
        raise PluginError(
            f"{module.__name__}: servers entry {number} has a bad address {address!r}"
        ) from None
    if not 0 <= port <= 65535:
        raise PluginError(f"{module.__name__}: servers entry {number} has port {port} out of range")
    return str(host), port


def started_with_all() -> list[str]:
    """The simulators ``start``/``stop``/``status`` act on without ``-s``.

    A module that sets ``start_with_all = False`` (``station``, whose ports are
    those of four other simulators) is left out; a plugin that fails to load is kept,
    so the command reports it.
    """
    names = []
    for name in discover():
        try:
            module = load(name)
        except PluginError:
            names.append(name)
            continue
        if getattr(module, "start_with_all", True):
            names.append(name)
    return names


def describe(module: ModuleType) -> str:
    """Return the first line of a plugin's docstring, as plain text: its one-line description."""
    return plain_text((module.__doc__ or "").strip().split("\n", 1)[0])


def types(module: ModuleType) -> tuple[list[str], str] | None:
    """Return a plugin's ``-t`` types and its default type, or None if it has no types.

    A module's ``System`` has types when it is a
    :class:`~simulators.common.MultiTypeSystem`; nothing is built to find out.
    """
    system = getattr(module, "System", None)
    if not (isinstance(system, type) and issubclass(system, MultiTypeSystem)):
        return None
    return list(system.systems), system.default


_ROLE = re.compile(r":[\w:.+-]+:`(?:([^`<]*?)\s*<[^`>]*>|(~?)\.?([^`]*))`")
_LITERAL = re.compile(r"``(.+?)``")
_LINK = re.compile(r"`([^`<]+?)(?:\s*<[^`>]*>)?`__?")


def plain_text(text: str) -> str:
    """Strip reStructuredText markup from docstring text shown to users.

    ````x```` becomes ``x``; ``:class:`X``` becomes ``X`` (``:role:`~a.b.X``` becomes
    ``X``, ``:doc:`text <target>``` becomes ``text``); ```text <url>`_`` becomes ``text``.
    """

    def role(match: re.Match[str]) -> str:
        titled, short, target = match.groups()
        if titled:
            return str(titled)
        return str(target).rsplit(".", 1)[-1] if short else str(target)

    text = _ROLE.sub(role, text)
    text = _LITERAL.sub(r"\1", text)
    return _LINK.sub(r"\1", text)
