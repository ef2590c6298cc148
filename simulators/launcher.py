"""Run one simulator's servers in this process: start them all, or none; stop them all.

>>> from simulators import plugins
>>> with Simulator("dut", plugins.load("dut"), ephemeral=True) as sim:
...     print([address.role for address in sim.addresses])
['listening', 'sending', 'listening']
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import logging
import math
import threading
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Any

from simulators import plugins
from simulators.common import BaseSystem, ListeningSystem, MultiTypeSystem, SendingSystem, Shared
from simulators.server import POLL_INTERVAL, Role, ServeError, SystemHost, make_server

__all__ = [
    "DEFAULT_HOST",
    "Address",
    "BindError",
    "ServeError",
    "Simulator",
    "bind_warning",
    "check_host",
]

logger = logging.getLogger(__name__)

#: Where simulators listen unless told otherwise: never all interfaces by default.
DEFAULT_HOST = "127.0.0.1"


class BindError(ServeError):
    """An address could not be bound; says which, and whether it was already in use."""

    def __init__(self, message: str, host: str, port: int, transport: str, in_use: bool) -> None:
        super().__init__(message)
        self.host = host
        self.port = port
        self.transport = transport
        self.in_use = in_use


def check_host(host: str) -> None:
    """Refuse an empty host: binding ``''`` would silently serve every interface."""
    if not host.strip():
        raise ServeError(
            "--host is empty: give an address such as 127.0.0.1 (this machine only) "
            "or 0.0.0.0 (every interface)"
        )


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.strip())
    except ValueError:
        return False  # a name other than localhost may resolve to anything
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def bind_warning(host: str) -> str | None:
    """Return the warning to print before serving on ``host``, or None for a loopback address."""
    if is_loopback(host):
        return None
    return (
        f"warning: serving on {host}: custom commands ($system_*) are unauthenticated; anyone "
        "who can reach these ports can inject faults or stop the simulator"
    )


@dataclass(frozen=True)
class Address:
    """One served address: what it does, over what, and where."""

    role: Role
    transport: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


class Simulator:
    """All the servers of one simulator module, served from this process.

    ``port_offset`` shifts every port; ``ephemeral`` asks the OS for free ports
    instead (read them from :attr:`addresses`), so test suites run side by side.
    ``system_kwargs`` are added to every entry's kwargs (e.g. a faster
    ``sampling_time`` in a test). ``idle_timeout`` closes a client connection
    that stays silent that many seconds (default: each System's own
    ``idle_timeout``, usually never).
    """

    def __init__(
        self,
        name: str,
        module: ModuleType,
        *,
        system_type: str | None = None,
        host: str = DEFAULT_HOST,
        port_offset: int = 0,
        ephemeral: bool = False,
        system_kwargs: dict[str, Any] | None = None,
        idle_timeout: float | None = None,
    ) -> None:
        if idle_timeout is not None and not (math.isfinite(idle_timeout) and idle_timeout > 0):
            raise ServeError(f"idle timeout must be a number of seconds > 0, got {idle_timeout}")
        self.idle_timeout = idle_timeout
        self.name = name
        self.module = module
        self.system_type = system_type
        self.host = host
        self.port_offset = port_offset
        self.ephemeral = ephemeral
        self.system_kwargs = dict(system_kwargs or {})
        self.systems: list[BaseSystem] = []
        self.addresses: list[Address] = []
        self._servers: list[Any] = []
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        """Build the Systems and bind every address; on any failure nothing stays bound."""
        if self._started:
            raise ServeError(f"{self.name} is already started")
        check_host(self.host)
        shared: dict[int, Any] = {}  # id(Shared) -> the object this start built
        try:
            for entry in plugins.entries(self.module):
                kwargs = {**entry.kwargs, **self.system_kwargs}
                for key, value in kwargs.items():
                    if isinstance(value, Shared):
                        if id(value) not in shared:
                            shared[id(value)] = value.build()
                        kwargs[key] = shared[id(value)]
                system = self._build_system(kwargs)
                host = SystemHost(system, self.request_stop)
                self.systems.append(system)
                roles: tuple[tuple[Role, tuple[str, int] | None], ...] = (
                    ("listening", entry.listening),
                    ("sending", entry.sending),
                )
                for role, address in roles:
                    if address is not None:
                        self._bind(host, role, address, entry)
        except BaseException:
            self._close_servers()
            self._servers.clear()
            self.addresses.clear()
            self.systems.clear()
            raise
        self._started = True
        for server in self._servers:
            thread = threading.Thread(
                target=server.serve_forever,
                args=(POLL_INTERVAL,),
                name=f"{self.name}:{server.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def _build_system(self, kwargs: dict[str, Any]) -> BaseSystem:
        system_class = self.module.System
        if self.system_type is not None:
            if not (isinstance(system_class, type) and issubclass(system_class, MultiTypeSystem)):
                raise ServeError(f"simulator {self.name!r} has no types; drop -t")
            kwargs = {**kwargs, "system_type": self.system_type}
        try:
            system = system_class(**kwargs)
        except (TypeError, ValueError) as error:
            raise ServeError(f"simulator {self.name!r}: {error}") from None
        if not isinstance(system, BaseSystem):
            raise ServeError(f"simulator {self.name!r}: System is not a BaseSystem")
        return system

    def _bind(
        self, host: SystemHost, role: Role, address: tuple[str, int], entry: plugins.ServerEntry
    ) -> None:
        wanted = ListeningSystem if role == "listening" else SendingSystem
        if not isinstance(host.system, wanted):
            raise ServeError(
                f"simulator {self.name!r}: a {role} address needs a {wanted.__name__} System"
            )
        port = 0 if self.ephemeral or address[1] == 0 else address[1] + self.port_offset
        if not (self.ephemeral or address[1] == 0) and not 1 <= port <= 65535:
            raise ServeError(f"port {address[1]} + offset {self.port_offset} is out of range")
        try:
            server = make_server(
                host, role, (self.host, port), entry.server_type, idle_timeout=self.idle_timeout
            )
        except ServeError as error:
            cause = error.__context__  # the OSError make_server turned into a message
            in_use = (
                isinstance(cause, OSError) and cause.errno == errno.EADDRINUSE
            ) or "already in use" in str(error)
            raise BindError(str(error), self.host, port, entry.transport, in_use) from None
        self._servers.append(server)
        bound_host, bound_port = server.server_address[:2]
        self.addresses.append(Address(role, entry.transport, str(bound_host), int(bound_port)))

    def request_stop(self) -> None:
        """Ask for a stop without waiting for it (safe from a handler thread)."""
        threading.Thread(target=self.stop, name=f"{self.name}:stop", daemon=True).start()

    def stop(self) -> None:
        """Stop serving, end every connection and release every port."""
        with self._stop_lock:
            if self._stopped.is_set() or not self._started:
                return
            for server in self._servers:
                server.shutdown()
            self._close_servers()
            for thread in self._threads:
                thread.join(timeout=1.0)
            self._stopped.set()

    def _close_servers(self) -> None:
        for server in self._servers:
            with contextlib.suppress(OSError):
                server.server_close()
            if hasattr(server, "close_connections"):
                server.close_connections()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the simulator has stopped; return False on timeout."""
        return self._stopped.wait(timeout)

    @property
    def running(self) -> bool:
        """Whether the servers are up."""
        return self._started and not self._stopped.is_set()

    def __enter__(self) -> Simulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
