"""Render a :class:`RunReport` as console text (doc/reference_station.rst), JSON or Markdown.

Teardown steps print after the others, marked ``[teardown]``; a plan without
teardown steps prints exactly the lines of the reference report.

>>> from datetime import UTC, datetime
>>> report = RunReport("r1", "demo", "plans/demo.yaml", "custom", "fail",
...     datetime(2026, 1, 1, tzinfo=UTC), 0.0123, 2, steps=(
...     StepLine(1, "set_it", "psu", "voltage_setpoint", "write", "pass",
...              "wrote 1200 to voltage_setpoint"),
...     StepLine(2, "check_it", "dmm", "dc_voltage", "read", "fail",
...              "measured 4000, expected 5000 +/- 50 (delta 1000)")),
...     first_failure="2 check_it")
>>> print(render_text(report))
Plan: demo [FAIL]
1 ok set_it: wrote 1200 to voltage_setpoint
2 FAIL check_it: measured 4000, expected 5000 +/- 50 (delta 1000)
1/2 passed in 0.012s; first failure: 2 check_it
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from mfg_ctl.report.model import RunReport, StepLine

__all__ = ["MARKS", "render_json", "render_markdown", "render_text", "step_text", "summary_text"]

#: How each verdict shows in a step line.
MARKS = {"pass": "ok", "fail": "FAIL", "error": "ERROR", "skipped": "SKIP"}
_HEADER = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "aborted": "ABORTED"}


#: How a teardown step's line is told apart.
TEARDOWN_MARK = "[teardown]"


def step_text(step: StepLine, width: int) -> str:
    """`` 9 ok check_dmm_dc_voltage: measured 4980, ...`` — one report line."""
    marker = f"{TEARDOWN_MARK} " if step.teardown else ""
    return f"{step.number:>{width}} {MARKS[step.verdict]} {marker}{step.name}: {step.detail}"


def summary_text(report: RunReport) -> str:
    """``11/11 passed in 0.010s`` plus the first failure, if any."""
    text = f"{report.passed}/{report.step_count} passed in {report.duration_s:.3f}s"
    if report.verdict == "aborted":
        text += f"; aborted after {len(report.steps)} step(s)"
    if report.first_failure:
        text += f"; first failure: {report.first_failure}"
    return text


def header_text(report: RunReport) -> str:
    """``Plan: station_bringup [PASS]``."""
    return f"Plan: {report.plan_name} [{_HEADER.get(report.verdict, report.verdict.upper())}]"


def render_text(report: RunReport) -> str:
    """The console report of doc/reference_station.rst."""
    width = len(str(max((step.number for step in report.steps), default=1)))
    lines = [header_text(report)]
    if report.unit_line:
        lines.append(report.unit_line)
    lines += [step_text(step, width) for step in report.steps]
    lines.append(summary_text(report))
    return "\n".join(lines)


def _report_dict(report: RunReport) -> dict[str, Any]:
    return {
        "run_id": report.run_id,
        "plan": {
            "name": report.plan_name,
            "path": report.plan_path,
            "version": report.plan_version,
        },
        "unit": asdict(report.identity),
        "verdict": report.verdict,
        "passed": report.passed,
        "step_count": report.step_count,
        "first_failure": report.first_failure,
        "parent_run_id": report.parent_run_id,
        "timing": {
            "started_at": report.started_at.isoformat(),
            "finished_at": report.finished_at.isoformat() if report.finished_at else None,
            "duration_s": report.duration_s,
        },
        "framing": report.framing,
        "devices_from": report.devices_from,
        "devices": [asdict(device) for device in report.devices],
        "steps": [_step_dict(step) for step in report.steps],
    }


#: The numbers of a step, written as floats whatever type the reading came in (a register's
#: int or a SCPI float): a run and its stored copy (floats) give the same JSON.
_FLOATS = ("measured", "expected", "low", "high")


def _step_dict(step: StepLine) -> dict[str, Any]:
    """A step's fields, its numbers as floats."""
    values = asdict(step)
    for name in _FLOATS:
        if values[name] is not None:
            values[name] = float(values[name])
    return values


def render_json(report: RunReport) -> str:
    """The report as JSON: top-level ``steps``, plus plan, verdict, timing, devices, framing."""
    return json.dumps(_report_dict(report), indent=2) + "\n"


def render_markdown(report: RunReport) -> str:
    """The report as a Markdown document for the records."""
    lines = [
        f"# {header_text(report)}",
        "",
        f"- Run: `{report.run_id}`",
        f"- Plan file: `{report.plan_path}`"
        + (f" (version {report.plan_version})" if report.plan_version else ""),
        f"- Started: {report.started_at.isoformat()}",
        f"- Duration: {report.duration_s:.3f} s",
        f"- Framing: {report.framing}",
        f"- Devices: {report.devices_from or 'not recorded'}",
        f"- Result: {summary_text(report)}",
    ]
    if report.unit_line:
        lines.append(f"- {report.unit_line}")
    if report.parent_run_id:
        lines.append(f"- Re-run of: `{report.parent_run_id}`")
    lines += [
        "",
        "## Devices",
        "",
        "| device | address | framing | unit | simulated |",
        "|---|---|---|---|---|",
    ]
    for device in report.devices:
        lines.append(
            f"| {device.name} | {device.host}:{device.port} | {device.framing} | "
            f"{device.unit} | {'yes' if device.simulated else 'no'} |"
        )
    lines += [
        "",
        "## Steps",
        "",
        "| # | step | device | verdict | detail | attempts |",
        "|---|---|---|---|---|---|",
    ]
    for step in report.steps:
        detail = step.detail.replace("|", "\\|")
        name = f"{step.name} {TEARDOWN_MARK}" if step.teardown else step.name
        lines.append(
            f"| {step.number} | {name} | {step.device} | {MARKS[step.verdict]} | "
            f"{detail} | {step.attempts} |"
        )
    return "\n".join(lines) + "\n"
