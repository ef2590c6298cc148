"""Operator prompts answered in the browser, and the operator page: scan, answer, PASS/FAIL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from mfg_ctl.store import RunStore
from mfg_ctl.web.live import Channel
from tests.controller.web.support import (
    channel_of,
    csrf_of,
    make_app,
    post,
    wait_closed,
    wait_until,
)

ASK_ONLY = """\
name: ask_only
steps:
  - name: check_led
    prompt: "Is the power LED green?"
    answers: [yes, no]
    expect: yes
    timeout: {timeout}
"""


def ask_only_app(tmp_path: Path, timeout: float = 60) -> Flask:
    """An app offering one plan that only asks the operator."""
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "ask_only.yaml").write_text(ASK_ONLY.format(timeout=timeout))
    return make_app(tmp_path, plans_dir=plans)


def start(client: FlaskClient, plan: str = "ask_only", sn: str = "SN-P1") -> str:
    started = post(client, "/runs", plan=plan, sns=sn)
    assert started.status_code == 303, started.get_data(as_text=True)
    return str(started.headers["Location"].split("/")[2])


def asked(channel: Channel) -> dict[str, Any]:
    """The data of the run's first prompt, once it is asked."""
    wait_until(lambda: any(m.kind == "prompt" for m in channel.snapshot()), "a prompt")
    return next(m.data for m in channel.snapshot() if m.kind == "prompt")


def finished_step(app: Flask, run_id: str, number: int = 1) -> dict[str, Any]:
    channel = wait_closed(app, run_id)
    return next(
        m.data
        for m in channel.snapshot()
        if m.kind == "step_finished" and m.data["number"] == number
    )


def stored(tmp_path: Path, run_id: str) -> Any:
    with RunStore(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        return store.get(run_id)


def test_a_prompt_answered_yes_through_the_form_passes_and_is_published(tmp_path: Path) -> None:
    app = ask_only_app(tmp_path)
    client = app.test_client()
    run_id = start(client)
    prompt = asked(channel_of(app, run_id))
    assert (prompt["text"], prompt["answers"], prompt["number"]) == (
        "Is the power LED green?",
        ["yes", "no"],
        1,
    )
    pending = client.get(f"/api/runs/{run_id}/prompts").get_json()["prompts"]
    assert [p["prompt_id"] for p in pending] == [prompt["prompt_id"]]
    answered = post(client, f"/runs/{run_id}/prompts/{prompt['prompt_id']}", answer="yes")
    assert answered.status_code == 303
    assert answered.headers["Location"] == f"/runs/{run_id}/live"
    step = finished_step(app, run_id)
    assert (step["verdict"], step["detail"]) == ("pass", "operator answered yes")
    kinds = [m.kind for m in channel_of(app, run_id).snapshot()]
    assert kinds.index("prompt") < kinds.index("prompt_answered") < kinds.index("step_finished")
    assert stored(tmp_path, run_id).status == "passed"


def test_a_prompt_answered_no_through_the_api_fails_the_run(tmp_path: Path) -> None:
    app = ask_only_app(tmp_path)
    client = app.test_client()
    run_id = start(client)
    prompt_id = asked(channel_of(app, run_id))["prompt_id"]
    answered = client.post(
        f"/api/runs/{run_id}/prompts/{prompt_id}",
        json={"answer": "no"},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert (answered.status_code, answered.get_json()["answer"]) == (200, "no")
    step = finished_step(app, run_id)
    assert (step["verdict"], step["detail"]) == ("fail", "operator answered no")
    run = stored(tmp_path, run_id)
    assert (run.status, run.steps[0].detail) == ("failed", "operator answered no")


def test_an_answer_not_offered_is_400_and_the_prompt_still_waits(tmp_path: Path) -> None:
    app = ask_only_app(tmp_path)
    client = app.test_client()
    run_id = start(client)
    prompt_id = asked(channel_of(app, run_id))["prompt_id"]
    token = {"X-CSRF-Token": csrf_of(client)}
    wrong = client.post(
        f"/api/runs/{run_id}/prompts/{prompt_id}", json={"answer": "maybe"}, headers=token
    )
    assert wrong.status_code == 400
    assert wrong.get_json()["error"] == "Answer one of: yes, no"
    not_text = client.post(
        f"/api/runs/{run_id}/prompts/{prompt_id}", json={"answer": 1}, headers=token
    )
    assert not_text.status_code == 400
    unknown = client.post(f"/api/runs/{run_id}/prompts/nope", json={"answer": "yes"}, headers=token)
    assert unknown.status_code == 404
    no_csrf = client.post(f"/api/runs/{run_id}/prompts/{prompt_id}", json={"answer": "yes"})
    assert no_csrf.status_code == 400
    assert not channel_of(app, run_id).closed
    ok = client.post(
        f"/api/runs/{run_id}/prompts/{prompt_id}", json={"answer": "yes"}, headers=token
    )
    assert ok.status_code == 200
    assert finished_step(app, run_id)["verdict"] == "pass"
    again = client.post(
        f"/api/runs/{run_id}/prompts/{prompt_id}", json={"answer": "yes"}, headers=token
    )
    assert again.status_code == 404
    assert "no longer waiting" in again.get_json()["error"]


def test_an_unanswered_prompt_times_out_as_an_error_step(tmp_path: Path) -> None:
    app = ask_only_app(tmp_path, timeout=0.2)
    run_id = start(app.test_client())
    step = finished_step(app, run_id)
    assert (step["verdict"], step["detail"]) == (
        "error",
        "no answer from the operator within 0.2 s",
    )
    assert stored(tmp_path, run_id).status == "error"


def test_stopping_the_run_releases_a_waiting_prompt(tmp_path: Path) -> None:
    app = ask_only_app(tmp_path, timeout=3600)  # only the stop can end this wait in time
    client = app.test_client()
    run_id = start(client)
    asked(channel_of(app, run_id))
    assert post(client, f"/runs/{run_id}/stop").status_code == 303
    step = finished_step(app, run_id)
    assert step["verdict"] == "error"
    assert step["detail"] == "the run was stopped while waiting for the operator's answer"
    assert stored(tmp_path, run_id).status == "aborted"


def test_a_batch_cannot_ask_so_its_prompts_are_error_steps(tmp_path: Path) -> None:
    app = ask_only_app(tmp_path)
    client = app.test_client()
    started = post(client, "/runs", plan="ask_only", sns="B-1\nB-2", batch_id="B7", stage="EVT")
    channel = wait_closed(app, started.headers["Location"].split("/")[2])
    units = [m.data for m in channel.snapshot() if m.kind == "unit_finished"]
    assert [(u["sn"], u["verdict"]) for u in units] == [("B-1", "error"), ("B-2", "error")]
    assert stored(tmp_path, units[0]["run_id"]).steps[0].detail.startswith("needs an operator")


def operator_start(client: FlaskClient, sn: str, plan: str = "operator_check") -> Any:
    return post(client, "/operator/start", plan=plan, sn=sn)


def last_run(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        return str(session["operator_run"])


def test_the_operator_scans_answers_and_reads_pass(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    page = client.get("/operator?plan=operator_check").get_data(as_text=True)
    for element in ('id="operator-sn"', 'id="operator-start"', 'id="operator-steps"'):
        assert element in page
    assert re.search(r'<option value="operator_check" selected>', page)
    started = operator_start(client, "SN-OP-1")
    assert (started.status_code, started.headers["Location"]) == (303, "/operator")
    run_id = last_run(client)
    prompt = asked(channel_of(app, run_id))
    live = client.get("/operator").get_data(as_text=True)  # the prompt, with one button per answer
    assert "Is the power LED green?" in live
    assert live.count('class="prompt-answer"') == 2
    assert f"/runs/{run_id}/prompts/{prompt['prompt_id']}" in live
    answered = post(
        client, f"/runs/{run_id}/prompts/{prompt['prompt_id']}", answer="yes", back="operator"
    )
    assert answered.headers["Location"] == "/operator"
    wait_closed(app, run_id)
    run = stored(tmp_path, run_id)
    assert (run.status, run.sn, run.plan_name) == ("passed", "SN-OP-1", "operator_check")
    shown = client.get("/operator").get_data(as_text=True)  # the result stays until the next scan
    result = re.search(
        r'<div id="operator-result" class="op-result (\w+)">\s*<p[^>]*>(\w+)</p>', shown
    )
    assert result is not None
    assert result.groups() == ("pass", "PASS")
    assert "Unit SN-OP-1" in shown
    assert shown.count('class="op-step pass"') == len(run.steps)
    assert "4.96 … 5.04 V" in shown  # a measurement against its limits


def test_a_no_answer_shows_fail_and_the_first_failing_step(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    client.get("/operator?plan=operator_check")
    operator_start(client, "SN-OP-2")
    run_id = last_run(client)
    prompt_id = asked(channel_of(app, run_id))["prompt_id"]
    post(client, f"/runs/{run_id}/prompts/{prompt_id}", answer="no", back="operator")
    wait_closed(app, run_id)
    shown = client.get("/operator").get_data(as_text=True)
    assert 'class="op-result fail"' in shown
    assert "First failing step: 2 check_led" in shown


def test_the_operator_page_speaks_german(tmp_path: Path) -> None:
    app = ask_only_app(tmp_path)
    client = app.test_client()
    page = client.get("/operator?lang=de").get_data(as_text=True)
    assert "Seriennummer scannen" in page
    assert 'lang="de"' in page
    operator_start(client, "SN-DE", plan="ask_only")
    run_id = last_run(client)
    asked(channel_of(app, run_id))
    waiting = client.get("/operator").get_data(as_text=True)
    assert ">Ja</button>" in waiting
    assert ">Nein</button>" in waiting
    app.extensions["mfg_ctl"].launcher.stop(run_id)
    wait_closed(app, run_id)
    assert "Einheit SN-DE" in client.get("/operator").get_data(as_text=True)


def test_a_serial_number_is_shown_escaped(tmp_path: Path) -> None:
    app = ask_only_app(tmp_path, timeout=0.1)
    client = app.test_client()
    sn = '<b id="x">1</b>'
    operator_start(client, sn, plan="ask_only")
    run_id = last_run(client)
    wait_closed(app, run_id)
    assert stored(tmp_path, run_id).sn == sn
    page = client.get("/operator").get_data(as_text=True)
    assert "&lt;b id=&#34;x&#34;&gt;1&lt;/b&gt;" in page
    assert '<b id="x">' not in page


def test_bad_scans_get_one_line_on_the_operator_page(tmp_path: Path) -> None:
    app = ask_only_app(tmp_path)
    client = app.test_client()
    client.get("/operator")
    empty = operator_start(client, "   ", plan="ask_only")
    assert empty.status_code == 400
    assert "Scan or type the unit&#39;s serial number first." in empty.get_data(as_text=True)
    assert operator_start(client, "SN", plan="nope").status_code == 404
    assert client.get("/operator?plan=nope").status_code == 404
    too_long = operator_start(client, "S" * 65, plan="ask_only")
    assert too_long.status_code == 400
    assert 'id="operator-sn"' in too_long.get_data(as_text=True)
    operator_start(client, "SN-1", plan="ask_only")
    asked(channel_of(app, last_run(client)))
    busy = operator_start(client, "SN-2", plan="ask_only")
    assert busy.status_code == 409
    assert "still under test" in busy.get_data(as_text=True)
    app.extensions["mfg_ctl"].launcher.stop(last_run(client))
    wait_closed(app, last_run(client))


def test_the_plan_chosen_is_remembered(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    client.get("/operator?plan=dut_functional")
    page = client.get("/operator").get_data(as_text=True)
    assert '<input type="hidden" name="plan" value="dut_functional">' in page
