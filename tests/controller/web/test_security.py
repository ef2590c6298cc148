"""What every request passes: CSRF on POST, the access token, the safe headers, error pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from mfg_ctl.store import RunStore
from mfg_ctl.web.security import CSP
from tests.controller.web.support import csrf_of, make_app

TOKEN = "s3cret-token-0123456789"


def nothing_started(app: Flask, tmp_path: Path) -> bool:
    held = app.extensions["mfg_ctl"]
    with RunStore(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        stored = store.runs(limit=5)
    return not held.launcher.running() and not held.channels.live() and not stored


@pytest.mark.parametrize("sent", [None, "not-the-token"])
def test_a_post_without_the_right_csrf_token_starts_nothing(
    tmp_path: Path, sent: str | None
) -> None:
    app = make_app(tmp_path)
    client = app.test_client()
    csrf_of(client)  # the session has a token; the form does not carry it
    form = {"plan": "station_bringup", "sns": "SN-1"} | ({"csrf_token": sent} if sent else {})
    answer = client.post("/runs", data=form)
    assert answer.status_code == 400
    assert "The request was not valid." in answer.get_data(as_text=True)
    api = client.post("/api/runs", json={"plan": "station_bringup"}, headers={"X-CSRF-Token": "x"})
    assert api.status_code == 400
    assert api.get_json()["status"] == 400
    assert nothing_started(app, tmp_path)


def test_the_csrf_header_is_accepted_for_scripts(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    token = csrf_of(client)
    answer = client.post("/runs/nosuch/stop", headers={"X-CSRF-Token": token})
    assert answer.status_code == 409  # past the CSRF check: that run is not live


def test_without_the_token_pages_and_the_api_answer_401(tmp_path: Path) -> None:
    client = make_app(tmp_path, token=TOKEN).test_client()
    page = client.get("/")
    assert page.status_code == 401
    assert page.mimetype == "text/html"
    assert "needs its access token" in page.get_data(as_text=True)
    api = client.get("/api/plans")
    assert api.status_code == 401
    assert api.get_json()["status"] == 401
    wrong = client.get("/", headers={"Authorization": "Bearer not-" + TOKEN})
    assert wrong.status_code == 401
    assert client.get("/healthz").status_code == 401


def test_a_bearer_token_is_let_in(tmp_path: Path) -> None:
    client = make_app(tmp_path, token=TOKEN).test_client()
    answer = client.get("/api/plans", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert "station_bringup" in [plan["name"] for plan in answer.get_json()]


def test_a_script_with_the_bearer_token_posts_without_a_csrf_token(tmp_path: Path) -> None:
    client = make_app(tmp_path, token=TOKEN).test_client()
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    answer = client.post("/runs/nosuch/stop", headers=bearer, json={})
    assert answer.status_code == 409  # past the CSRF check: that run is not live
    cookie_only = make_app(tmp_path, token=TOKEN).test_client()
    cookie_only.get(f"/?token={TOKEN}")  # a browser session, without the header
    assert cookie_only.post("/runs/nosuch/stop", json={}).status_code == 400


def test_the_token_in_the_address_opens_a_session_and_is_dropped_from_it(tmp_path: Path) -> None:
    client = make_app(tmp_path, token=TOKEN).test_client()
    answer = client.get(f"/?lang=de&token={TOKEN}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/?lang=de"
    assert TOKEN not in answer.headers["Location"]
    assert client.get("/").status_code == 200  # the session remembers
    assert client.get("/api/plans").status_code == 200
    stranger = make_app(tmp_path, token=TOKEN).test_client()
    assert stranger.get(f"/?token=wrong-{TOKEN}").status_code == 401


def assert_safe_headers(answer: TestResponse) -> None:
    assert answer.headers["Content-Security-Policy"] == CSP
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_every_response_carries_the_csp_and_nosniff(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    answers = [
        client.get("/"),
        client.get("/static/app.css"),
        client.get("/static/live.js"),
        client.get("/no/such/page"),
        client.get("/api/nothing"),
        client.post("/runs", data={}),
        client.get("/healthz"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 404, 404, 400, 200]
    for answer in answers:
        assert_safe_headers(answer)
    locked = make_app(tmp_path, token=TOKEN).test_client().get("/")
    assert locked.status_code == 401
    assert_safe_headers(locked)


def test_the_csp_allows_no_inline_script_or_style() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_an_unknown_page_is_a_page_and_an_unknown_api_address_is_json(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    page = client.get("/no/such/page")
    text = page.get_data(as_text=True)
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "Not found." in text
    assert "Traceback" not in text
    api = client.get("/api/runs/nosuch/live")
    assert api.status_code == 404
    assert api.get_json() == {"error": "run nosuch is not running on this server", "status": 404}
    assert client.get("/api/nothing").get_json()["status"] == 404


def test_a_json_client_gets_json_errors_anywhere(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    answer = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert answer.status_code == 404
    assert answer.get_json()["status"] == 404
