"""``mfg-ctl spc``: a control chart, run rules, trend and capability of one CSV column.

A thin shell over :mod:`mfg_ctl.analytics.spc`, so that a quality engineer can check the
tool against their own reference data: read the column (individuals, or subgroups by
size or by a label column), analyse, print a summary or ``--json``. Bad input (a missing
column, a cell that is not a finite number, too few values, constant data, unequal
subgroups for X-bar/R, an unreadable file) is one line and exit 2.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import click

from mfg_ctl.analytics.spc import ChartKind, SpcError, analyse
from mfg_ctl.analytics.spc.text import render_text
from mfg_ctl.cli.support import fail
from mfg_ctl.wording import clip

__all__ = ["read_column", "spc"]

CHARTS = get_args(ChartKind)


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The file's non-blank rows with their line numbers (the header is line 1)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                for row in reader:
                    if any(cell.strip() for cell in row):
                        yield reader.line_num, row
            except csv.Error as error:
                fail(f"{path} line {reader.line_num}: not valid CSV ({error})")
    except UnicodeDecodeError:
        fail(f"cannot read {path}: it is not UTF-8 text")
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror or type(error).__name__}")


def _number(path: Path, line: int, column: str, cell: str) -> float:
    text = cell.strip()
    where = f"{path} line {line}, column {clip(column)}"
    if not text:
        fail(f"{where}: the cell is empty; every row needs a number")
    try:
        value = float(text)
    except ValueError:
        fail(f"{where}: {clip(text)} is not a number")
    if not math.isfinite(value):
        fail(f"{where}: {clip(text)} is not a finite number")
    return value


def read_column(
    path: Path, column: str, label_column: str | None = None
) -> tuple[list[float], list[str]]:
    """The numbers of ``column``, and each row's label in ``label_column`` (else empty)."""
    rows = _rows(path)
    first = next(rows, None)
    if first is None:
        fail(f"{path} is empty: it needs a header line naming the columns, then values")
    header = [name.strip() for name in first[1]]
    positions = {}
    for wanted in (column, label_column):
        if wanted is None:
            continue
        if wanted not in header:
            known = ", ".join(clip(name) for name in header[:20])
            fail(f"{path} has no column {clip(wanted)}; its columns: {known}")
        positions[wanted] = header.index(wanted)
    values: list[float] = []
    labels: list[str] = []
    for line, row in rows:
        cell = row[positions[column]] if positions[column] < len(row) else ""
        values.append(_number(path, line, column, cell))
        if label_column is not None:
            index = positions[label_column]
            labels.append(row[index].strip() if index < len(row) else "")
    return values, labels


def _by_size(values: list[float], size: int) -> list[list[float]]:
    left_over = len(values) % size
    if left_over:
        fail(
            f"{len(values)} values do not split into subgroups of {size} "
            f"({left_over} left over): give a multiple of {size}, or --subgroup-column"
        )
    return [values[start : start + size] for start in range(0, len(values), size)]


def _by_label(values: list[float], labels: list[str]) -> list[list[float]]:
    groups: dict[str, list[float]] = {}
    for value, label in zip(values, labels, strict=True):
        groups.setdefault(label, []).append(value)
    return list(groups.values())


def _finite_option(
    _ctx: click.Context, param: click.Parameter, value: float | None
) -> float | None:
    if value is not None and not math.isfinite(value):
        fail(f"--{param.name} must be a finite number, not {value}")
    return value


@click.command(short_help="Control chart, rules and capability of a CSV column.")
@click.option(
    "--csv", "csv_path", required=True, type=click.Path(path_type=Path), metavar="FILE",
    help="a CSV file with a header line",
)
@click.option("--column", required=True, metavar="NAME", help="the column to chart")
@click.option(
    "--subgroup-size", type=click.IntRange(2, 25), metavar="N",
    help="consecutive values form subgroups of N",
)
@click.option(
    "--subgroup-column", metavar="C", help="rows with the same value in column C form a subgroup"
)
@click.option(
    "--chart", type=click.Choice(CHARTS),
    help="imr without subgroups (the default), xbar-r (the default with them) or xbar-s",
)
@click.option("--lsl", type=float, callback=_finite_option, help="lower specification limit")
@click.option("--usl", type=float, callback=_finite_option, help="upper specification limit")
@click.option(
    "--target", type=float, callback=_finite_option,
    help="target for Cpm (default: the middle of LSL and USL)",
)
@click.option(
    "--rules", "rule_set", type=click.Choice(["we", "nelson", "none"]), default="we",
    show_default=True, help="run rules: Western Electric 1-4, Nelson 1-8, or none",
)
@click.option(
    "--trend-points", type=click.IntRange(3, 50), default=6, show_default=True, metavar="N",
    help="points in a row for Nelson rule 3 (Minitab counts 7)",
)
@click.option("--json", "as_json", is_flag=True, help="print the analysis as JSON")
def spc(
    *,
    csv_path: Path,
    column: str,
    subgroup_size: int | None,
    subgroup_column: str | None,
    chart: str | None,
    lsl: float | None,
    usl: float | None,
    target: float | None,
    rule_set: str,
    trend_points: int,
    as_json: bool,
) -> None:
    """Chart one column of a CSV file: limits, run-rule signals, trend and capability.

    Without subgroups the chart is I-MR (individuals and moving range). With
    --subgroup-size or --subgroup-column it is X-bar/R, or X-bar/S with --chart
    xbar-s (which also takes subgroups of unequal size). Indices in the output
    are 0-based. doc/spc.rst gives the formulas, the rules and the JSON schema.
    """
    if subgroup_size is not None and subgroup_column is not None:
        fail("give --subgroup-size or --subgroup-column, not both")
    grouped = subgroup_size is not None or subgroup_column is not None
    kind = chart or ("xbar-r" if grouped else "imr")
    if grouped and kind == "imr":
        fail(
            "an I-MR chart takes individual values: drop the subgroup option, "
            "or use --chart xbar-r"
        )
    if not grouped and kind != "imr":
        fail(f"an {kind} chart needs subgroups: give --subgroup-size N or --subgroup-column C")
    values, labels = read_column(csv_path, column, subgroup_column)
    subgroups = None
    if subgroup_size is not None:
        subgroups = _by_size(values, subgroup_size)
    elif subgroup_column is not None:
        subgroups = _by_label(values, labels)
    try:
        analysis = analyse(
            kind=kind,  # type: ignore[arg-type]  # one of CHARTS, which click checked
            values=None if grouped else values,
            subgroups=subgroups,
            lsl=lsl,
            usl=usl,
            target=target,
            rule_set=rule_set,
            trend_points=trend_points,
        )
    except SpcError as error:
        fail(f"{csv_path} column {clip(column)}: {error}")
    if as_json:
        click.echo(json.dumps(analysis.to_dict(), indent=2, allow_nan=False))
    else:
        click.echo(render_text(analysis, clip(column)))
