"""The five report files (--json-out, --md-out, --junit, --html, --pdf) of a run, a batch and a
TempCo sweep, written live and again by ``mfg-ctl report`` from the store."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.controller.batch.support import PLAN, batch_args
from tests.controller.cli.support import BRINGUP, Ctl, run_id_of
from tests.controller.reports.support import parsed, poppler_text, properties

FIVE = ("report.json", "report.md", "report.xml", "report.html", "report.pdf")
OPTIONS = ("--json-out", "--md-out", "--junit", "--html", "--pdf")


def five_files(folder: Path) -> list[object]:
    """The five options, each with its file under ``folder``."""
    folder.mkdir(exist_ok=True)
    return [part for option, name in zip(OPTIONS, FIVE, strict=True)
            for part in (option, folder / name)]


def read_five(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in FIVE}


def test_a_run_writes_five_files_and_report_writes_the_same_again(
    ctl: Ctl, tmp_path: Path
) -> None:
    live, later = tmp_path / "live", tmp_path / "later"
    result = ctl("run", BRINGUP, "--sn", "SN7", "--station-id", "ST2", *five_files(live))
    assert result.status == 0, result.err
    run_id = run_id_of(live / "report.json")
    again = ctl("report", run_id[:8], *five_files(later))
    assert again.status == 0, again.err
    assert read_five(later) == read_five(live)  # a stored run gives the same bytes, PDF too
    html = (live / "report.html").read_text()
    assert "station_bringup" in html
    assert "SN7" in html
    assert "check_dmm_dc_voltage" in html
    reader = PdfReader(live / "report.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "station_bringup" in text
    assert "PASS" in text
    assert "ST2" in text


def test_a_tempco_sweep_report_draws_its_curve_from_the_stored_readings(
    ctl: Ctl, tmp_path: Path
) -> None:
    live, later = tmp_path / "live", tmp_path / "later"
    result = ctl("tempco", "--temperatures", "-20,25,70", "--readings", "2", *five_files(live))
    assert result.status in (0, 1), result.err
    run_id = run_id_of(live / "report.json")
    assert ctl("report", run_id, *five_files(later)).status == result.status
    assert read_five(later) == read_five(live)
    html = (live / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 1  # the TempCo curve, and only it
    assert "<figcaption>TempCo curve</figcaption>" in html
    assert "Temperature coefficient" in html
    text = poppler_text(live / "report.pdf")
    assert "TempCo" in text
    assert re.search(r"-?\d+\.\d\d ppm/", text)


def test_a_batch_report_holds_the_whole_batch_in_five_files(
    ctl: Ctl, isolated: Path, tmp_path: Path
) -> None:
    root, live, later = tmp_path / "runs", tmp_path / "live", tmp_path / "later"
    units = "A1,A2,A3,A4,A5"
    args = batch_args(isolated, root, "RB1", units, "--dut-profile", "factory-flaky",
                      "--seed", "7", *five_files(live))
    result = ctl(*args)
    assert result.status in (0, 1), result.err
    shown = ctl("report", "--batch-id", "RB1", *five_files(later))
    assert shown.status == 0, shown.err
    assert shown.out.startswith("batch RB1 (station ST1, stage EVT): 5 tested")
    assert read_five(later) == read_five(live)
    summary = json.loads((live / "report.json").read_text())
    assert summary["units"]["tested"] == 5
    assert [unit["sn"] for unit in summary["unit_outcomes"]] == units.split(",")
    root_element = parsed((live / "report.xml").read_text())
    suites = root_element.findall("testsuite")
    assert [properties(suite)["sn"] for suite in suites] == units.split(",")
    markdown = (live / "report.md").read_text()
    assert markdown.startswith("# ")
    assert "RB1" in markdown
    html = (live / "report.html").read_text()
    assert "Measured steps" in html  # the statistics of each measured step, and its charts
    assert "vout_no_load: control chart" in html
    assert "vout_no_load: distribution" in html
    text = poppler_text(live / "report.pdf")
    assert "RB1" in text
    assert "ST1" in text
    assert "dut_functional" in text
    assert "Cpk" in text
    assert len(PdfReader(live / "report.pdf").pages) > 1


def test_an_unknown_batch_is_one_line(ctl: Ctl) -> None:
    result = ctl("report", "--batch-id", "NOPE")
    assert result.status == 2
    assert result.err.startswith("error: no batch 'NOPE' in ")
    assert len(result.err.splitlines()) == 1


@pytest.mark.parametrize("arguments", [(), ("abc", "--batch-id", "B")])
def test_report_needs_a_run_or_a_batch_not_both(ctl: Ctl, arguments: tuple[str, ...]) -> None:
    result = ctl("report", *arguments)
    assert result.status == 2
    assert result.err == "error: give a RUN_ID or --batch-id B, not both\n"


def test_a_report_file_that_cannot_be_written_is_one_line_and_the_others_are_written(
    ctl: Ctl, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "report.pdf"
    html = tmp_path / "report.html"
    result = ctl("run", BRINGUP, "--pdf", missing, "--html", html)
    assert result.status == 2
    no_folder = f"error: cannot write {missing}: No such file or directory"
    assert result.err.splitlines()[-1] == no_folder
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert not missing.parent.exists()


def test_a_broken_settings_file_is_one_line_naming_it(
    ctl: Ctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("reports:\n  chart_dpi: 5000\n")
    monkeypatch.setenv("MFG_CTL_SETTINGS", str(settings))
    out = tmp_path / "report.html"
    result = ctl("run", BRINGUP, "--html", out)
    assert result.status == 2
    last = result.err.splitlines()[-1]
    assert last.startswith(f"error: cannot write {out}: ")
    assert str(settings) in last
    assert "Traceback" not in result.err
    assert not out.exists()


def test_branding_from_the_settings_file_shows_in_the_html(
    ctl: Ctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("reports:\n  company: Acme <Test> Labs\n  chart_dpi: 80\n")
    monkeypatch.setenv("MFG_CTL_SETTINGS", str(settings))
    out = tmp_path / "report.html"
    assert ctl("run", BRINGUP, "--html", out).status == 0
    html = out.read_text()
    assert "Acme &lt;Test&gt; Labs" in html
    assert "<Test>" not in html


def test_the_plan_file_is_never_overwritten_by_a_report(ctl: Ctl) -> None:
    result = ctl("run", str(PLAN), "--pdf", str(PLAN))
    assert result.status == 2
    assert result.err == f"error: --pdf {PLAN} is the plan file itself: give another path\n"


def test_without_weasyprint_the_pdf_is_one_line_saying_what_to_install(
    ctl: Ctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint: ImportError
    pdf, html = tmp_path / "report.pdf", tmp_path / "report.html"
    result = ctl("run", BRINGUP, "--pdf", pdf, "--html", html)
    assert result.status == 2
    assert result.err.splitlines()[-1] == (
        f"error: cannot write {pdf}: PDF reports need WeasyPrint: pip install 'simulators[reports]'"
    )
    assert "Traceback" not in result.err
    assert html.exists()
    assert not pdf.exists()
