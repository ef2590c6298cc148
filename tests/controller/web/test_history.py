"""The run history in the browser's terms: ``/runs`` lists, filters and pages the stored runs;
``/runs/<id>`` shows one run with its steps and links. Runs are recorded straight into the
app's store (tests/controller/web/history_support.py); the downloads are test_downloads.py."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mfg_ctl.store.models import SweepReadingRow
from mfg_ctl.store.rows import insert_into
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
from tests.controller.web.support import make_app

#: Four runs an hour apart, newest last; each differs from the others in every filter.
RUNS = (
    Recorded("a1000000", plan="psu_check", sn="SN1", batch_id="B1", station_id="ST1",
             stage="EVT", at=T0),
    Recorded("b2000000", plan="psu_check", sn="SN2", batch_id="B1", station_id="ST2",
             stage="DVT", at=T0 + timedelta(hours=1), verdicts=("pass", "fail")),
    Recorded("c3000000", plan="dmm_check", sn="SN1", batch_id="B2", station_id="ST1",
             stage="DVT", at=T0 + timedelta(days=1), verdicts=("error", "pass")),
    Recorded("d4000000", plan="dmm_check", sn="SN3", batch_id="", station_id="ST2",
             stage="PVT", at=T0 + timedelta(days=2), aborted=True),
)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return app_with(tmp_path, *RUNS)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def page_of(client: FlaskClient, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


def test_the_history_lists_every_run_newest_first_with_its_total(client: FlaskClient) -> None:
    page = page_of(client, "/runs")
    assert run_ids(page) == ["d4000000", "c3000000", "b2000000", "a1000000"]
    assert "4 runs" in page
    row = re.search(r'<tr class="run failed" data-run-id="b2000000">(.*?)</tr>', page, re.S)
    assert row is not None, "the failed run's row is not marked failed"
    assert 'href="/runs/b2000000"' in row.group(1)
    assert 'href="/units/SN2"' in row.group(1)
    assert 'href="/runs?batch_id=B1"' in row.group(1)
    assert "2026-03-02 09:00:00" in row.group(1)
    assert "12.5 s" in row.group(1)
    assert '<tr class="run aborted" data-run-id="d4000000">' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("plan=dmm_check", ["d4000000", "c3000000"]),
        ("sn=SN1", ["c3000000", "a1000000"]),
        ("batch_id=B1", ["b2000000", "a1000000"]),
        ("station_id=ST2", ["d4000000", "b2000000"]),
        ("stage=DVT", ["c3000000", "b2000000"]),
        ("status=failed", ["b2000000"]),
        ("status=error", ["c3000000"]),
        ("since=2026-03-03", ["d4000000", "c3000000"]),
        ("until=2026-03-02", ["b2000000", "a1000000"]),  # a date includes its whole day
        ("until=2026-03-02T09:00:00", ["a1000000"]),  # a time is exclusive
        ("since=2026-03-02T08:30:00%2B00:00&until=2026-03-03", ["c3000000", "b2000000"]),
        ("plan=psu_check&station_id=ST2", ["b2000000"]),
        ("sn=SN9", []),
        ("until=9999-12-31", ["d4000000", "c3000000", "b2000000", "a1000000"]),
    ],
)
def test_a_filter_keeps_only_the_runs_it_names(
    client: FlaskClient, query: str, expected: list[str]
) -> None:
    page = page_of(client, f"/runs?{query}")
    assert run_ids(page) == expected
    assert f"{len(expected)} runs" in page
    api = client.get(f"/api/runs?{query}").get_json()
    assert [run["run_id"] for run in api["runs"]] == expected
    assert api["total"] == len(expected)


def test_the_filter_form_shows_the_values_asked_for(client: FlaskClient) -> None:
    page = page_of(client, "/runs?plan=dmm_check&status=error")
    assert 'name="plan" value="dmm_check"' in page
    assert '<option value="error" selected>' in page


def test_pages_of_fifty_link_to_each_other_keeping_the_filters(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    many = [
        Recorded(f"run{index:05d}", plan="big" if index % 2 else "small",
                 at=T0 + timedelta(minutes=index))
        for index in range(230)
    ]
    record(app, *many)
    client = app.test_client()
    first = page_of(client, "/runs?plan=big")
    assert "115 runs" in first
    assert "page 1 of 3" in first
    newest_big = [run.run_id for run in reversed(many) if run.plan == "big"]
    assert run_ids(first) == newest_big[:50]
    assert 'rel="prev"' not in first
    found = re.search(r'rel="next" id="page-next" href="([^"]+)"', first)
    assert found is not None
    second_url = found.group(1).replace("&amp;", "&")
    assert "plan=big" in second_url
    assert "page=2" in second_url
    second = page_of(client, second_url)
    assert run_ids(second) == newest_big[50:100]
    last = page_of(client, "/runs?plan=big&page=3")
    assert run_ids(last) == newest_big[100:]
    assert 'rel="next"' not in last
    back = re.search(r'rel="prev" id="page-previous" href="([^"]+)"', last)
    assert back is not None
    assert "plan=big" in back.group(1)
    assert "page=2" in back.group(1)
    api = client.get("/api/runs?page=2").get_json()
    assert (api["total"], api["page"], api["per_page"], len(api["runs"])) == (230, 2, 50, 50)


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("since=yesterday", "since yesterday is not a date"),
        ("until=2026-13-01", "until 2026-13-01 is not a date"),
        ("since=2026-03-04&until=2026-03-03", "is not before until"),
        ("since=0001-01-01T00:00:00%2B01:00", "is not a date"),  # before the year 1 in UTC
        ("status=green", "status green is not one of running, passed"),
        ("page=0", "page must be a whole number"),
        ("page=two", "page must be a whole number"),
        ("sn=" + "x" * 300, "sn is longer than 255 characters"),
    ],
)
def test_a_bad_filter_is_a_400_with_one_line(client: FlaskClient, query: str, said: str) -> None:
    answer = client.get(f"/runs?{query}")
    assert answer.status_code == 400
    text = answer.get_data(as_text=True)
    assert said in text
    assert "Traceback" not in text
    api = client.get(f"/api/runs?{query}")
    assert api.status_code == 400
    assert said in api.get_json()["error"]


def test_the_run_page_shows_who_what_where_and_every_step(client: FlaskClient) -> None:
    page = page_of(client, "/runs/b2000000")
    assert 'id="run-verdict" class="verdict failed"' in page
    assert "psu_check" in page
    assert "version 1.2" in page
    assert 'id="run-sn" href="/units/SN2"' in page
    assert 'id="run-batch" href="/runs?batch_id=B1"' in page
    assert "ST2" in page
    assert "DVT" in page
    assert "ana" in page
    assert "psu: 127.0.0.1:5020 (mbap, simulated)" in page
    steps = re.findall(r'<tr id="step-(\d+)" class="step (\w+)">', page)
    assert steps == [("1", "pass"), ("2", "fail")]
    failing = page.split('id="step-2"', 1)[1].split("</tr>", 1)[0]
    assert "check_2" in failing
    assert "5002" in failing
    assert "4950 … 5050" in failing
    assert "mV" in failing
    assert "<td>2</td>" in failing  # attempts
    for fmt in ("json", "md", "html", "pdf", "junit"):
        assert f'href="/runs/b2000000/download/{fmt}"' in page
    assert 'id="run-live"' not in page
    assert 'id="run-tempco"' not in page


def test_a_run_is_found_by_a_unique_prefix_and_refused_when_ambiguous(
    app: Flask, client: FlaskClient
) -> None:
    assert 'data-run-id' not in page_of(client, "/runs/c3")  # the run page, not the list
    assert "dmm_check" in page_of(client, "/runs/c3")
    record(app, Recorded("c3999999", at=T0 + timedelta(days=5)))
    answer = client.get("/runs/c3")
    assert answer.status_code == 400
    assert "matches several runs (c3999999, c3000000)" in answer.get_data(as_text=True)


def test_an_unknown_run_is_a_404_page_and_a_404_json(client: FlaskClient) -> None:
    answer = client.get("/runs/ffff0000")
    assert answer.status_code == 404
    assert "no stored run has an id starting ffff0000" in answer.get_data(as_text=True)
    api = client.get("/api/runs/ffff0000")
    assert api.status_code == 404
    assert "ffff0000" in api.get_json()["error"]


def test_the_json_of_a_run_holds_its_steps_and_devices(client: FlaskClient) -> None:
    body = client.get("/api/runs/b2").get_json()
    assert (body["run_id"], body["status"], body["sn"], body["stage"]) == (
        "b2000000", "failed", "SN2", "DVT",
    )
    assert body["started_at"] == "2026-03-02T09:00:00+00:00"
    assert [(s["number"], s["verdict"], s["measured"]) for s in body["steps"]] == [
        (1, "pass", 5001.0), (2, "fail", 5002.0),
    ]
    assert body["devices"][0]["name"] == "psu"
    assert body["plan_text"] == "name: psu_check\n"


def test_a_run_still_live_here_links_to_its_live_page(app: Flask, client: FlaskClient) -> None:
    channel = app.extensions["mfg_ctl"].channels.open("b2000000")
    assert 'id="run-live" href="/runs/b2000000/live"' in page_of(client, "/runs/b2000000")
    channel.close()
    assert 'id="run-live"' not in page_of(client, "/runs/b2000000")


def test_a_run_with_sweep_readings_links_to_its_tempco_page(
    app: Flask, client: FlaskClient
) -> None:
    reading = {"run_id": "c3000000", "step_number": 1, "seq": 0, "at": T0, "elapsed_s": 0.0,
               "setpoint_c": 25.0, "chamber_c": 25.0, "dut_c": None, "vout_v": 5.0}
    with store_of(app)._write_engine.begin() as connection:
        connection.execute(insert_into(SweepReadingRow), [reading])
    assert 'id="run-tempco" href="/tempco/c3000000"' in page_of(client, "/runs/c3000000")
    assert 'id="run-tempco"' not in page_of(client, "/runs/a1000000")


def test_markup_in_a_serial_number_or_step_name_is_shown_as_text(
    app: Flask, client: FlaskClient
) -> None:
    record(app, Recorded("e5000000", sn=MARKUP, names=(MARKUP, "fine"), stage="MP",
                         at=T0 + timedelta(days=9)))
    for url in ("/runs", "/runs/e5000000", "/runs?stage=MP"):
        page = page_of(client, url)
        assert ESCAPED in page, url
        assert MARKUP not in page, url
    listed = page_of(client, "/runs")
    assert 'href="/units/%3Cimg%20src=x%20onerror=alert(1)%3E"' in listed


def test_a_batch_address_shows_the_history_of_that_batch(client: FlaskClient) -> None:
    answer = client.get("/batches/B1")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/runs?batch_id=B1")
    assert run_ids(page_of(client, answer.headers["Location"])) == ["b2000000", "a1000000"]


def test_the_history_and_the_run_page_speak_german(client: FlaskClient) -> None:
    listed = page_of(client, "/runs?lang=de")
    assert "4 Prüfläufe" in listed
    assert "Gestartet ab" in listed
    assert "FEHLGESCHLAGEN" in listed
    shown = page_of(client, "/runs/b2000000?lang=de")
    assert "Berichtsdateien" in shown
    assert "Grenzen" in shown
    assert "Messwert" in shown
    bad = client.get("/runs?status=green&lang=de")
    assert bad.status_code == 400
    assert "ist keiner von" in bad.get_data(as_text=True)
