"""One exit-status table for both commands: doc/exit_codes.rst says what the code does.

Each command has one enumeration of its statuses; the page's table must list
exactly those statuses, each with the meaning the code gives it.
"""

from __future__ import annotations

import re
from enum import IntEnum
from pathlib import Path

import pytest

from mfg_ctl.cli import support as cli_support
from simulators import cli_errors

PAGE = Path(__file__).resolve().parents[1] / "doc" / "exit_codes.rst"
NOT_USED = "—"


def table() -> list[list[str]]:
    """The page's one simple table, as rows of plain-text cells (header row first).

    A line whose first column is blank continues the row above it.
    """
    lines = PAGE.read_text().splitlines()
    borders = [number for number, line in enumerate(lines) if re.fullmatch(r"=+( +=+)+", line)]
    assert len(borders) == 3, "one table for both commands"
    starts = [match.start() for match in re.finditer("=+", lines[borders[0]])]
    spans = list(zip(starts, [*starts[1:], None], strict=True))  # the last runs to the end
    rows: list[list[str]] = []
    for line in lines[borders[0] + 1 : borders[2]]:
        if line == lines[borders[1]] or not line.strip():
            continue
        cells = [line[start:end].strip() for start, end in spans]
        if cells[0]:
            rows.append(cells)
        else:
            rows[-1] = [f"{old} {new}".strip() for old, new in zip(rows[-1], cells, strict=True)]
    return [[cell.replace("``", "") for cell in row] for row in rows]


def documented(column: str) -> dict[int, str]:
    header, *rows = table()
    index = header.index(column)
    return {int(row[0]): row[index] for row in rows if row[index] != NOT_USED}


@pytest.mark.parametrize(
    ("column", "codes", "meanings"),
    [
        ("discos-simulator", cli_errors.SimulatorExitCode, cli_errors.MEANINGS),
        ("mfg-ctl (every command)", cli_support.ControllerExitCode, cli_support.MEANINGS),
    ],
)
def test_the_table_lists_every_status_the_code_uses_with_its_meaning(
    column: str, codes: type[IntEnum], meanings: dict[IntEnum, str]
) -> None:
    page = documented(column)
    assert sorted(page) == sorted(int(code) for code in codes)
    assert set(meanings) == set(codes)
    for code, meaning in meanings.items():
        assert page[int(code)].startswith(meaning), (code, page[int(code)])


def test_the_old_status_names_are_the_enumerations() -> None:
    assert cli_errors.EXIT_NOT_RUNNING is cli_errors.SimulatorExitCode.NOT_RUNNING
    assert int(cli_errors.EXIT_USAGE) == int(cli_support.EXIT_USAGE) == 2  # bad usage: 2 for both
    assert cli_support.EXIT_TERMINATED is cli_support.ControllerExitCode.TERMINATED


def test_the_page_is_in_the_table_of_contents() -> None:
    index = (PAGE.parent / "index.rst").read_text()
    assert "   exit_codes\n" in index
    for page in ("user_guide.rst", "controller.rst"):
        assert ":doc:`exit_codes`" in (PAGE.parent / page).read_text(), page


def test_each_command_fails_with_an_exception_that_prints_one_line(capsys) -> None:
    error = cli_errors.CliError("port 6000 in use")
    assert error.exit_code == cli_errors.SimulatorExitCode.ERROR
    error.show()
    ended = cli_support.CommandExit("cannot reach dmm", cli_support.EXIT_UNREACHABLE)
    assert ended.exit_code == ended.status == 3
    ended.show()
    assert capsys.readouterr().err == "error: port 6000 in use\nerror: cannot reach dmm\n"


def test_an_exit_with_status_0_or_no_message_says_no_error(capsys) -> None:
    cli_support.CommandExit("nothing left to re-run", cli_support.EXIT_PASS).show()
    cli_support.CommandExit("", cli_support.EXIT_FAIL).show()
    assert capsys.readouterr().err == "nothing left to re-run\n"
