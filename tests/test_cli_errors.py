"""``discos-simulator`` errors: unknown names and types, bad usage, interrupts."""

from __future__ import annotations

from socketserver import ThreadingTCPServer
from types import ModuleType

import click
import pytest

from simulators import plugins
from simulators.cli import main
from simulators.cli_errors import show_usage_error
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


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([], "discos-simulator: error: the following arguments are required: COMMAND"),
        (
            ["bogus"],
            "discos-simulator: error: argument COMMAND: invalid choice: 'bogus' "
            "(choose from 'list', 'start', 'stop', 'status')",
        ),
        (["-s"], "discos-simulator: error: argument -s/--system: expected one argument"),
        (
            ["status", "--port-offset"],
            "discos-simulator status: error: argument --port-offset: expected one argument",
        ),
        (
            ["--port-offset", "x", "list"],
            "discos-simulator: error: argument --port-offset: invalid int value: 'x'",
        ),
        (
            ["start", "--idle-timeout", "x"],
            "discos-simulator start: error: argument --idle-timeout: 'x' is not a number of "
            "seconds > 0",
        ),
        (["list", "extra"], "discos-simulator: error: unrecognized arguments: extra"),
        (["list", "-x"], "discos-simulator: error: unrecognized arguments: -x"),
        (
            ["--foreground=1", "start"],
            "discos-simulator: error: argument --foreground: takes no value",
        ),
        (
            ["--ver"],
            "discos-simulator: error: ambiguous option: --ver could match --version, --verbose",
        ),
    ],
)
def test_bad_usage_is_the_usage_and_one_line(capsys, argv, says):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    usage, _, last = capsys.readouterr().err.rstrip("\n").rpartition("\n")
    assert usage.startswith("usage: discos-simulator")
    assert last == says


def test_a_long_option_may_be_a_unique_prefix(cli):
    status, out, err = cli("--port", "0", "--ephem", "status", "--sys", "dut")
    assert (status, err) == (3, "")
    assert out.startswith("dut stopped")


def test_a_usage_error_without_a_command_is_still_one_line(capsys):
    show_usage_error(click.UsageError("something is off"))
    assert capsys.readouterr().err == "discos-simulator: error: something is off\n"


def test_an_unforeseen_option_misuse_still_names_the_option(capsys):
    ctx = click.Context(
        click.Command("x", params=[click.Option(["-s", "--system"])]), info_name="x"
    )
    show_usage_error(click.BadOptionUsage("-s", "Option '-s' is odd.", ctx))
    show_usage_error(click.BadOptionUsage("-q", "Option '-q' is odd.", ctx))
    err = capsys.readouterr().err.splitlines()
    assert err[1::2] == [
        "x: error: argument -s/--system: Option '-s' is odd.",
        "x: error: argument -q: Option '-q' is odd.",
    ]
