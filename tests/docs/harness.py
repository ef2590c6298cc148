"""Run the shell and Python examples of README.rst and doc/*.rst as a user would.

The pages follow a few conventions, so that their examples can be checked:

* A ``.. code-block:: console`` block is a shell session: ``$ command`` lines,
  each followed by what it prints. A command with nothing under it is not
  checked for output. A line ``...`` stands for any number of lines, ``...``
  inside a line for any text. Pids, durations and telemetry times vary and are
  compared by their shape.
* A command must exit 0, unless its comment says ``exit N`` or ``exit status N``.
* A run id shown in an output (8 hex digits) stands for the id that run got;
  a later command that names it gets the real one.
* The output shown is the command's stdout alone, or what a terminal shows of
  both streams: stdout with the command's stderr lines before and after it.
* A ``.. code-block:: python`` block between them runs as a script; a
  ``print(...)  # text`` line must print ``text`` (``...`` in it: any text).

Each page runs in bash in a private folder that links to the repository's
files (so it reads like the repository root and what it writes stays there), with a private runtime
directory and run store, and with every port moved by a free offset N, so an
example never touches the default ports or another run:
``discos-simulator`` gets ``--port-offset N``; ``mfg-ctl`` gets it on the
commands that reach running devices (``simulate-fault``; ``run`` and
``replay`` with ``--station``); a default port after ``127.0.0.1 ``,
``127.0.0.1:``, ``127.0.0.1::`` (a VISA resource), ``"127.0.0.1", `` or
``port=`` becomes port + N, in commands
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

REPO = Path(__file__).resolve().parents[2]
NETCAT = REPO / "tests" / "data" / "netcat_stand_in.py"
#: Every default port of the built-in simulators (and 5028, kept for the bench's load).
DEFAULT_PORTS = frozenset((*range(5020, 5029), 6000, 6001, 6002))
#: The bound on one command of an example (a loop of plan runs included): a hang guard,
#: generous for a loaded machine, never a budget.
COMMAND_TIMEOUT = 300.0
#: ``mfg-ctl`` commands that reach devices already running (with --station, or always).
REACHES_RUNNING = re.compile(r"\bmfg-ctl\s+(simulate-fault|run|replay)\b")
#: ``--station FILE`` (not ``--station-id``).
STATION_OPTION = re.compile(r"--station(?=[\s=])")
PORT_AFTER = re.compile(r'(127\.0\.0\.1(?:::?|\s+|",\s*)|\bport=)(\d{4,5})\b')
EXIT = re.compile(r"\s#\s.*\bexit (?:status )?(\d+)\b")
PRINT_COMMENT = re.compile(r"^\s*print\(.*\)\s+#\s?(.*)$")
#: What varies from run to run, and the shape it is compared by.
VARYING = [
    (re.compile(r"\bpid \d+"), "pid <pid>"),
    (re.compile(r"passed in \d+(\.\d+)?s"), "passed in <t>s"),
    # Telemetry: which lines a client gets depends on when it connects (the check
    # that `start` makes on each port is a client too), so only their shape is fixed.
    (re.compile(r"\bseq=\d+"), "seq=<n>"),
    (re.compile(r"\btime=\d+\.\d+"), "time=<t>"),
    (re.compile(r"\b(volt|curr|temp)=-?\d+\.\d+"), r"\1=<x>"),
    # Each session has its own run store, and runs start when they start.
    (re.compile(r"\brecorded in \S+"), "recorded in <store>"),
    (re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\b"), "<when>"),
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


GIVEN_OFFSET = re.compile(r"--port-offset[ =](\d+)")


def shift_command(command: str, offset: int) -> str:
    """The command as the test runs it: every port it reaches moved by ``offset``.

    A command that gives its own ``--port-offset K`` gets ``K + offset``, so a
    copy documented on other ports is still private to this session.
    """
    if GIVEN_OFFSET.search(command):
        command = GIVEN_OFFSET.sub(lambda m: f"--port-offset {int(m.group(1)) + offset}", command)
        return shift_ports(command, offset)
    flag = f" --port-offset {offset}"
    command = re.sub(r"\bdiscos-simulator\b", "discos-simulator" + flag, command)
    reaches = REACHES_RUNNING.search(command)
    if reaches and (reaches.group(1) == "simulate-fault" or STATION_OPTION.search(command)):
        command = command[: reaches.end()] + flag + command[reaches.end() :]
    return shift_ports(command, offset)


#: Where an output shows a port offset: ``dut+100``, ``(ports +100)``, ``--port-offset 100``.
SHOWN_OFFSET = re.compile(r"((?<=\w)\+|\(ports \+|--port-offset )(\d+)\b")


def normalise(line: str, offset: int) -> str:
    """A line of real output with what varies replaced by its shape, and no trace of the offset.

    Every offset an output shows is the documented one plus the session's
    (``dut+N`` reads ``dut``, ``dut+100+N`` reads ``dut+100``; ``(ports +N)``
    after a station file and ``--port-offset N`` in a suggested command go).
    """

    def documented(found: re.Match[str]) -> str:
        shown = int(found.group(2))
        return found.group(1) + str(shown - offset) if shown >= offset else found.group(0)

    line = SHOWN_OFFSET.sub(documented, line.rstrip())
    line = re.sub(r"(\w)\+0\b", r"\1", line).replace(" (ports +0)", "")
    line = line.replace(" --port-offset 0 ", " ")
    for pattern, shape in VARYING:
        line = pattern.sub(shape, line)
    return line


#: A run id as commands print it: 8 hex digits, at least one of them a digit.
RUN_ID = re.compile(r"\b(?=[0-9a-f]{0,7}\d)[0-9a-f]{8}\b")


def pattern(expected: list[str], offset: int) -> re.Pattern[str]:
    """A regular expression for the documented lines (``...`` a wildcard, run ids captured)."""
    parts = []
    for line in expected:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        text = normalise(shift_ports(line, offset), offset)
        pieces = [
            re.escape(piece).replace(re.escape("..."), "[^\n]*") for piece in RUN_ID.split(text)
        ]
        parts.append("([0-9a-f]{8})".join(pieces) + r"\n")
    return re.compile("".join(parts))


def match_ids(expected: list[str], output: str, offset: int) -> dict[str, str] | None:
    """The run ids the page shows, mapped to the real ones; None if ``output`` is not as shown."""
    actual = "".join(normalise(line, offset) + "\n" for line in output.splitlines())
    found = pattern(expected, offset).fullmatch(actual)
    if found is None:
        return None
    shown = [
        run_id for line in expected if line.strip() != "..." for run_id in RUN_ID.findall(line)
    ]
    return dict(zip(shown, found.groups(), strict=True))


def matches(expected: list[str], output: str, offset: int) -> bool:
    """Whether ``output`` is what the documented lines show."""
    return match_ids(expected, output, offset) is not None


def terminal_views(stdout: str, stderr: str) -> list[str]:
    """What a page may show of a command: its stdout alone, or stdout amid its stderr lines.

    A terminal shows both streams in the order they were written; commands
    here write a few stderr lines before their stdout and a few after (``mfg-ctl
    run``: where the devices are, then the report, then where the run went).
    So every split of the stderr lines around the stdout is a view.
    """
    errors = stderr.splitlines(keepends=True)
    views = [stdout]
    views += ["".join(errors[:k]) + stdout + "".join(errors[k:]) for k in range(len(errors) + 1)]
    return views


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
        # The examples' working directory: the repository's files, by link, so that a
        # file an example writes (an export, a log) lands here and not in the checkout.
        self.workdir = home / "work"
        self.workdir.mkdir()
        for entry in REPO.iterdir():
            if entry.name != ".git":
                (self.workdir / entry.name).symlink_to(entry)
        #: Run ids the page shows, and the ids the same runs got here.
        self.run_ids: dict[str, str] = {}
        self.env = {
            **os.environ,
            "PATH": os.pathsep.join(
                (str(tools), str(Path(sys.executable).parent), os.environ.get("PATH", ""))
            ),
            "DISCOS_SIMULATORS_RUNTIME_DIR": str(runtime),
            "MFG_CTL_DB": str(home / "runs.db"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),  # no report branding from the user's settings
        }
        for variable in ("DOCS_NETCAT_LINES", "MFG_CTL_SETTINGS"):
            self.env.pop(variable, None)
        # The examples check the pages, not coverage (the unit tests measure these code
        # paths): under `coverage run` their dozens of short processes go unmeasured.
        for variable in ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG"):
            self.env.pop(variable, None)

    def run(self, step: Step, where: str) -> None:
        """Run one command and check its exit status and output against the page."""
        command = RUN_ID.sub(
            lambda found: self.run_ids.get(found.group(), found.group()),
            shift_command(step.command, self.offset),
        )
        env = dict(self.env)
        if re.search(r"\bnc\b", command) and step.output:
            env["DOCS_NETCAT_LINES"] = str(len(step.output))
        result = subprocess.run(
            ["bash", "-c", command],
            cwd=self.workdir,
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
            views = terminal_views(result.stdout, result.stderr)
            found = (match_ids(step.output, view, self.offset) for view in views)
            ids = next((ids for ids in found if ids is not None), None)
            expected = "\n".join(step.output)
            assert ids is not None, f"the page shows:\n{expected}\n{context}"
            self.run_ids.update(ids)

    def run_python(self, block: Block, where: str) -> None:
        """Run a Python example; every ``print(...)  # text`` line must print ``text``."""
        code = shift_ports(block.text, self.offset)
        expected = [m.group(1) for m in map(PRINT_COMMENT.match, block.text.splitlines()) if m]
        result = subprocess.run(
            [sys.executable, "-c", code],
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        context = f"{where}:{block.line}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
        assert result.returncode == 0, context
        printed = result.stdout.splitlines()
        assert len(printed) == len(expected), context
        for line, shown in zip(printed, expected, strict=True):
            wanted = re.escape(shown).replace(re.escape("..."), ".*")
            assert re.fullmatch(wanted, line), (
                f"printed {line!r}, the page shows {shown!r}\n{context}"
            )

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
