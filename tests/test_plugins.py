"""Plugin discovery: the built-in devices, entry points, and the ``servers`` contract."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from socketserver import ThreadingTCPServer, ThreadingUDPServer, UnixStreamServer
from types import ModuleType

import pytest

from simulators import plugins, runtime
from simulators.plugins import PluginError, ServerEntry

PY = sys.executable


def module_with(
    servers: object = None, *, system: bool = True, doc: str | None = None
) -> ModuleType:
    """A throwaway plugin module: ``servers`` (omitted when None) and a ``System``."""
    module = ModuleType("throwaway_sim", doc)
    if servers is not None:
        module.servers = servers  # type: ignore[attr-defined]
    if system:
        module.System = object  # type: ignore[attr-defined]
    return module


@pytest.fixture
def extra_plugins(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Replace the installed entry points with the given ones (name -> module or module name)."""
    extra: list[EntryPoint] = []
    monkeypatch.setattr(plugins, "entry_points", lambda group: list(extra))

    def add(name: str, module: ModuleType | str) -> None:
        if isinstance(module, ModuleType):
            monkeypatch.setitem(sys.modules, module.__name__, module)
            module = module.__name__
        extra.append(EntryPoint(name, module, plugins.ENTRY_POINT_GROUP))

    return add


# -- discover / load ---------------------------------------------------------------


def test_discover_finds_the_builtin_dut():
    found = plugins.discover()
    assert found["dut"] == plugins.PluginInfo("dut", "simulators.devices.dut", "built-in")
    assert list(found) == sorted(found)


def test_discover_takes_only_public_packages_under_devices(tmp_path, monkeypatch):
    import simulators.devices

    for package in ("extra_device", "_private"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text('"""A device."""\n')
    (tmp_path / "helper.py").write_text("")
    monkeypatch.setattr(simulators.devices, "__path__", [*simulators.devices.__path__, tmp_path])
    found = plugins.discover()
    assert found["extra_device"].module == "simulators.devices.extra_device"
    assert "_private" not in found
    assert "helper" not in found
    assert "dut" in found


def test_load_returns_the_module_with_servers_and_system():
    module = plugins.load("dut")
    assert module.__name__ == "simulators.devices.dut"
    assert hasattr(module, "System")
    entries = plugins.entries(module)
    assert [(e.listening, e.sending, e.transport) for e in entries] == [
        (("127.0.0.1", 6000), ("127.0.0.1", 6001), "tcp"),
        (("127.0.0.1", 6002), None, "udp"),
    ]


def test_load_of_an_unknown_name_says_what_is_known():
    with pytest.raises(PluginError, match=r"unknown simulator 'nope'; known: .*dut"):
        plugins.load("nope")


def test_load_of_an_unknown_name_with_nothing_installed(monkeypatch):
    monkeypatch.setattr(plugins, "discover", dict)
    with pytest.raises(PluginError, match="known: none"):
        plugins.load("dut")


def test_entry_points_add_simulators_but_builtins_win(extra_plugins, caplog):
    extra_plugins("dut", "someone_elses_dut")
    extra_plugins("their_thing", "their_thing_sim")
    with caplog.at_level(logging.WARNING, logger="simulators.plugins"):
        found = plugins.discover()
    assert found["dut"].origin == "built-in"
    assert found["their_thing"] == plugins.PluginInfo(
        "their_thing", "their_thing_sim", "entry point"
    )
    assert "shadowed by a built-in" in caplog.text
    assert "someone_elses_dut" in caplog.text


def test_load_reports_a_module_that_fails_to_import(extra_plugins):
    extra_plugins("missing", "no_such_module_for_simulators_tests")
    with pytest.raises(PluginError, match=r"'missing' .*failed to import"):
        plugins.load("missing")


def test_load_reports_a_module_without_system(extra_plugins):
    module = module_with([(("127.0.0.1", 0), (), ThreadingTCPServer, {})], system=False)
    extra_plugins("nosystem", module)
    with pytest.raises(PluginError, match="has no System class"):
        plugins.load("nosystem")


def test_load_validates_servers(extra_plugins):
    extra_plugins("noservers", module_with())
    with pytest.raises(PluginError, match="no 'servers' list"):
        plugins.load("noservers")


# -- entries(): the servers contract ------------------------------------------------


def test_entries_of_a_good_module():
    kwargs = {"sampling_time": 0.5}
    module = module_with(
        [
            (("127.0.0.1", 5000), ("localhost", "5001"), ThreadingTCPServer, kwargs),
            (("::1", 0), (), ThreadingUDPServer, None),
        ]
    )
    first, second = plugins.entries(module)
    assert first == ServerEntry(
        ("127.0.0.1", 5000), ("localhost", 5001), ThreadingTCPServer, kwargs
    )
    assert first.kwargs is not kwargs  # a copy: serving never changes the module
    assert first.transport == "tcp"
    assert second == ServerEntry(("::1", 0), None, ThreadingUDPServer, {})
    assert second.transport == "udp"


@pytest.mark.parametrize("servers", [None, [], (), "servers", {"a": 1}])
def test_entries_need_a_servers_list(servers):
    module = module_with(servers)
    if servers is None:
        assert not hasattr(module, "servers")
    with pytest.raises(PluginError, match="throwaway_sim has no 'servers' list"):
        plugins.entries(module)


@pytest.mark.parametrize(
    "entry",
    [
        (("127.0.0.1", 1), (), ThreadingTCPServer),
        (("127.0.0.1", 1), (), ThreadingTCPServer, {}, "extra"),
        5,
        None,
    ],
)
def test_entries_reject_a_wrong_tuple_shape(entry):
    with pytest.raises(PluginError, match=r"servers entry 1 is not \(l_address, s_address"):
        plugins.entries(module_with([entry]))


@pytest.mark.parametrize(
    "address",
    [("127.0.0.1",), ("127.0.0.1", 1, 2), ("127.0.0.1", "http"), 6000, "localhost:6000"],
)
def test_entries_reject_a_bad_address(address):
    good: object = (("127.0.0.1", 1), (), ThreadingTCPServer, {})
    bad: object = (address, (), ThreadingTCPServer, {})
    with pytest.raises(PluginError, match=r"servers entry 2 has a bad address"):
        plugins.entries(module_with([good, bad]))


@pytest.mark.parametrize("port", [-1, 65536, 100_000])
def test_entries_reject_a_port_out_of_range(port):
    entry: object = (("127.0.0.1", 1), ("127.0.0.1", port), ThreadingTCPServer, {})
    with pytest.raises(PluginError, match=f"servers entry 1 has port {port} out of range"):
        plugins.entries(module_with([entry]))


@pytest.mark.parametrize("server_type", [int, None, "ThreadingTCPServer", object()])
def test_entries_reject_a_non_server_type(server_type):
    entry: object = (("127.0.0.1", 1), (), server_type, {})
    with pytest.raises(PluginError, match="servers entry 1 has no server type"):
        plugins.entries(module_with([entry]))


def test_entries_accept_any_socketserver_type():
    # make_server refuses what it cannot serve; entries() only checks the shape
    entry = plugins.entries(module_with([(("/tmp/x", 1), (), UnixStreamServer, {})]))[0]
    assert entry.server_type is UnixStreamServer


@pytest.mark.parametrize("kwargs", [5, "abc", [1, 2]])
def test_entries_reject_kwargs_that_are_not_a_mapping(kwargs):
    # BUG: dict(kwargs) raises TypeError/ValueError, not PluginError, so `discos-simulator
    # list` shows a traceback for such a plugin instead of "(cannot load: ...)".
    entry = (("127.0.0.1", 1), (), ThreadingTCPServer, kwargs)
    with pytest.raises(PluginError, match="servers entry 1"):
        plugins.entries(module_with([entry]))


def test_describe_is_the_first_docstring_line():
    assert plugins.describe(module_with(doc="\n  One line.\n\n  More text.\n")) == "One line."
    assert plugins.describe(module_with(doc=None)) == ""
    assert plugins.describe(plugins.load("dut")).startswith("A simulated device under test")


# -- a third-party distribution, installed with pip --------------------------------

PLUGIN_MODULE = '''\
"""Their device: answers PING with PONG.

A third-party simulator registered through the simulators.plugins entry point.
"""

from socketserver import ThreadingTCPServer

from simulators.common import ListeningSystem

servers = [(("127.0.0.1", 0), (), ThreadingTCPServer, {})]


class System(ListeningSystem):
    parser_state = ("_line",)

    def __init__(self):
        self._line = b""

    def parse(self, byte):
        if byte != b"\\n":
            self._line += byte
            return True
        line, self._line = self._line, b""
        return b"PONG\\n" if line == b"PING" else b"ERR\\n"
'''

PLUGIN_PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "their-device-sim"
version = "0.1"

[project.entry-points."simulators.plugins"]
their_device = "their_device_sim"

[tool.setuptools]
py-modules = ["their_device_sim"]
"""


def _pip_install(source: Path, target: Path) -> str:
    """Install ``source`` into ``target``: offline first, then with build isolation."""
    errors = []
    for how, extra in (("--no-build-isolation", ["--no-build-isolation"]), ("isolation", [])):
        command = [PY, "-m", "pip", "install", "--quiet", "--no-deps", *extra]
        command += ["--disable-pip-version-check", "--target", str(target), str(source)]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=120, check=False
            )
        except subprocess.TimeoutExpired:
            errors.append(f"{how}: timed out")
            continue
        if result.returncode == 0:
            return how
        errors.append(f"{how}: " + (result.stderr.strip().splitlines() or ["failed"])[-1])
    pytest.skip("pip cannot build the throwaway plugin here: " + "; ".join(errors))


@pytest.fixture(scope="module")
def their_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site directory holding the installed distribution ``their-device-sim``."""
    root = tmp_path_factory.mktemp("third_party")
    source = root / "src"
    source.mkdir()
    (source / "their_device_sim.py").write_text(PLUGIN_MODULE)
    (source / "pyproject.toml").write_text(PLUGIN_PYPROJECT)
    site = root / "site"
    _pip_install(source, site)
    assert any(site.glob("their_device_sim-*.dist-info"))
    return site


@pytest.fixture
def third_party_env(
    their_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """The environment of a user who installed their-device-sim; stops what runs afterwards."""
    path = tmp_path / "run"
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(path))
    python_path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(their_site), python_path])))
    yield path
    for instance in runtime.instances():
        runtime.terminate(instance, timeout=2.0)


def _simulators(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "simulators", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_a_pip_installed_plugin_is_listed_started_and_stopped(third_party_env):
    listed = _simulators("list")
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if line.startswith("their_device"))
    assert "Their device: answers PING with PONG." in line
    assert "dut" in listed.stdout  # the built-ins are still there

    started = _simulators("-s", "their_device", "--ephemeral-ports", "start")
    assert started.returncode == 0, started.stderr + started.stdout
    pid_match = re.search(r"started \(pid (\d+)\)", started.stdout)
    assert pid_match, started.stdout
    pid = int(pid_match.group(1))
    match = re.search(r"^\s+127\.0\.0\.1:(\d+)\s+tcp listening$", started.stdout, re.MULTILINE)
    assert match, started.stdout
    with socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=5.0) as sock:
        sock.sendall(b"PING\n")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = sock.recv(64)
            assert chunk
            reply += chunk
    assert reply == b"PONG\n"

    stopped = _simulators("-s", "their_device", "stop")
    assert stopped.returncode == 0
    assert "their_device stopped" in stopped.stdout
    assert not runtime.alive(pid)
    assert runtime.instances() == []


def test_a_pip_installed_plugin_names_its_distribution(their_site, monkeypatch):
    monkeypatch.syspath_prepend(str(their_site))
    monkeypatch.delitem(sys.modules, "their_device_sim", raising=False)
    try:
        info = plugins.discover()["their_device"]
        assert info == plugins.PluginInfo("their_device", "their_device_sim", "their-device-sim")
        assert plugins.describe(plugins.load("their_device")).startswith("Their device")
    finally:
        sys.modules.pop("their_device_sim", None)
