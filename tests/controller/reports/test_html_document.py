"""The HTML page of a report document: escaped, self-contained, branded, the same every time.

The golden file ``tests/controller/data/golden/run_report.html`` is the page of
a fixed run. After an intended change of the template or its CSS, regenerate
it and review the diff::

    MFG_CTL_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest \
        tests/controller/reports/test_html_document.py -k golden
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from mfg_ctl.report import StepLine
from mfg_ctl.report.branding import Branding
from mfg_ctl.report.document import (
    BulletList,
    Figure,
    Paragraph,
    ReportDocument,
    Section,
    run_document,
)
from mfg_ctl.report.html import render_html
from mfg_ctl.run.events import DeviceInfo
from tests.controller.reports.support import every_verdict

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden" / "run_report.html"
HOSTILE = '<script>alert("x")</script>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
SVG_LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


class Page(HTMLParser):
    """The page's tags, attributes and visible text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self._skip = 0
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [(tag, name, value) for name, value in attrs]
        self._skip += tag in ("style", "title")

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "title")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.text.append(data.strip())


def golden_document() -> ReportDocument:
    """A fixed run with every verdict, a device and a figure; the generator named fixedly."""
    report = replace(
        every_verdict(),
        devices=(DeviceInfo("psu", "127.0.0.1", 5020, "modbus-tcp"),),
        devices_from="stations/bench.yaml",
    )
    figure = Figure("Vout by step", PNG, "image/png", "measured output per step")
    return replace(run_document(report, figures=[figure]), generator="mfg-ctl (golden)")


def test_the_page_of_a_fixed_run_matches_the_golden_file():
    page = render_html(golden_document())
    if os.environ.get("MFG_CTL_REGENERATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(page, encoding="utf-8")
    assert page == GOLDEN.read_text(encoding="utf-8")


def test_the_same_document_renders_the_same_page():
    assert render_html(run_document(every_verdict())) == render_html(run_document(every_verdict()))


def test_a_script_step_name_shows_as_text():
    hostile_step = StepLine(1, HOSTILE, "psu", "r", "read", "fail", HOSTILE)
    report = replace(every_verdict(), steps=(hostile_step,), plan_name=HOSTILE)
    page = render_html(run_document(report), Branding(company=HOSTILE))
    assert "<script" not in page
    parsed = Page(page)
    assert "script" not in parsed.tags
    assert parsed.text.count(HOSTILE) >= 4  # title, header, running header, company, step
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_the_page_fetches_nothing_and_runs_nothing():
    branding = Branding(company="ACME", logo=SVG_LOGO, logo_mime="image/svg+xml")
    page = render_html(golden_document(), branding)
    parsed = Page(page)
    assert not set(parsed.tags) & {"script", "link", "iframe", "object", "embed", "base"}
    sources = [value for _, name, value in parsed.attributes if name == "src"]
    assert len(sources) == 2  # the logo and the figure
    assert all(str(value).startswith("data:image/") for value in sources)
    assert all(str(value).startswith("#") for _, name, value in parsed.attributes if name == "href")
    assert "http" not in page
    assert "url(" not in page
    assert "@import" not in page
    assert not any(name.startswith("on") for _, name, _ in parsed.attributes)


def test_figures_and_logo_are_embedded_as_data_uris():
    branding = Branding(company="ACME Power", logo=PNG, logo_mime="image/png")
    page = render_html(golden_document(), branding)
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert [base64.b64decode(uri) for uri in uris] == [PNG, PNG]
    assert '<span class="company">ACME Power</span>' in page
    assert 'alt="measured output per step"' in page
    assert "<figcaption>Vout by step</figcaption>" in page


def test_verdict_and_header_fields_show_at_the_top():
    page = render_html(run_document(every_verdict()))
    assert '<p class="verdict fail">FAIL</p>' in page
    assert '<tr><th scope="row">Station</th><td>ST1</td></tr>' in page
    assert '<meta name="dcterms.created" content="2026-03-04T05:06:07+00:00">' in page


def test_a_long_document_gets_a_table_of_contents():
    short = run_document(every_verdict())
    assert 'class="toc"' not in render_html(short)
    extra = tuple(
        Section(f"part-{n}", f"Part {n}", (Paragraph(f"text {n}"), BulletList(("a", "b"))))
        for n in range(3)
    )
    page = render_html(replace(short, sections=short.sections + extra))
    toc = re.search(r'<nav class="toc" id="contents">.*?</nav>', page, re.DOTALL)
    assert toc
    assert re.findall(r'href="#([^"]+)"', toc.group(0)) == [
        "summary",
        "steps",
        "devices",
        "requirements",
        "part-0",
        "part-1",
        "part-2",
    ]
    assert '<section id="part-2">' in page


def test_table_cells_carry_alignment_and_status_classes_only():
    page = render_html(run_document(every_verdict()))
    assert '<td class="fail">FAIL</td>' in page
    assert '<td class="num">4000</td>' in page
    classes = {value for _, name, value in Page(page).attributes if name == "class"}
    allowed = {
        "num",
        "pass",
        "fail",
        "notrun",
        "notcovered",
        "empty",
        "note",
        "data",
        "pairs",
        "meta",
        "kpis",
        "value",
        "label",
        "verdict",
        "verdict fail",
        "title-row",
        "running-header",
        "running-header unbranded",
        "company",
        "context",
        "generated",
        "chart",
        "items",
        "logo",
        "run",
        "num fail",
    }
    assert classes <= allowed
