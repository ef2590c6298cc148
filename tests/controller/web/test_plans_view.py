"""The plans page and starting runs from it: broken plans, names that are not names, batches."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from mfg_ctl.store import RunStore
from tests.controller.web.core_support import plans_folder
from tests.controller.web.support import PLANS, csrf_of, make_app, post, wait_closed

BRINGUP = (PLANS / "station_bringup.yaml").read_text()
BAD_NAME = """\
name: bad_name
steps:
  - name: "<img src=x onerror=alert(1)>"
    device: power_supply
    register: voltage_setpoint
    write: 1200
"""
HOSTILE = """\
name: hostile
description: "<script>alert('plan')</script> & more"
steps:
  - name: set_voltage
    device: power_supply
    register: voltage_setpoint
    write: 1200
"""


def stored_runs(tmp_path: Path) -> list[object]:
    with RunStore(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        return list(store.runs(limit=50))


def test_a_broken_plan_shows_its_error_line_and_the_others_still_load(tmp_path: Path) -> None:
    folder = plans_folder(tmp_path, bringup=BRINGUP, broken="name: broken\nsteps: [oops\n")
    client = make_app(tmp_path, plans_dir=folder).test_client()
    page = client.get("/").get_data(as_text=True)
    assert 'id="plan-bringup"' in page
    assert 'id="plan-broken"' in page
    assert page.count('class="error-line"') == 1
    assert "broken.yaml" in page.split('id="plan-broken"')[1]
    assert page.count('action="/runs"') == 1  # only the loadable plan can be started
    listed = {plan["name"]: plan for plan in client.get("/api/plans").get_json()}
    assert len(listed["bringup"]["steps"]) == 11
    assert "broken.yaml" in listed["broken"]["error"]
    started = post(client, "/runs", plan="broken", sns="SN-1")
    assert started.status_code == 400


@pytest.mark.parametrize("name", ["../outside", "../plans/bringup", "/etc/passwd", "bringup.yaml"])
def test_a_plan_name_that_is_not_a_name_in_the_folder_is_not_found(
    tmp_path: Path, name: str
) -> None:
    folder = plans_folder(tmp_path, bringup=BRINGUP)
    (tmp_path / "outside.yaml").write_text(BRINGUP)  # a good plan, but outside the folder
    app = make_app(tmp_path, plans_dir=folder)
    client = app.test_client()
    answer = post(client, "/runs", plan=name, sns="SN-1")
    assert answer.status_code == 404
    assert "in the plans folder" in answer.get_data(as_text=True)
    api = client.post(
        "/api/runs", json={"plan": name, "sn": "SN-1"}, headers={"X-CSRF-Token": csrf_of(client)}
    )
    assert api.status_code == 404
    assert not app.extensions["mfg_ctl"].channels.live()
    assert stored_runs(tmp_path) == []


def test_starting_an_unknown_plan_is_not_found(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    answer = post(client, "/runs", plan="no_such_plan")
    assert answer.status_code == 404
    assert "no plan called no_such_plan in the plans folder" in answer.get_data(as_text=True)


def test_the_api_starts_a_run_and_says_where_to_watch_it(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    answer = client.post(
        "/api/runs",
        json={"plan": "station_bringup", "sn": "SN-A1", "stage": "DVT"},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["live"] == f"/runs/{body['run_id']}/live"
    assert body["events"] == f"/runs/{body['run_id']}/events"
    wait_closed(app, body["run_id"])
    with RunStore(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        stored = store.get(body["run_id"])
    assert (stored.status, stored.sn, stored.stage) == ("passed", "SN-A1", "DVT")


def start_batch(app: Flask, batch_id: str, **form: str) -> tuple[int, str]:
    fields = {"plan": "station_bringup", "sns": "SN-1\nSN-2", "batch_id": batch_id}
    answer = post(app.test_client(), "/runs", **(fields | form))
    return answer.status_code, answer.headers.get("Location", "") or answer.get_data(as_text=True)


def test_several_serial_numbers_make_a_batch_stored_with_its_id(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    status, location = start_batch(app, "LOT-7", stage="EVT")
    assert status == 303
    channel = wait_closed(app, location.split("/")[2])
    assert channel.kind == "batch"
    assert [m.data["sn"] for m in channel.snapshot() if m.kind == "unit_finished"] == [
        "SN-1",
        "SN-2",
    ]
    with RunStore(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        units = store.batch_runs("LOT-7")
    assert sorted(run.sn for run in units) == ["SN-1", "SN-2"]
    assert {(run.batch_id, run.stage, run.status) for run in units} == {("LOT-7", "EVT", "passed")}
    again = start_batch(app, "LOT-7", stage="EVT")
    assert again[0] == 409
    assert "batch LOT-7 already exists" in again[1]


def test_a_batch_without_a_stage_is_refused(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    status, text = start_batch(app, "LOT-8")
    assert status == 400
    assert "a batch needs a batch id and a stage" in text
    assert not app.extensions["mfg_ctl"].channels.live()


@pytest.mark.parametrize("field", ["stage", "operator", "batch_id"])
def test_a_field_too_long_is_refused_with_its_name(tmp_path: Path, field: str) -> None:
    app = make_app(tmp_path)
    answer = post(
        app.test_client(), "/runs", plan="station_bringup", sns="SN-1", **{field: "x" * 65}
    )
    assert answer.status_code == 400
    assert f"{field} is longer than 64 characters" in answer.get_data(as_text=True)
    assert stored_runs(tmp_path) == []


def test_markup_in_a_plan_or_its_error_line_is_shown_as_text(tmp_path: Path) -> None:
    folder = plans_folder(tmp_path, hostile=HOSTILE, bad_name=BAD_NAME)
    app = make_app(tmp_path, plans_dir=folder)
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;plan&#39;)&lt;/script&gt; &amp; more" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # in bad_name's error line
    started = post(client, "/runs", plan="hostile", sns="SN-1", operator="<b>ann</b>")
    assert started.status_code == 303
    run_id = started.headers["Location"].split("/")[2]
    wait_closed(app, run_id)
    with RunStore(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        assert store.get(run_id).operator == "<b>ann</b>"  # stored as typed, shown escaped


def test_an_api_body_that_is_not_a_json_object_is_refused_with_one_line(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    answer = client.post("/api/runs", data="plan=x", headers={"X-CSRF-Token": csrf_of(client)})
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error": "send a JSON object with the members plan and sn (or sns)",
        "status": 400,
    }


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"parallel": "0"}, "parallel must be a whole number from 1 to 16"),
        ({"parallel": "17"}, "parallel must be a whole number from 1 to 16"),
        ({"parallel": "two"}, "parallel must be a whole number from 1 to 16"),
        ({"dut_profile": "melting"}, "the DUT profile must be one of clean"),
    ],
)
def test_bad_batch_options_are_refused_with_one_line(
    tmp_path: Path, form: dict[str, str], expected: str
) -> None:
    app = make_app(tmp_path)
    status, text = start_batch(app, "LOT-9", stage="EVT", **form)
    assert status == 400
    assert expected in text
    assert not app.extensions["mfg_ctl"].channels.live()
