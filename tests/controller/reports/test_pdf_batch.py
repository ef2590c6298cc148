"""The PDF of a long batch: contents with the right page numbers, many pages, all numbered."""

from __future__ import annotations

import io
import logging
import os
import re

from pypdf import PdfReader

from mfg_ctl.analytics.records import runs_from_rows
from mfg_ctl.artifacts import PlanStep, coverage_matrix
from mfg_ctl.artifacts.html import batch_document
from mfg_ctl.report.branding import Branding
from mfg_ctl.report.document import ReportDocument
from mfg_ctl.report.pdf import render_pdf
from tests.controller.artifacts.support import attempt_row, summary
from tests.controller.reports.test_pdf import SAMPLES, distinct_pixels, page_one_png, pdf_text

UNITS = 60
STEPS = [PlanStep(n, f"check_rail_{n}", (f"REQ-PWR-{n:03d}",)) for n in range(1, 13)]


def long_batch() -> ReportDocument:
    """A batch of 60 units over 12 steps, a third of them failing one step."""
    rows = []
    outcomes = []
    for unit in range(UNITS):
        run_id = f"run{unit:04d}"
        failing = 1 + unit % len(STEPS) if unit % 3 == 0 else None
        for step in STEPS:
            failed = step.index == failing
            rows.append(
                attempt_row(
                    run_id,
                    step.index,
                    step=step.name,
                    sn=f"SN{unit:04d}",
                    requirements=list(step.requirements),
                    status="fail" if failed else "pass",
                    value=5.3 if failed else 5.0,
                    error_code="E-LIMIT" if failed else None,
                    reason="measured 5.3 V, above 5.06" if failed else "",
                    run_status="failed" if failing else "passed",
                )
            )
        outcomes.append(
            {
                "sn": f"SN{unit:04d}",
                "run_id": run_id * 2,
                "status": "failed" if failing else "passed",
                "first_failure": f"{failing} check_rail_{failing}" if failing else None,
                "retried": False,
                "error_codes": ["E-LIMIT"] if failing else [],
            }
        )
    report = summary(
        units={"tested": UNITS, "passed": 40, "failed": 20, "not_tested": 2},
        unit_outcomes=outcomes,
        not_tested=["SN9998", "SN9999"],
    )
    matrix = coverage_matrix(None, STEPS, runs_from_rows(rows))
    return batch_document(report, matrix, rows)


def test_a_long_batch_gets_a_contents_page_and_several_pages(tmp_path, caplog):
    branding = Branding(company="ACME Power Systems")
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf(long_batch(), branding)
    assert caplog.messages == []  # every style rule understood, nothing refused
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert pages > 2
    text = pdf_text(pdf, tmp_path)
    assert "Contents" in text
    assert "FAIL" in text
    assert f"page 1 of {pages}" in text
    assert f"page {pages} of {pages}" in text
    header = "Plan dut_functional version 1.2 (hash 0123456789ab) | Batch B-7 | Station st-1"
    assert text.count(header) == pages  # the running header atop every page
    page_texts = text.split("\f")
    for title in ("Units not tested", "Failed steps", "Requirement coverage"):
        listed = re.search(rf"{title}[ .]+(\d+)\n", page_texts[1] + page_texts[0])
        assert listed, title
        heading = next(
            n
            for n, page in enumerate(page_texts, 1)
            if any(line.strip() == title for line in page.splitlines()[2:])
        )
        assert int(listed.group(1)) == heading, title
    png = page_one_png(pdf, tmp_path)
    assert distinct_pixels(png) > 50
    if os.environ.get("MFG_CTL_SAVE_SAMPLES"):
        (SAMPLES / "report_batch_page1.png").write_bytes(page_one_png(pdf, tmp_path, 80))


def test_a_long_table_repeats_its_headings_on_the_next_page(tmp_path):
    text = pdf_text(render_pdf(long_batch()), tmp_path)
    unit_pages = [page for page in text.split("\f") if "SN0030" in page or "SN0059" in page]
    headed = [page for page in unit_pages if "serial number" in page]
    assert len(unit_pages) >= 2
    assert headed == unit_pages
