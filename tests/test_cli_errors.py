"""``discos-simulator`` errors: unknown names and types, bad usage, interrupts."""

from __future__ import annotations

from socketserver import ThreadingTCPServer
from types import ModuleType

import pytest

from simulators import plugins
from simulators.cli import main
from simulators.common import ListeningSystem
from tests.cli_support import (
    ask,
    cli,
    extra_plugin,
    free_offset,
    no_traceback,
    one_error_line,
    records,
    run_dir,
    simulators,
)

pytestmark = pytest.mark.usefixtures("run_dir")
__all__ = ["cli", "extra_plugin", "run_dir"]  # fixtures, imported for pytest


def test_unknown_simulator_is_one_error_line(cli, run_dir):
    status, out, err = cli("-s", "nope", "start")
    assert status == 1
    assert out == ""
    line = one_error_line(err)
    assert "'nope'" in line
    assert "dut" in line  # names what is known
    assert records(run_dir) == []

    status, _, err = cli("-s", "nope", "--foreground", "start")
    assert status == 1
    assert "'nope'" in one_error_line(err)


def test_unknown_type_fails_with_the_list_of_types(run_dir):
    offset = free_offset()
    result = simulators("-s", "dut", "-t", "bogus", "--port-offset", str(offset), "start")
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert "bogus" in line
    for name in ("clean", "factory-flaky", "markov-flaky"):
        assert name in line
    assert "started" not in result.stdout
    assert records(run_dir) == []


def test_a_good_type_is_served(cli, run_dir):
    offset = free_offset()
    where = ("-s", "dut", "--port-offset", str(offset))
    status, out, err = cli(*where, "-t", "factory-flaky", "--verbose", "start")
    assert (status, err) == (0, ""), out
    assert ask("127.0.0.1", 6000 + offset, b"$system_profile%").startswith("factory-flaky")
    assert cli(*where, "stop")[0] == 0


def test_type_on_a_simulator_without_types_is_an_error(cli, extra_plugin, run_dir):
    module = ModuleType("untyped_sim_for_cli_tests", "A simulator without types.")

    class System(ListeningSystem):
        def parse(self, byte: bytes) -> bool | bytes:
            return True

    module.System = System  # type: ignore[attr-defined]
    module.servers = [(("127.0.0.1", 0), (), ThreadingTCPServer, {})]  # type: ignore[attr-defined]
    extra_plugin("untyped", module)
    status, out, err = cli("-s", "untyped", "-t", "x", "--ephemeral-ports", "--foreground", "start")
    assert status == 1
    assert "drop -t" in one_error_line(err)
    assert "serving" not in out
    assert records(run_dir) == []


@pytest.mark.parametrize(
    "argv",
    [[], ["bogus"], ["--port-offset", "x", "list"], ["list", "--no-such-option"]],
)
def test_bad_usage_exits_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: discos-simulator")
    no_traceback(err)


def test_bad_usage_through_python_m_has_no_traceback():
    result = simulators("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    no_traceback(result.stderr)


def test_interrupt_is_an_error_exit_not_a_traceback(cli, monkeypatch):
    def interrupted() -> dict[str, plugins.PluginInfo]:
        raise KeyboardInterrupt

    monkeypatch.setattr(plugins, "discover", interrupted)
    status, _, err = cli("status")
    assert status == 1
    no_traceback(err)
