"""The report document: what a run, a TempCo sweep and a batch report say, the same every time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from mfg_ctl.analytics.records import runs_from_rows
from mfg_ctl.artifacts import PlanStep, coverage_matrix
from mfg_ctl.artifacts.html import batch_document
from mfg_ctl.report.document import (
    Figure,
    KeyValues,
    KpiTiles,
    Paragraph,
    ReportDocument,
    Table,
    run_document,
    status_of,
    tempco_document,
)
from mfg_ctl.run.events import DeviceInfo
from mfg_ctl.tempco import TempcoPoint
from tests.controller.artifacts.support import attempt_row, summary
from tests.controller.reports.support import STARTED, every_verdict

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def blocks_of(document: ReportDocument, anchor: str):
    return next(section.blocks for section in document.sections if section.anchor == anchor)


def table_texts(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_run_header_names_plan_unit_date_and_run():
    document = run_document(every_verdict())
    assert document.kind == "run"
    assert document.title == "Test report: bringup"
    assert document.verdict == "FAIL"
    assert document.verdict_status == "fail"
    assert dict(document.header) == {
        "Plan": "bringup",
        "Plan version": "1.2",
        "Batch": "B7",
        "Station": "ST1",
        "Stage": "EVT",
        "Serial number": "SN0042",
        "Operator": "ana",
        "Date": "2026-03-04T05:06:07+00:00",
        "Run id": "0123456789abcdef",
    }
    assert document.date == STARTED
    assert document.running_header == (
        "Plan bringup | Batch B7 | Station ST1 | 2026-03-04T05:06:07+00:00"
    )


def test_a_run_without_unit_leaves_its_fields_out():
    document = run_document(
        replace(
            every_verdict(), identity=replace(every_verdict().identity, batch_id="", station_id="")
        )
    )
    labels = [label for label, _ in document.header]
    assert "Batch" not in labels
    assert "Station" not in labels
    assert document.running_header == "Plan bringup | 2026-03-04T05:06:07+00:00"


def test_steps_table_colours_each_verdict_and_marks_teardown():
    (table,) = blocks_of(run_document(every_verdict()), "steps")
    assert isinstance(table, Table)
    assert table.headers[:4] == ("#", "step", "device", "verdict")
    rows = table_texts(table)
    assert rows[1][:6] == ["2", "check_dmm", "dmm", "FAIL", "4000", "4950 .. 5050"]
    assert rows[3][1] == "park [teardown]"
    assert [row.cells[3].status for row in table.rows] == ["pass", "fail", "fail", "notrun"]


def test_summary_tiles_and_facts():
    tiles, facts = blocks_of(run_document(every_verdict()), "summary")
    assert isinstance(tiles, KpiTiles)
    assert isinstance(facts, KeyValues)
    assert [(tile.label, tile.value) for tile in tiles.tiles] == [
        ("verdict", "FAIL"),
        ("steps passed", "1/4"),
        ("duration", "1.750 s"),
    ]
    assert ("Result", "1/4 passed in 1.750s; first failure: 2 check_dmm") in facts.pairs
    assert ("Plan file", "plans/bringup.yaml") in facts.pairs


def test_devices_requirements_and_figures():
    device = DeviceInfo("psu", "127.0.0.1", 5020, "modbus-tcp", 3, simulated=False)
    figure = Figure("Vout", PNG, "image/png", "output voltage per step")
    document = run_document(replace(every_verdict(), devices=(device,)), figures=[figure])
    assert [s.anchor for s in document.sections] == [
        "summary",
        "steps",
        "devices",
        "requirements",
        "charts",
    ]
    (devices,) = blocks_of(document, "devices")
    assert table_texts(devices) == [["psu", "127.0.0.1:5020", "modbus-tcp", "3", "no"]]
    (requirements,) = blocks_of(document, "requirements")
    assert table_texts(requirements) == [
        ["REQ-1", "2 check_dmm", "fail"],
        ["REQ-2", "2 check_dmm", "fail"],
    ]
    assert blocks_of(document, "charts") == (figure,)


def test_a_run_with_no_step_says_so():
    document = run_document(replace(every_verdict(), steps=(), verdict="pass"))
    assert document.verdict == "PASS"
    assert blocks_of(document, "steps") == (Paragraph("No step ran.", note=True),)
    assert "requirements" not in [s.anchor for s in document.sections]


def test_the_same_run_gives_the_same_document():
    assert run_document(every_verdict()) == run_document(every_verdict())


def test_tempco_document_adds_the_coefficient_and_its_points():
    points = [TempcoPoint(-40.0, -39.8, 3.28927), TempcoPoint(125.0, 124.9, 3.3165)]
    document = tempco_document(
        replace(every_verdict(), verdict="pass"),
        points,
        expected_ppm=50.0,
        tolerance_ppm=5.0,
        ppm_per_c=57.25,
        r_squared=0.99991,
    )
    assert document.kind == "tempco"
    assert document.title == "Temperature coefficient: bringup"
    assert [s.anchor for s in document.sections][:3] == ["summary", "tempco", "steps"]
    tiles, table = blocks_of(document, "tempco")
    assert [(t.label, t.value, t.status) for t in tiles.tiles] == [
        ("tempco (ppm/C)", "57.25", "fail"),
        ("expected (ppm/C)", "50 +/- 5", ""),
        ("delta (ppm/C)", "+7.25", ""),
        ("fit r^2", "0.99991", ""),
    ]
    assert table_texts(table) == [["-40", "-39.80", "3.289270"], ["125", "124.90", "3.316500"]]


def test_status_words_map_onto_the_fixed_colours():
    assert [status_of(w) for w in ("passed", "FAIL", "error", "skipped", "not covered", "odd")] == [
        "pass",
        "fail",
        "fail",
        "notrun",
        "notcovered",
        "",
    ]


def batch(report_summary=None, rows=None):
    rows = (
        rows
        if rows is not None
        else [
            attempt_row("r1", 1, step="power_on", requirements=["REQ-A"]),
            attempt_row("r2", 1, step="power_on", sn="SN-2", status="fail", run_status="failed"),
        ]
    )
    matrix = coverage_matrix(None, [PlanStep(1, "power_on", ("REQ-A",))], runs_from_rows(rows))
    return batch_document(report_summary or summary(), matrix, rows)


def test_batch_document_carries_every_part_of_the_qualification_report():
    document = batch()
    assert document.kind == "batch"
    assert document.title == "Qualification report: batch B-7"
    assert document.verdict == "FAIL"  # a unit failed
    assert document.date == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert document.value_of("Plan") == "dut_functional version 1.2 (hash 0123456789ab)"
    assert [s.anchor for s in document.sections] == [
        "kpis",
        "pareto",
        "coverage",
        "units",
        "failures",
        "not-tested",
        "stratification",
    ]
    figures = [b for b in blocks_of(document, "pareto") if isinstance(b, Figure)]
    assert [(f.title.split(":")[0], f.mime) for f in figures] == [
        ("Failing steps", "image/svg+xml"),
        ("Error codes", "image/svg+xml"),
    ]
    assert figures[0].data.startswith(b"<svg")


def test_batch_verdict_passes_only_when_units_were_tested_and_none_failed():
    report = summary(units={"tested": 2, "passed": 2, "failed": 0, "not_tested": 0})
    assert batch(report).verdict == "PASS"
    report = summary(units={"tested": 0, "passed": 0, "failed": 0, "not_tested": 3})
    assert batch(report).verdict == ""


def test_extra_batch_figures_follow_the_paretos():
    rows = [attempt_row("r1", 1, step="power_on")]
    matrix = coverage_matrix(None, [PlanStep(1, "power_on")], runs_from_rows(rows))
    figure = Figure("Yield by hour", PNG, "image/png", "yield per hour")
    document = batch_document(summary(), matrix, rows, figures=[figure])
    assert [s.anchor for s in document.sections][1:3] == ["pareto", "charts"]
