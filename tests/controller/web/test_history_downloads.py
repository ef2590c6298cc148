"""A stored run's report files from ``/runs/<id>/download/<fmt>``: the same files
``mfg-ctl report RUN_ID`` writes from the same store, for a bring-up run started on the web."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mfg_ctl.cli.main import main
from mfg_ctl.report.document import ReportError
from tests.controller.web.support import make_app, post, wait_closed


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str, Path]]:
    """An app whose store holds one bring-up run started from the plans page; its run id."""
    folder = tmp_path_factory.mktemp("downloads")
    app = make_app(folder)
    started = post(app.test_client(), "/runs", plan="station_bringup", sns="SN-D1", stage="EVT")
    assert started.status_code == 303
    run_id = started.headers["Location"].split("/")[2]
    wait_closed(app, run_id)
    yield app, run_id, folder / "runs.db"
    app.extensions["mfg_ctl"].launcher.shutdown()


@pytest.fixture
def client(served: tuple[Flask, str, Path]) -> FlaskClient:
    return served[0].test_client()


def cli_file(database: Path, run_id: str, option: str, out: Path) -> bytes:
    """What ``mfg-ctl report RUN_ID OPTION FILE --db DB`` writes."""
    assert main(["report", run_id, option, str(out), "--db", str(database)]) == 0
    return out.read_bytes()


def test_the_json_download_is_what_mfg_ctl_report_writes(
    served: tuple[Flask, str, Path], client: FlaskClient, tmp_path: Path
) -> None:
    _, run_id, database = served
    answer = client.get(f"/runs/{run_id}/download/json")
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"] == f'attachment; filename="run-{run_id}.json"'
    written = cli_file(database, run_id, "--json-out", tmp_path / "report.json")
    assert json.loads(answer.data) == json.loads(written)
    assert len(json.loads(answer.data)["steps"]) == 11


def test_the_markdown_and_junit_downloads_match_the_command_too(
    served: tuple[Flask, str, Path], client: FlaskClient, tmp_path: Path
) -> None:
    _, run_id, database = served
    markdown = client.get(f"/runs/{run_id[:10]}/download/md")
    assert markdown.data == cli_file(database, run_id, "--md-out", tmp_path / "report.md")
    junit = client.get(f"/runs/{run_id}/download/junit")
    assert junit.headers["Content-Disposition"].endswith(f'run-{run_id}.xml"')
    root = ET.fromstring(junit.data)
    assert root.tag == "testsuites"
    assert len(root.findall("./testsuite/testcase")) == 11
    assert junit.data == cli_file(database, run_id, "--junit", tmp_path / "report.xml")


def test_the_html_and_pdf_downloads_are_whole_documents(
    served: tuple[Flask, str, Path], client: FlaskClient
) -> None:
    _, run_id, _ = served
    html = client.get(f"/runs/{run_id}/download/html")
    assert html.status_code == 200
    assert html.mimetype == "text/html"
    assert "check_dmm_dc_voltage" in html.get_data(as_text=True)
    pdf = client.get(f"/runs/{run_id}/download/pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="run-{run_id}.pdf"'


def test_a_pdf_without_weasyprint_is_a_503_with_one_line(
    served: tuple[Flask, str, Path], client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> None:
        raise ReportError("PDF needs WeasyPrint: pip install weasyprint")

    monkeypatch.setattr("mfg_ctl.report.pdf._weasyprint", missing)
    answer = client.get(f"/runs/{served[1]}/download/pdf")
    assert answer.status_code == 503
    text = answer.get_data(as_text=True)
    assert "cannot make the pdf file: PDF needs WeasyPrint" in text
    assert "Traceback" not in text
    assert "Content-Disposition" not in answer.headers


@pytest.mark.parametrize(
    "url",
    [
        "/runs/{run}/download/exe",
        "/runs/{run}/download/..%2F..%2Fetc%2Fpasswd",
        "/runs/..%2F..%2Fetc%2Fpasswd/download/json",
        "/runs/../download/json",
        "/runs/ffffffff/download/json",
    ],
)
def test_an_unknown_format_or_run_is_a_404(
    served: tuple[Flask, str, Path], client: FlaskClient, url: str
) -> None:
    answer = client.get(url.format(run=served[1]))
    assert answer.status_code == 404
    assert "Content-Disposition" not in answer.headers


def test_the_run_page_of_a_web_run_links_its_unit_and_shows_eleven_passed_steps(
    served: tuple[Flask, str, Path], client: FlaskClient
) -> None:
    page = client.get(f"/runs/{served[1]}").get_data(as_text=True)
    assert page.count('class="step pass"') == 11
    assert 'href="/units/SN-D1"' in page
    assert 'id="run-live"' not in page  # it ended
