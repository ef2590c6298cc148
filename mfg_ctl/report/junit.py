"""Render a :class:`RunReport` as JUnit XML, so CI servers can show a station run as tests.

One ``<testsuite>`` per unit run (named after the plan, with the unit's identity in
``<properties>``), one ``<testcase>`` per step. ElementTree does all the escaping, and the
only timestamp written is the run's own start, so the same run always renders the same text.

>>> from datetime import UTC, datetime
>>> report = RunReport("r1", "demo", "plans/demo.yaml", "custom", "fail",
...     datetime(2026, 1, 1, tzinfo=UTC), 0.5, 1, steps=(
...     StepLine(1, "check_it", "dmm", "dc_voltage", "read", "fail",
...              "measured 4000, expected 5000 +/- 50", measured=4000.0),))
>>> xml = render_junit(report)
>>> '<failure message="measured 4000, expected 5000 +/- 50"' in xml
True
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mfg_ctl.report.model import RunReport, StepLine

__all__ = ["render_junit"]

#: The child element that marks a step that did not pass, by verdict.
_OUTCOME_TAGS = {"fail": "failure", "error": "error", "skipped": "skipped"}


def _seconds(value: float) -> str:
    """A duration as JUnit wants it: seconds, fixed decimals (stable text across runs)."""
    return f"{max(value, 0.0):.6f}"


def _number(value: float | None) -> str:
    """A measured value or limit as text: ``4980``, ``0.25`` ("" when the step has none).

    Whole numbers print without ``.0`` so a live run and its stored copy render alike.
    """
    if value is None:
        return ""
    number = float(value)
    if number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return repr(number)


def _add_properties(parent: ET.Element, pairs: list[tuple[str, str]]) -> None:
    """Add ``<properties>`` with one ``<property>`` per non-empty pair."""
    kept = [(name, value) for name, value in pairs if value]
    if not kept:
        return
    properties = ET.SubElement(parent, "properties")
    for name, value in kept:
        ET.SubElement(properties, "property", name=name, value=value)


def _suite_properties(report: RunReport) -> list[tuple[str, str]]:
    unit = report.identity
    return [
        ("sn", unit.sn),
        ("batch_id", unit.batch_id),
        ("station_id", unit.station_id),
        ("stage", unit.stage),
        ("operator", unit.operator),
        ("plan_version", report.plan_version),
        ("run_id", report.run_id),
        ("plan_path", report.plan_path),
        ("verdict", report.verdict),
        ("parent_run_id", report.parent_run_id or ""),
    ]


def _step_properties(step: StepLine) -> list[tuple[str, str]]:
    return [
        ("device", step.device),
        ("register", step.register),
        ("action", step.action),
        ("measured", _number(step.measured)),
        ("expected", _number(step.expected)),
        ("low", _number(step.low)),
        ("high", _number(step.high)),
        ("attempts", str(step.attempts)),
        ("teardown", "true" if step.teardown else ""),
        ("error_code", step.error_code),
        ("requirements", " ".join(step.requirements)),
    ]


def _testcase(parent: ET.Element, plan_name: str, step: StepLine) -> None:
    case = ET.SubElement(
        parent,
        "testcase",
        name=f"{step.number:02d} {step.name}",
        classname=plan_name,
        time=_seconds(step.duration_s),
    )
    _add_properties(case, _step_properties(step))  # first, as pytest writes them
    tag = _OUTCOME_TAGS.get(step.verdict)
    if tag == "skipped":
        ET.SubElement(case, tag, message=step.detail)
    elif tag is not None:
        outcome = ET.SubElement(case, tag, message=step.detail, type=step.error_code or tag)
        outcome.text = step.detail
    if step.detail:
        ET.SubElement(case, "system-out").text = step.detail


def _testsuite(parent: ET.Element, report: RunReport) -> ET.Element:
    counts = _counts(report)
    suite = ET.SubElement(
        parent,
        "testsuite",
        name=report.plan_name,
        tests=str(counts["tests"]),
        failures=str(counts["failures"]),
        errors=str(counts["errors"]),
        skipped=str(counts["skipped"]),
        time=_seconds(report.duration_s),
        timestamp=report.started_at.isoformat(timespec="seconds"),
        id=report.run_id,
    )
    if report.identity.station_id:
        suite.set("hostname", report.identity.station_id)
    _add_properties(suite, _suite_properties(report))
    for step in report.steps:
        _testcase(suite, report.plan_name, step)
    if report.verdict in ("aborted", "running"):
        ET.SubElement(
            suite, "system-err"
        ).text = (
            f"run {report.verdict}: {len(report.steps)} of {report.step_count} step(s) reported"
        )
    return suite


def _counts(report: RunReport) -> dict[str, int]:
    verdicts = [step.verdict for step in report.steps]
    return {
        "tests": len(verdicts),
        "failures": verdicts.count("fail"),
        "errors": verdicts.count("error"),
        "skipped": verdicts.count("skipped"),
    }


def render_junit(*reports: RunReport) -> str:
    """JUnit XML text for one or more runs: a ``<testsuites>`` root holding the totals."""
    root = ET.Element("testsuites", name="mfg-ctl")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in reports:
        _testsuite(root, report)
        for key, value in _counts(report).items():
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", _seconds(sum(report.duration_s for report in reports)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
