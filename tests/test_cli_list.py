"""``discos-simulator list``: every simulator, its description, its types and addresses."""

from __future__ import annotations

import subprocess
from socketserver import ThreadingTCPServer
from types import ModuleType

import pytest

from tests.cli_support import HEAVY, PY, STARTED_WITH_ALL, cli, extra_plugin, run_dir

pytestmark = pytest.mark.usefixtures("run_dir")
__all__ = ["cli", "extra_plugin", "run_dir"]  # fixtures, imported for pytest


def listed(out: str) -> dict[str, list[str]]:
    """Parse ``list`` output: each simulator's header line, then its address lines.

    The ``types:`` line is left out (see :func:`types_line`).
    """
    blocks: dict[str, list[str]] = {}
    for line in out.splitlines():
        if line.startswith(" "):
            if not line.strip().startswith("types:"):
                blocks[next(reversed(blocks))].append(line.strip())
        else:
            blocks[line.split()[0]] = [line]
    return blocks


def types_line(out: str, name: str) -> str | None:
    """Return the ``types: ...`` line under simulator ``name`` in ``list`` output."""
    current = None
    for line in out.splitlines():
        if not line.startswith(" "):
            current = line.split()[0]
        elif current == name and line.strip().startswith("types:"):
            return line.strip()
    return None


def test_list_shows_every_builtin_with_its_description_and_addresses(cli):
    status, out, err = cli("list")
    assert status == 0
    assert err == ""
    blocks = listed(out)
    assert sorted(blocks) == sorted([*STARTED_WITH_ALL, "station"])
    assert "A simulated device under test" in blocks["dut"][0]
    assert blocks["station"][1:] == [f"127.0.0.1:{p}/tcp listening" for p in range(5020, 5024)]
    served = blocks["dut"][1:]
    assert served == [
        "127.0.0.1:6000/tcp listening",
        "127.0.0.1:6001/tcp sending",
        "127.0.0.1:6002/udp listening",
    ]


def test_list_honours_port_offset_and_host(cli):
    status, out, _ = cli("--port-offset", "1234", "--host", "0.0.0.0", "list")
    assert status == 0
    served = listed(out)["dut"][1:]
    assert served == [
        "0.0.0.0:7234/tcp listening",
        "0.0.0.0:7235/tcp sending",
        "0.0.0.0:7236/udp listening",
    ]


def test_list_writes_an_ipv6_host_in_brackets_like_start_does(cli):
    # BUG: list prints "::1:6000/tcp" (ambiguous) where start/status print "[::1]:6000".
    status, out, _ = cli("--host", "::1", "list")
    assert status == 0
    assert "[::1]:6000/tcp listening" in out


def test_list_reports_a_plugin_that_cannot_load_and_lists_the_rest(cli, extra_plugin):
    extra_plugin("broken", "no_such_module_for_simulators_tests")
    status, out, _ = cli("list")
    assert status == 0
    broken = next(line for line in out.splitlines() if line.startswith("broken"))
    assert "cannot load" in broken
    assert "no_such_module_for_simulators_tests" in broken
    assert "127.0.0.1:6000/tcp listening" in out


def test_list_reports_a_plugin_with_malformed_servers_without_a_traceback(cli, extra_plugin):
    # BUG: plugins.entries() lets dict(kwargs) raise TypeError for non-mapping kwargs,
    # so list dies with a traceback instead of "(cannot load: ...)".
    module = ModuleType("malformed_sim_for_cli_tests", "Kwargs that are not a mapping.")
    module.System = object  # type: ignore[attr-defined]
    module.servers = [(("127.0.0.1", 0), (), ThreadingTCPServer, 5)]  # type: ignore[attr-defined]
    extra_plugin("malformed", module)
    status, out, _ = cli("list")
    assert status == 0
    assert "cannot load" in next(line for line in out.splitlines() if line.startswith("malformed"))
    assert "127.0.0.1:6000/tcp listening" in out


def test_list_imports_no_heavy_dependency():
    code = (
        "import sys; from simulators.cli import main; main(['list']); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY}))"
    )
    result = subprocess.run(
        [PY, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("dut ") for line in lines)
    assert any(line.startswith("power_supply ") for line in lines)
    assert lines[-1] == "[]"


def test_list_shows_the_types_of_each_simulator_with_its_default(cli):
    status, out, _ = cli("list")
    assert status == 0
    assert types_line(out, "dut") == "types: clean (default), factory-flaky, markov-flaky"
    for name in ("station", "power_supply", "dmm", "actuator", "thermocouple"):
        assert types_line(out, name) == "types: custom (default), modbus-tcp", name
    assert types_line(out, "dvt_bench") is None  # no -t for it


def test_list_shows_descriptions_without_restructuredtext_markup(cli, extra_plugin):
    module = ModuleType(
        "marked_up_sim_for_cli_tests",
        "Answers ``PING`` like :class:`~their.pkg.Pinger` does (see :doc:`the guide <guide>`).",
    )
    module.System = object  # type: ignore[attr-defined]
    module.servers = [(("127.0.0.1", 0), (), ThreadingTCPServer, {})]  # type: ignore[attr-defined]
    extra_plugin("marked", module)
    status, out, _ = cli("list")
    assert status == 0
    header = listed(out)["marked"][0]
    assert header.endswith("Answers PING like Pinger does (see the guide).")
    assert "``" not in out
    assert ":class:" not in out
