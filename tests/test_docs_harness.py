"""Run the shell and Python examples of README.rst and doc/*.rst as a user would.

The pages follow a few conventions, so that their examples can be checked:

* A ``.. code-block:: console`` block is a shell session: ``$ command`` lines,
  each followed by what it prints. A command with nothing under it is not
  checked for output. A line ``...`` stands for any number of lines, ``...``
  inside a line for any text. Pids, durations and telemetry times vary and are
  compared by their shape.
* A command must exit 0, unless its comment says ``exit N`` or ``exit status N``.
* A ``.. code-block:: python`` block between them runs as a script; a
  ``print(...)  # text`` line must print ``text``.

Each page runs in bash from the repository root, with a private runtime
directory and run store, and with every port moved by a free offset N, so an
example never touches the default ports or another run:
``discos-simulator`` gets ``--port-offset N``; ``mfg-ctl`` gets it on the
commands that reach running devices (``simulate-fault``; ``run`` and
``replay`` with ``--station``); a default port after ``127.0.0.1 ``,
``127.0.0.1:``, ``"127.0.0.1", `` or ``port=`` becomes port + N, in commands
and in the output they document. ``nc`` is ``tests/data/netcat_stand_in.py``,
which behaves like OpenBSD netcat for these exchanges, so the examples run on
machines without netcat, without waiting out ``-q1`` each time.
"""

from __future__ import annotations

import os
import random
import re
import socket
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
NETCAT = REPO / "tests" / "data" / "netcat_stand_in.py"
#: Every default port of the built-in simulators (and 5028, kept for the bench's load).
DEFAULT_PORTS = frozenset((*range(5020, 5029), 6000, 6001, 6002))
#: The bound on one command of an example (a plan run included), generous for a loaded machine.
COMMAND_TIMEOUT = 120.0
#: ``mfg-ctl`` commands that reach devices already running (with --station, or always).
REACHES_RUNNING = re.compile(r"\bmfg-ctl\s+(simulate-fault|run|replay)\b")
PORT_AFTER = re.compile(r'(127\.0\.0\.1(?::|\s+|",\s*)|\bport=)(\d{4,5})\b')
EXIT = re.compile(r"\s#\s.*\bexit (?:status )?(\d+)\b")
PRINT_COMMENT = re.compile(r"^\s*print\(.*\)\s+#\s?(.*)$")
#: What varies from run to run, and the shape it is compared by.
VARYING = [
    (re.compile(r"\(pid \d+\)"), "(pid <pid>)"),
    (re.compile(r"passed in \d+(\.\d+)?s"), "passed in <t>s"),
    # Telemetry: which lines a client gets depends on when it connects (the check
    # that `start` makes on each port is a client too), so only their shape is fixed.
    (re.compile(r"\bseq=\d+"), "seq=<n>"),
    (re.compile(r"\btime=\d+\.\d+"), "time=<t>"),
    (re.compile(r"\b(volt|curr|temp)=-?\d+\.\d+"), r"\1=<x>"),
]


@dataclass
class Block:
    """A ``code-block`` of a page: its language, its text and where it starts."""

    language: str
    text: str
    line: int


@dataclass
class Step:
    """One ``$ command`` of a console block, what it prints and the status it ends with."""

    command: str
    output: list[str] = field(default_factory=list)
    status: int = 0
    line: int = 0


def blocks(path: Path) -> list[Block]:
    """Every ``.. code-block:: LANGUAGE`` of an .rst file, dedented, in page order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    directive = re.compile(r"^(\s*)\.\. code-block::\s*(\S+)\s*$")
    number = 0
    while number < len(lines):
        match = directive.match(lines[number])
        number += 1
        if not match:
            continue
        indent, body = len(match.group(1)), []
        while number < len(lines) and re.match(r"^\s+:[\w-]+:", lines[number]):
            number += 1  # the directive's options
        start = number
        while number < len(lines):
            line = lines[number]
            if line.strip() and len(line) - len(line.lstrip()) <= indent:
                break
            body.append(line)
            number += 1
        text = textwrap.dedent("\n".join(body)).strip("\n")
        leading = next((i for i, line in enumerate(body) if line.strip()), 0)
        found.append(Block(match.group(2), text + "\n", start + leading))
    return found


def steps(block: Block) -> list[Step]:
    """The commands of a console block with the output under each."""
    found: list[Step] = []
    for offset, line in enumerate(block.text.splitlines()):
        if line.startswith("$ "):
            exit_status = EXIT.search(line)
            status = int(exit_status.group(1)) if exit_status else 0
            found.append(Step(line[2:], status=status, line=block.line + offset + 1))
        elif found:
            found[-1].output.append(line.rstrip())
        elif line.strip():
            raise ValueError(f"line {block.line + offset + 1}: output before any $ command")
    for step in found:
        while step.output and not step.output[-1]:
            step.output.pop()
    return found


def shift_ports(text: str, offset: int) -> str:
    """Move every default port written after a loopback address (or ``port=``) by ``offset``."""

    def shifted(match: re.Match[str]) -> str:
        port = int(match.group(2))
        return match.group(1) + str(port + offset if port in DEFAULT_PORTS else port)

    return PORT_AFTER.sub(shifted, text)


def shift_command(command: str, offset: int) -> str:
    """The command as the test runs it: every port it reaches moved by ``offset``."""
    flag = f" --port-offset {offset}"
    command = re.sub(r"\bdiscos-simulator\b", "discos-simulator" + flag, command)
    reaches = REACHES_RUNNING.search(command)
    if reaches and (reaches.group(1) == "simulate-fault" or "--station" in command):
        command = command[: reaches.end()] + flag + command[reaches.end() :]
    return shift_ports(command, offset)


def normalise(line: str, offset: int) -> str:
    """A line of real output with what varies replaced by its shape (and no ``+N`` suffix)."""
    line = re.sub(rf"(\w)\+{offset}\b", r"\1", line.rstrip())
    for pattern, shape in VARYING:
        line = pattern.sub(shape, line)
    return line


def pattern(expected: list[str], offset: int) -> re.Pattern[str]:
    """A regular expression for the documented lines (``...`` a wildcard)."""
    parts = []
    for line in expected:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            text = re.escape(normalise(shift_ports(line, offset), offset))
            parts.append(text.replace(re.escape("..."), "[^\n]*") + r"\n")
    return re.compile("".join(parts))


def matches(expected: list[str], output: str, offset: int) -> bool:
    """Whether ``output`` is what the documented lines show."""
    actual = "".join(normalise(line, offset) + "\n" for line in output.splitlines())
    return pattern(expected, offset).fullmatch(actual) is not None


def port_free(port: int) -> bool:
    """Whether ``port`` can be bound on loopback, over TCP and over UDP."""
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_offset() -> int:
    """A random port offset that frees every default port (below the ephemeral range)."""
    for _ in range(200):
        offset = random.randrange(10_000, 26_000)
        if all(port_free(port + offset) for port in DEFAULT_PORTS):
            return offset
    pytest.fail("no free port offset found")


class Session:
    """A shell session with private state: runtime dir, run store, ports moved by an offset."""

    def __init__(self, home: Path, offset: int) -> None:
        self.offset = offset
        tools = home / "bin"
        tools.mkdir()
        netcat = tools / "nc"
        netcat.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{NETCAT}" "$@"\n')
        netcat.chmod(0o755)
        runtime = home / "runtime"
        runtime.mkdir(mode=0o700)
        self.env = {
            **os.environ,
            "PATH": os.pathsep.join(
                (str(tools), str(Path(sys.executable).parent), os.environ.get("PATH", ""))
            ),
            "DISCOS_SIMULATORS_RUNTIME_DIR": str(runtime),
            "MFG_CTL_DB": str(home / "runs.db"),
            "XDG_DATA_HOME": str(home / "data"),
        }
        self.env.pop("DOCS_NETCAT_LINES", None)

    def run(self, step: Step, where: str) -> None:
        """Run one command and check its exit status and output against the page."""
        command = shift_command(step.command, self.offset)
        env = dict(self.env)
        if re.search(r"\bnc\b", command) and step.output:
            env["DOCS_NETCAT_LINES"] = str(len(step.output))
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        context = (
            f"{where}:{step.line}: $ {command}\nexit {result.returncode}\n"
            f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
        )
        assert result.returncode == step.status, f"expected exit {step.status}\n{context}"
        if step.output:
            shown = matches(step.output, result.stdout, self.offset) or matches(
                step.output, result.stdout + result.stderr, self.offset
            )
            expected = "\n".join(step.output)
            assert shown, f"the page shows:\n{expected}\n{context}"

    def run_python(self, block: Block, where: str) -> None:
        """Run a Python example; every ``print(...)  # text`` line must print ``text``."""
        code = shift_ports(block.text, self.offset)
        expected = [m.group(1) for m in map(PRINT_COMMENT.match, block.text.splitlines()) if m]
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        context = f"{where}:{block.line}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
        assert result.returncode == 0, context
        assert result.stdout.splitlines() == expected, context

    def close(self) -> None:
        """Stop whatever the examples left running (only this session's simulators)."""
        subprocess.run(
            ["discos-simulator", "stop"],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )


def run_page(page: Path, home: Path, languages: tuple[str, ...] = ("console", "python")) -> int:
    """Run a page's examples in order in one session; return how many commands ran."""
    where = str(page.relative_to(REPO))
    session = Session(home, free_offset())
    count = 0
    try:
        for block in blocks(page):
            if block.language not in languages:
                continue
            if block.language == "python":
                session.run_python(block, where)
                count += 1
                continue
            for step in steps(block):
                session.run(step, where)
                count += 1
    finally:
        session.close()
    return count
