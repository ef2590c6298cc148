"""A unit's history at ``/units/<sn>``: every finished run of one serial number across stages
and batches, oldest first, as ``mfg-ctl history SN`` lists it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mfg_ctl.cli.main import main
from mfg_ctl.run.events import RunStarted
from tests.controller.web.history_support import (
    ESCAPED,
    MARKUP,
    T0,
    Recorded,
    app_with,
    record,
    run_ids,
    store_of,
)

#: SN7 in three stages and two batches (recorded newest first), and one run of another unit.
RUNS = (
    Recorded("u3000000", sn="SN7", stage="PVT", batch_id="B9", at=T0 + timedelta(days=3)),
    Recorded("u1000000", sn="SN7", stage="EVT", at=T0, verdicts=("pass", "fail")),
    Recorded("u2000000", sn="SN7", stage="DVT", batch_id="B8", at=T0 + timedelta(days=1),
             verdicts=("error", "pass")),
    Recorded("x1000000", sn="SN8", stage="EVT", at=T0 + timedelta(days=2)),
)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return app_with(tmp_path, *RUNS)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_the_unit_page_lists_its_runs_oldest_first_across_stages(client: FlaskClient) -> None:
    answer = client.get("/units/SN7")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert 'id="unit-runs"' in page
    assert run_ids(page) == ["u1000000", "u2000000", "u3000000"]
    third_cell = r'data-run-id="u\d+">\s*<td[^>]*>[^<]*</td>\s*<td>.*?</td>\s*<td>(\w+)</td>'
    stages = re.findall(third_cell, page, re.S)
    assert stages == ["EVT", "DVT", "PVT"]
    assert 'href="/runs/u2000000"' in page
    assert 'href="/runs?batch_id=B8"' in page
    first = page.split('data-run-id="u1000000"', 1)[1].split("</tr>", 1)[0]
    assert "FAILED" in first
    assert "2 check_2: FAIL, 2 attempts" in first
    assert "check_1" not in first  # it simply passed
    assert 'href="/runs?sn=SN7"' in page


def test_a_running_run_is_not_in_the_unit_history(app: Flask, client: FlaskClient) -> None:
    started = Recorded("u4000000", sn="SN7", at=T0 + timedelta(days=4)).events()[0]
    assert isinstance(started, RunStarted)
    store_of(app).store(started)  # started here, still running
    assert "u4000000" not in run_ids(client.get("/units/SN7").get_data(as_text=True))


def test_the_unit_json_is_what_mfg_ctl_history_prints(
    client: FlaskClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = client.get("/api/units/SN7").get_json()
    capsys.readouterr()
    assert main(["history", "SN7", "--json", "--db", str(tmp_path / "runs.db")]) == 0
    assert body == {"sn": "SN7", "runs": json.loads(capsys.readouterr().out)}
    assert [run["run_id"] for run in body["runs"]] == ["u1000000", "u2000000", "u3000000"]


def test_a_unit_without_finished_runs_is_a_404(client: FlaskClient) -> None:
    answer = client.get("/units/SN404")
    assert answer.status_code == 404
    assert "no finished runs of SN404" in answer.get_data(as_text=True)
    api = client.get("/api/units/SN404")
    assert api.status_code == 404
    assert "SN404" in api.get_json()["error"]
    assert client.get("/units/" + "S" * 65).status_code == 400


def test_a_serial_number_with_url_characters_is_linked_and_found(
    app: Flask, client: FlaskClient
) -> None:
    odd = "LOT/7 #3?x=1&y"
    record(app, Recorded("o1000000", sn=odd, at=T0 + timedelta(days=8)))
    listed = client.get("/runs").get_data(as_text=True)
    link = re.search(r'href="(/units/[^"]+)">LOT/7 #3\?x=1&amp;y<', listed)
    assert link is not None, "the history does not link the unit"
    target = link.group(1).replace("&amp;", "&")
    assert "#" not in target
    assert "?" not in target
    page = client.get(target)
    assert page.status_code == 200
    assert run_ids(page.get_data(as_text=True)) == ["o1000000"]


def test_markup_in_a_serial_number_is_shown_as_text(app: Flask, client: FlaskClient) -> None:
    record(app, Recorded("m1000000", sn=MARKUP, names=(MARKUP, "b"), verdicts=("fail", "pass")))
    page = client.get("/units/%3Cimg%20src=x%20onerror=alert(1)%3E").get_data(as_text=True)
    assert ESCAPED in page
    assert MARKUP not in page
    assert run_ids(page) == ["m1000000"]


def test_the_unit_page_speaks_german(client: FlaskClient) -> None:
    page = client.get("/units/SN7?lang=de").get_data(as_text=True)
    assert "Prüfling SN7" in page
    assert "die ältesten zuerst" in page
    assert "BESTANDEN" in page
