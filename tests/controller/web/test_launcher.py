"""Runs started from the browser: stopping them, the bounds on runs at once, and how they fail.

Most runs here talk to gated fake devices (:mod:`core_support`): a test holds
a run inside its first step, acts, then lets it go.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mfg_ctl.run.events import Event, StepFinished
from mfg_ctl.store import RunStore, StoreError
from mfg_ctl.web import WebSettings, create_app
from tests.controller.cli.support import closed_port, write_station
from tests.controller.web.core_support import GATED_PLAN, Gate, gate_devices, plans_folder
from tests.controller.web.support import PLANS, csrf_of, make_app, post, wait_closed


def db_of(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'runs.db'}"


def start(client: FlaskClient, plan: str = "gated", sn: str = "SN-1") -> tuple[int, str]:
    """Start a run from the form: the status, and the run id (or the error page's text)."""
    answer = post(client, "/runs", plan=plan, sns=sn)
    if answer.status_code != 303:
        return answer.status_code, answer.get_data(as_text=True)
    return 303, answer.headers["Location"].split("/")[2]


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Gate:
    return gate_devices(monkeypatch)


def gated_app(tmp_path: Path, **settings: object) -> Flask:
    return make_app(tmp_path, plans_dir=plans_folder(tmp_path, gated=GATED_PLAN), **settings)


def test_the_stop_button_aborts_the_run_after_its_step_and_its_teardown_runs(
    tmp_path: Path, gate: Gate
) -> None:
    app = gated_app(tmp_path)
    client = app.test_client()
    status, run_id = start(client)
    assert status == 303
    assert gate.entered.wait(60)  # the run is inside its first step
    stopped = post(client, f"/runs/{run_id}/stop")
    assert stopped.status_code == 303
    assert stopped.headers["Location"] == f"/runs/{run_id}/live"
    gate.opened.set()
    channel = wait_closed(app, run_id)
    ended = [m.data for m in channel.snapshot() if m.kind == "run_finished"]
    assert [(e["status"], e["passed"]) for e in ended] == [("aborted", 2)]
    with RunStore(db_of(tmp_path)) as store:
        stored = store.get(run_id)
    assert stored.status == "aborted"
    assert [(s.number, s.name, s.teardown) for s in stored.steps] == [
        (1, "set_voltage", False),
        (5, "supply_output_off", True),
    ]
    verdict = client.get(f"/runs/{run_id}/live").get_data(as_text=True).split('id="run-verdict"')[1]
    assert verdict.split("</p>")[0].split(">", 1)[1].strip().startswith("ABORTED ·")


def test_stopping_a_run_that_ended_is_a_conflict(tmp_path: Path, gate: Gate) -> None:
    gate.opened.set()
    app = gated_app(tmp_path)
    client = app.test_client()
    run_id = start(client)[1]
    wait_closed(app, run_id)
    answer = post(client, f"/runs/{run_id}/stop")
    assert answer.status_code == 409
    assert "the run has already ended" in answer.get_data(as_text=True)
    api = client.post(f"/runs/{run_id}/stop", json={}, headers={"X-CSRF-Token": csrf_of(client)})
    assert api.status_code == 409
    assert api.get_json() == {"run_id": run_id, "stopping": False}
    with RunStore(db_of(tmp_path)) as store:
        assert store.get(run_id).status == "passed"


def test_a_station_runs_one_run_at_a_time(tmp_path: Path, gate: Gate) -> None:
    port = closed_port()  # never dialled: the devices are the gated fakes
    station = write_station(tmp_path / "station.yaml", {"power_supply": port, "dmm": port})
    app = gated_app(tmp_path, station_path=station)
    client = app.test_client()
    first = start(client)
    assert first[0] == 303
    assert gate.entered.wait(60)
    second = start(client, sn="SN-2")
    assert second[0] == 409
    assert "in use by another run" in second[1]
    gate.opened.set()
    wait_closed(app, first[1])
    assert start(client, sn="SN-3")[0] == 303  # free again


def test_simulated_runs_are_bounded_by_concurrent_runs(tmp_path: Path, gate: Gate) -> None:
    app = gated_app(tmp_path, concurrent_runs=2)
    client = app.test_client()
    started = [start(client, sn=f"SN-{n}") for n in (1, 2)]
    assert [status for status, _ in started] == [303, 303]
    refused = start(client, sn="SN-3")
    assert refused[0] == 409
    assert "2 runs are in progress" in refused[1]
    assert len(app.extensions["mfg_ctl"].launcher.running()) == 2
    gate.opened.set()
    for _, run_id in started:
        wait_closed(app, run_id)
    assert app.extensions["mfg_ctl"].launcher.running() == []


def test_a_run_whose_station_is_unreachable_says_why_and_ends(tmp_path: Path) -> None:
    names = ("power_supply", "dmm", "actuator", "thermocouple")
    station = write_station(tmp_path / "down.yaml", {name: closed_port() for name in names})
    app = make_app(tmp_path, station_path=station)
    client = app.test_client()
    status, run_id = start(client, plan="station_bringup")
    assert status == 303
    channel = wait_closed(app, run_id)
    errors = [m.data["error"] for m in channel.snapshot() if m.kind == "run_error"]
    assert len(errors) == 1
    page = client.get(f"/runs/{run_id}/live").get_data(as_text=True)
    assert 'id="run-errors"' in page
    assert errors[0].split(":")[0] in page
    with RunStore(db_of(tmp_path)) as store:
        assert store.get(run_id).status == "aborted"


class FailingStore(RunStore):
    """A run store that cannot write a run's second step (a full disk, say)."""

    def store(self, event: Event) -> None:
        if isinstance(event, StepFinished) and event.number == 2:
            raise StoreError("cannot write the run store: disk full")
        super().store(event)


def test_a_store_that_fails_mid_run_aborts_it_and_says_so(tmp_path: Path) -> None:
    settings = WebSettings(db_url=db_of(tmp_path), plans_dir=PLANS, runs_dir=tmp_path / "runs")
    app = create_app(settings, FailingStore(settings.db_url))
    client = app.test_client()
    status, run_id = start(client, plan="station_bringup")
    assert status == 303
    channel = wait_closed(app, run_id)
    kinds = [m.kind for m in channel.snapshot()]
    errors = [m.data["error"] for m in channel.snapshot() if m.kind == "run_error"]
    assert errors == ["cannot write the run store: disk full"]
    assert kinds.count("step_finished") == 2  # the run stopped at the next step boundary
    assert kinds[-2:] == ["run_finished", "run_error"]
    with RunStore(db_of(tmp_path)) as store:
        assert store.get(run_id).status == "aborted"


def test_a_script_stops_a_live_run_through_json(tmp_path: Path, gate: Gate) -> None:
    app = gated_app(tmp_path)
    client = app.test_client()
    run_id = start(client)[1]
    assert gate.entered.wait(60)
    answer = client.post(f"/runs/{run_id}/stop", json={}, headers={"X-CSRF-Token": csrf_of(client)})
    assert answer.status_code == 202
    assert answer.get_json() == {"run_id": run_id, "stopping": True}
    gate.opened.set()
    wait_closed(app, run_id)
    with RunStore(db_of(tmp_path)) as store:
        assert store.get(run_id).status == "aborted"


def test_a_plan_the_station_does_not_cover_is_refused_with_its_reason(tmp_path: Path) -> None:
    station = write_station(tmp_path / "small.yaml", {"power_supply": closed_port()})
    app = make_app(tmp_path, station_path=station)
    status, text = start(app.test_client(), plan="station_bringup")
    assert status == 400
    assert "no device &#39;actuator&#39;, which" in text
    assert not app.extensions["mfg_ctl"].channels.live()


def test_the_live_page_shows_the_running_step_and_a_stop_button_until_the_end(
    tmp_path: Path, gate: Gate
) -> None:
    app = gated_app(tmp_path)
    client = app.test_client()
    run_id = start(client)[1]
    assert gate.entered.wait(60)
    running = client.get(f"/runs/{run_id}/live").get_data(as_text=True)
    assert '<tr id="step-1" data-number="1" class="step running">' in running
    assert 'id="stop-form"' in running
    live = client.get(f"/api/runs/{run_id}/live").get_json()
    assert (live["closed"], [step["verdict"] for step in live["steps"]]) == (False, ["running"])
    gate.opened.set()
    wait_closed(app, run_id)
    ended = client.get(f"/runs/{run_id}/live").get_data(as_text=True)
    assert ended.count('class="step pass"') == 5
    assert 'id="stop-form"' not in ended
    assert "5 passed, 0 failed, 0 errors" in ended
