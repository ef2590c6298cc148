"""The qualification report: self-contained, escaped, well formed, showing the batch's figures."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from mfg_ctl.analytics.records import runs_from_rows
from mfg_ctl.artifacts import PlanStep, coverage_matrix
from mfg_ctl.artifacts.chart import MAX_BARS
from mfg_ctl.artifacts.html import render_qualification_report
from mfg_ctl.requirements import parse_requirements
from tests.controller.artifacts.support import attempt_row, summary

HOSTILE = "<script>alert(\"x\")</script> & 'q'"
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;q&#39;"
SVG_URI = re.compile(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')
STEPS = [
    PlanStep(1, "power_on", ("REQ-A",)),
    PlanStep(2, "check_vout", ("REQ-B",)),
    PlanStep(3, "check_temp", ("REQ-C",)),
]
ROWS = [
    attempt_row("r1", 1, step="power_on", requirements=["REQ-A"]),
    attempt_row("r1", 2, step="check_vout", attempt=1, status="fail", value=5.2,
                error_code="E-LIMIT", reason="first try high", run_status="passed"),
    attempt_row("r1", 2, step="check_vout", attempt=2, status="pass", run_status="passed"),
    attempt_row("r1", 3, step="check_temp", run_status="passed"),
    attempt_row("r2", 1, step="power_on", sn="SN-2", run_status="failed"),
    attempt_row("r2", 2, step="check_vout", sn="SN-2", status="fail", value=5.123456789,
                error_code="E-LIMIT", reason="measured 5.12 V", run_status="failed"),
]
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}


def render(report_summary=None, rows=ROWS, steps=STEPS):
    matrix = coverage_matrix(None, steps, runs_from_rows(rows))
    report = report_summary or summary()
    return render_qualification_report(report, matrix, rows)


class Structure(HTMLParser):
    """Checks every opened element is closed in order; gathers attributes and section ids."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.problems: list[str] = []
        self.sections: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.bars: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.attributes += [(tag, name, value) for name, value in attrs]
        if tag == "section":
            self.sections.append(dict(attrs)["id"])
        if tag == "rect" and ("class", "bar") in attrs:
            self.bars.append(dict(attrs))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:]}")
        else:
            self.open.pop()


def charts(page: str) -> list[str]:
    """The SVG documents of the page's charts (embedded as data: URIs)."""
    return [base64.b64decode(data).decode() for data in SVG_URI.findall(page)]


def parse(page: str) -> Structure:
    structure = Structure()
    structure.feed(page)
    structure.close()
    return structure


def test_the_page_is_well_formed_with_every_section():
    page = render()
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    structure = parse(page)
    assert structure.problems == []
    assert structure.open == []
    assert structure.sections == [
        "kpis",
        "pareto",
        "coverage",
        "units",
        "failures",
        "not-tested",
        "stratification",
    ]


def test_the_page_fetches_nothing_and_runs_nothing():
    page = render()
    structure = parse(page)
    tags = {tag for tag, _, _ in structure.attributes}
    assert not tags & {"script", "link", "iframe", "object", "embed"}
    assert "<script" not in page.lower()
    assert len(charts(page)) == 2  # the Pareto charts, carried inside the page
    for tag, name, value in structure.attributes:
        if name == "src":
            assert str(value).startswith("data:image/"), tag
        if name == "href":
            assert str(value).startswith("#"), value
    assert "url(" not in page
    assert "@import" not in page
    assert "http" not in page


def hostile_summary():
    report = summary()
    report["batch"]["batch_id"] = HOSTILE
    report["unit_outcomes"][0]["sn"] = HOSTILE
    report["unit_outcomes"][0]["first_failure"] = HOSTILE
    report["pareto"]["steps"][0]["name"] = HOSTILE
    report["stratification"]["operator"][0]["key"] = HOSTILE
    report["not_tested"] = [HOSTILE]
    return report


def test_hostile_text_is_escaped_everywhere():
    rows = [
        attempt_row("r1", 1, step=HOSTILE, sn=HOSTILE, status="fail", reason=HOSTILE,
                    unit=HOSTILE, error_code=HOSTILE, run_status="failed"),
    ]
    steps = [PlanStep(1, HOSTILE, ("REQ-A",))]
    page = render(hostile_summary(), rows, steps)
    assert "<script>" not in page
    assert "alert(\"x\")" not in page
    # header, title, unit, pareto table and chart, strata, not tested, failed step (sn, step,
    # reason, unit, error code), matrix column
    assert page.count(ESCAPED) >= 12
    chart = charts(page)[0]
    assert "<script>" not in chart
    assert ESCAPED.replace("&#34;", "&quot;").replace("&#39;", "&#x27;") in chart
    assert parse(page).problems == []


def test_kpis_are_percentages_with_one_decimal_and_rty_only_when_known():
    report = summary()
    report["yield"] |= {"fpy": 2 / 3, "final_yield": 1.0, "flaky_rate": None}
    page = render(report)
    assert re.search(r'"value">66.7 %</span><span class="label">first pass yield', page)
    assert re.search(r'"value">100.0 %</span><span class="label">final yield', page)
    assert re.search(r'"value">n/a</span><span class="label">flaky rate', page)
    assert "RTY" not in page
    report["yield"]["rty"] = 0.8125
    assert re.search(r'"value">81.2 %</span><span class="label">rolled throughput', render(report))


def test_header_names_plan_version_short_hash_and_operators():
    page = render()
    assert "dut_functional version 1.2 (hash 0123456789ab)" in page
    assert "0123456789abc" not in page
    assert "<td>ana, ben</td>" in page
    assert "<td>2026-03-02T08:30:00+00:00</td>" in page  # the batch's start, not the clock
    assert "Generated by mfg-ctl" in page
    assert render() == page  # nothing of the time it was rendered at
    report = summary()
    report["batch"]["finished"] = None
    assert "<td>not finished</td>" in render(report)


def test_pareto_chart_has_one_bar_per_entry_with_heights_proportional_to_counts():
    report = summary()
    counts = [7, 4, 2, 1]
    report["pareto"]["steps"] = [
        {"name": f"s{n}", "count": count, "percent": 0.0, "cumulative_percent": 50.0}
        for n, count in enumerate(counts)
    ]
    step_chart, error_chart = charts(render(report))
    step_bars = parse(step_chart).bars
    error_bars = parse(error_chart).bars
    assert [int(str(bar["data-count"])) for bar in step_bars] == counts
    heights = [float(str(bar["height"])) for bar in step_bars]
    for height, count in zip(heights, counts, strict=True):
        assert height / heights[0] == pytest.approx(count / counts[0], abs=1e-3)
    bottoms = {float(str(bar["y"])) + float(str(bar["height"])) for bar in step_bars}
    assert len({round(bottom, 1) for bottom in bottoms}) == 1  # all bars stand on one base line
    assert len(error_bars) == 2  # the error code chart: E-LIMIT and E-TIMEOUT


def test_pareto_line_follows_the_cumulative_percent():
    chart = charts(render())[0]
    points = re.findall(r'<polyline class="cumulative" points="([^"]+)"', chart)[0].split()
    ys = [float(point.split(",")[1]) for point in points]
    assert ys[1] < ys[0]  # 60 % then 100 %: the line rises
    assert (196.0 - ys[0]) / (196.0 - ys[1]) == pytest.approx(0.6)


def test_long_paretos_chart_the_first_bars_and_table_all():
    report = summary()
    report["pareto"]["steps"] = [
        {"name": f"step_{n}", "count": 100 - n, "percent": 1.0, "cumulative_percent": 1.0}
        for n in range(MAX_BARS + 5)
    ]
    page = render(report)
    assert f"shows the first {MAX_BARS} of {MAX_BARS + 5}" in page
    assert f"<td>step_{MAX_BARS + 4}</td>" in page


def test_empty_pareto_and_no_units_say_so():
    report = summary(pareto={"steps": [], "error_codes": []}, unit_outcomes=[], not_tested=[])
    page = render(report, rows=[])
    assert "<svg" not in page
    assert charts(page) == []
    assert page.count("<p class=\"note\">None.</p>") == 2
    assert "No unit was run." in page
    assert "No step failed." in page
    assert "every unit of the batch was tested" in page
    assert parse(page).problems == []


def test_coverage_matrix_colours_cells_and_shows_not_covered_requirements():
    steps = [*STEPS, PlanStep(4, "inspect", ())]
    matrix_rows = coverage_matrix(None, steps, runs_from_rows(ROWS))
    page = render_qualification_report(summary(), matrix_rows, ROWS)
    row_b = re.search(r"<th scope=\"row\">REQ-B</th>.*?</tr>", page, re.DOTALL)
    assert row_b
    assert '<td class="fail">fail</td>' in row_b.group(0)
    assert '<td class="fail">pass 1 / fail 1 / not run 0</td>' in row_b.group(0)
    assert row_b.group(0).count('class="empty"') == 3
    row_c = re.search(r"<th scope=\"row\">REQ-C</th>.*?</tr>", page, re.DOTALL)
    assert row_c
    assert '<td class="pass">pass 1 / fail 0 / not run 1</td>' in row_c.group(0)
    assert '<th scope="col" class="step">4 inspect</th>' in page


def test_not_covered_requirement_is_visible_with_its_title():
    requirements = parse_requirements(
        "requirements:\n  - {id: REQ-A, title: Output on}\n  - {id: REQ-EMC, title: Emissions}\n",
        Path("req.yaml"),
    )
    matrix = coverage_matrix(requirements, STEPS, runs_from_rows(ROWS))
    page = render_qualification_report(summary(), matrix, ROWS)
    assert re.search(
        r'<th scope="row">REQ-EMC</th><td>Emissions</td><td></td>\s*'
        r'<td class="notcovered">not covered</td>',
        page,
    )


def test_failed_step_details_list_final_failures_only():
    page = render()
    failures = re.search(r'<section id="failures">.*?</section>', page, re.DOTALL)
    assert failures
    text = failures.group(0)
    assert "first try high" not in text  # r1's check_vout passed on its retry
    assert "<td>SN-2</td><td>2 check_vout</td>" in text
    assert '<td class="num">5.12346</td>' in text
    assert "<td>measured 5.12 V</td>" in text
    assert text.count("<tr>") == 2  # the heading row and SN-2's failure


def test_units_and_strata_tables():
    page = render()
    assert "<td>SN-2</td><td>fedcba98</td><td class=\"fail\">failed</td>" in page
    assert "<td>3 check_vout</td><td>no</td><td>E-LIMIT</td>" in page
    assert "<h3>By operator</h3>" in page
    assert "<h3>By hour</h3>" in page
    assert "<h3>By station</h3>" not in page
    assert "<li>SN-9</li>" in page
