"""``mfg-ctl --version`` and ``--help``: plain text a terminal shows as written."""

from __future__ import annotations

import re

import pytest

from simulators import __version__
from tests.controller.cli.support import Ctl

COMMANDS = [
    "run",
    "replay",
    "runs",
    "report",
    "devices",
    "simulate-fault",
    "serve",
    "tempco",
    "batch",
    "analytics",
    "history",
    "spc",
    "trends",
    "export",
    "serve-web",
    "line",
    "db",
]
#: reStructuredText that would show raw in a terminal.
MARKUP = re.compile(r"``|:(?:doc|ref|class|func|mod|meth|attr):`|^\s*\.\. |::$", re.MULTILINE)


def test_version(ctl: Ctl) -> None:
    result = ctl("--version")
    assert (result.status, result.out, result.err) == (0, f"mfg-ctl {__version__}\n", "")


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_is_plain_text(ctl: Ctl, command: str | None) -> None:
    result = ctl(*([command] if command else []), "--help")
    assert result.status == 0
    assert result.out.startswith("Usage: mfg-ctl")
    assert not MARKUP.search(result.out), result.out


def test_every_command_is_listed_with_a_whole_sentence(ctl: Ctl) -> None:
    listing = ctl("--help").out.split("Commands:\n", 1)[1].splitlines()
    assert sorted(line.split()[0] for line in listing) == sorted(COMMANDS)
    assert all(line.rstrip().endswith(".") for line in listing), listing


@pytest.mark.parametrize(
    "command", ["run", "replay", "simulate-fault", "tempco", "serve", "serve-web"]
)
def test_every_command_that_reaches_devices_takes_a_port_offset(ctl: Ctl, command: str) -> None:
    assert "--port-offset N" in ctl(command, "--help").out
