"""The PDF of a report: header fields, verdict, page numbers, a contents page, not blank, stable.

Text is read back with ``pdftotext`` and pages counted with pypdf; page 1 is
rasterised with ``pdftoppm`` (poppler-utils, installed on CI). Set
``MFG_CTL_SAVE_SAMPLES=1`` to write the page-1 pictures shown in the docs
(doc/_static/samples/report_run_page1.png and report_batch_page1.png).
"""

from __future__ import annotations

import builtins
import io
import os
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from mfg_ctl.report import StepLine
from mfg_ctl.report.branding import Branding
from mfg_ctl.report.document import Figure, ReportError, run_document, tempco_document
from mfg_ctl.report.pdf import INSTALL_PANGO, INSTALL_WEASYPRINT, render_pdf
from mfg_ctl.tempco import TempcoPoint
from tests.controller.reports.support import STARTED, every_verdict, poppler, poppler_text

SAMPLES = Path(__file__).resolve().parents[3] / "doc" / "_static" / "samples"
LOGO_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
    b'<rect width="120" height="40" fill="#1e88e5"/></svg>'
)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    return poppler_text(source)


def page_one_png(pdf: bytes, tmp_path: Path, resolution: int = 50) -> bytes:
    source = tmp_path / "page.pdf"
    source.write_bytes(pdf)
    done = subprocess.run(
        [poppler("pdftoppm"), "-png", "-r", str(resolution), "-f", "1", "-l", "1", str(source)],
        capture_output=True,
        check=True,
    )
    return done.stdout


def distinct_pixels(png: bytes) -> int:
    colours = Image.open(io.BytesIO(png)).convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None
    return len(colours)


@pytest.fixture(scope="module")
def branded() -> Branding:
    return Branding(company="ACME Power Systems", logo=LOGO_SVG, logo_mime="image/svg+xml")


@pytest.fixture(scope="module")
def run_pdf(branded) -> bytes:
    return render_pdf(run_document(every_verdict()), branded)


def test_run_pdf_text_shows_header_fields_verdict_and_page_numbers(run_pdf, tmp_path):
    text = pdf_text(run_pdf, tmp_path)
    assert "Test report: bringup" in text
    assert "Plan bringup | Batch B7 | Station ST1 | 2026-03-04T05:06:07+00:00" in text
    for field in ("bringup", "ST1", "B7", "SN0042", "2026-03-04T05:06:07+00:00", "FAIL"):
        assert field in text
    pages = len(PdfReader(io.BytesIO(run_pdf)).pages)
    assert pages == 1
    assert f"page 1 of {pages}" in text


def logo_pixels(pdf: bytes, tmp_path: Path) -> int:
    """How many pixels of page 1 have the logo's blue (#1e88e5)."""
    picture = Image.open(io.BytesIO(page_one_png(pdf, tmp_path))).convert("RGB")
    blue = (0x1E, 0x88, 0xE5)
    colours = picture.getcolors(maxcolors=1 << 20) or []
    return sum(
        count
        for count, colour in colours
        if isinstance(colour, tuple)
        and all(abs(a - b) < 12 for a, b in zip(colour, blue, strict=True))
    )


def test_branding_company_and_logo_appear(run_pdf, tmp_path):
    assert "ACME Power Systems" in pdf_text(run_pdf, tmp_path)
    assert logo_pixels(run_pdf, tmp_path) > 100  # the logo, drawn in the running header
    unbranded = render_pdf(run_document(every_verdict()))
    assert "ACME" not in pdf_text(unbranded, tmp_path)
    assert logo_pixels(unbranded, tmp_path) == 0


def test_a_png_logo_is_embedded_as_an_image(tmp_path):
    png = page_one_png(render_pdf(run_document(every_verdict())), tmp_path, resolution=10)
    pdf = render_pdf(run_document(every_verdict()), Branding(logo=png, logo_mime="image/png"))
    images = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert len(images) == 1


def test_page_one_is_not_blank(run_pdf, tmp_path):
    png = page_one_png(run_pdf, tmp_path)
    assert png.startswith(b"\x89PNG")
    assert distinct_pixels(png) > 50
    if os.environ.get("MFG_CTL_SAVE_SAMPLES"):
        SAMPLES.mkdir(parents=True, exist_ok=True)
        (SAMPLES / "report_run_page1.png").write_bytes(page_one_png(run_pdf, tmp_path, 80))


def test_the_same_document_gives_the_same_bytes_dated_by_the_run(run_pdf, branded):
    assert render_pdf(run_document(every_verdict()), branded) == run_pdf
    metadata = PdfReader(io.BytesIO(run_pdf)).metadata
    assert metadata is not None
    assert metadata.creation_date == STARTED
    assert metadata.title == "Test report: bringup"


def test_a_script_step_name_shows_as_text_in_the_pdf(tmp_path):
    hostile = '<script>alert("x")</script>'
    step = StepLine(1, hostile, "psu", "r", "read", "fail", "no")
    pdf = render_pdf(run_document(replace(every_verdict(), steps=(step,))))
    assert hostile in pdf_text(pdf, tmp_path)


def test_missing_weasyprint_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(ReportError) as raised:
        render_pdf(run_document(every_verdict()))
    assert str(raised.value) == INSTALL_WEASYPRINT
    assert "pip install 'simulators[reports]'" in str(raised.value)


def test_missing_pango_says_what_to_install(monkeypatch):
    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(builtins, "__import__", failing_import)
    with pytest.raises(ReportError) as raised:
        render_pdf(run_document(every_verdict()))
    assert str(raised.value) == INSTALL_PANGO
    assert "\n" not in str(raised.value)


def test_a_tempco_pdf_shows_the_coefficient(tmp_path):
    points = [TempcoPoint(-40.0, -39.8, 3.28927), TempcoPoint(125.0, 124.9, 3.3165)]
    document = tempco_document(
        replace(every_verdict(), verdict="pass"),
        points,
        expected_ppm=50.0,
        tolerance_ppm=5.0,
        ppm_per_c=50.12,
        r_squared=0.99991,
    )
    pdf = render_pdf(document)
    text = pdf_text(pdf, tmp_path)
    assert "Temperature coefficient: bringup" in text
    assert "PASS" in text
    assert "50.12" in text
    assert "3.316500" in text
    assert f"page 1 of {len(PdfReader(io.BytesIO(pdf)).pages)}" in text


def test_nothing_outside_the_document_is_fetched(monkeypatch):
    attempts = []

    def no_network(*args, **kwargs):
        attempts.append(args)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" '
        b'xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="50">'
        b'<image xlink:href="http://127.0.0.1:9/x.png" width="100" height="50"/></svg>'
    )
    figure = Figure("remote", svg, "image/svg+xml", "an image pointing outside")
    pdf = render_pdf(run_document(every_verdict(), figures=[figure]))
    assert pdf.startswith(b"%PDF")
    assert attempts == []
