"""``/tempco/<run>``: a stored TempCo run's curve, temperatures, points and coefficient."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import pytest
from flask import Flask

from mfg_ctl.store import RunStore
from mfg_ctl.web.serving import wsgi_server
from tests.controller.web.browser.support import chromium
from tests.controller.web.dash_support import Page, page
from tests.controller.web.support import make_app, post, wait_closed

SWEEP = ["-40", "0", "25", "85", "125"]  # plans/dvt_tempco.yaml


@dataclass(frozen=True)
class Runs:
    """The module's app, a recorded dvt_tempco run and a bring-up run (no sweep)."""

    app: Flask
    tempco: str
    bringup: str
    detail: str  # the TempCo step's own line, as the run recorded it


def _run(app: Flask, **form: str) -> str:
    started = post(app.test_client(), "/runs", **form)
    assert started.status_code == 303, started.get_data(as_text=True)
    run_id = str(started.headers["Location"].split("/")[2])
    wait_closed(app, run_id)
    return run_id


@pytest.fixture(scope="module", name="runs")
def runs_fixture(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    folder = tmp_path_factory.mktemp("tempco")
    app = make_app(folder)
    tempco = _run(app, plan="dvt_tempco", sns="T1", stage="DVT")
    bringup = _run(app, plan="station_bringup", sns="S1")
    with RunStore(f"sqlite:///{folder / 'runs.db'}") as store:
        step = next(step for step in store.get(tempco).steps if step.unit == "ppm/C")
    return Runs(app, tempco, bringup, step.detail)


def test_the_page_shows_the_coefficient_the_run_judged_with_its_limit(runs: Runs) -> None:
    shown = page(runs.app.test_client(), f"/tempco/{runs.tempco}?lang=en")
    judged = re.search(r"tempco (-?[\d.]+) ppm/C, expected 50 \+/- 5", runs.detail)
    assert judged is not None, runs.detail
    assert shown.text("kpi-tempco") == f"Temperature coefficient {judged.group(1)} ppm/°C"
    assert shown.text("kpi-limit") == "Expected 50 ± 5 ppm/°C"
    assert shown.text("tempco-verdict") == "Within its limit"


def test_the_curve_and_the_temperatures_are_drawn(runs: Runs) -> None:
    shown = page(runs.app.test_client(), f"/tempco/{runs.tempco}")
    for chart in ("tempco-curve", "tempco-temperatures"):
        [image] = shown.images_of(chart)
        assert image["src"].startswith("data:image/png;base64,")
        assert image["alt"]


def test_the_points_table_has_one_row_per_temperature(runs: Runs) -> None:
    shown = page(runs.app.test_client(), f"/tempco/{runs.tempco}")
    rows = shown.body("tempco-points")
    assert [row[0] for row in rows] == SWEEP
    for row in rows:
        chamber, dut = float(row[1]), float(row[2])
        assert abs(chamber - float(row[0])) < 2.0  # settled at the setpoint
        assert abs(dut - chamber) < 2.0  # the DUT case follows the air
        assert row[4] == "5"  # readings averaged per point


def test_the_api_gives_the_figure_points_and_readings(runs: Runs) -> None:
    client = runs.app.test_client()
    answer = client.get(f"/api/tempco/{runs.tempco[:8]}").get_json()  # a prefix will do
    assert answer["run_id"] == runs.tempco
    assert f"tempco {answer['ppm_per_c']:.2f} ppm/C" in runs.detail
    assert (answer["expected_ppm_per_c"], answer["tolerance_ppm_per_c"]) == (50, 5)
    assert answer["within"] is True
    assert [point["setpoint_c"] for point in answer["points"]] == [float(t) for t in SWEEP]
    assert len(answer["readings"]) == 5 * len(SWEEP)
    elapsed = [reading["elapsed_s"] for reading in answer["readings"]]
    assert elapsed == sorted(elapsed)


@pytest.mark.parametrize("api", ["", "/api"])
def test_a_run_that_is_unknown_or_swept_nothing_is_404(runs: Runs, api: str) -> None:
    client = runs.app.test_client()
    for reference, line in (
        ("0000dead", "no recorded run has an id starting '0000dead'"),
        (runs.bringup, f"run {runs.bringup[:12]} recorded no TempCo sweep"),
    ):
        answer = client.get(f"{api}/tempco/{reference}?lang=en")
        assert answer.status_code == 404
        if api:
            assert answer.get_json()["error"] == line
        else:
            assert Page(answer.get_data(as_text=True)).error_line() == line


def test_the_page_speaks_german_and_keeps_to_the_csp(runs: Runs) -> None:
    shown = page(runs.app.test_client(), f"/tempco/{runs.tempco}?lang=de")
    assert shown.text("kpi-tempco").startswith("Temperaturkoeffizient")
    assert shown.text("tempco-verdict") == "Innerhalb der Grenze"
    assert shown.tables["tempco-points"][0][0] == "Sollwert (°C)"
    assert "style=" not in shown.source
    assert "<script" not in shown.source


def test_a_browser_draws_both_charts_under_the_csp(runs: Runs) -> None:
    """In chromium the data: images decode, the stylesheet applies, and the CSP reports nothing."""
    from playwright import sync_api

    executable = chromium()  # fails on CI when missing, skips elsewhere
    server = wsgi_server(runs.app, "127.0.0.1", 0)
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    problems: list[str] = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            shown = browser.new_page()
            shown.on("console", lambda message: problems.append(message.text))
            port = getattr(server, "effective_port", 0)  # one socket: its port
            address = f"http://127.0.0.1:{port}/tempco/{runs.tempco}"
            shown.goto(address)
            for chart in ("tempco-curve", "tempco-temperatures"):
                width = shown.eval_on_selector(f"img.{chart}", "image => image.naturalWidth")
                assert width > 300, chart
            weight = shown.eval_on_selector(
                "#kpi-tempco .kpi-value", "element => getComputedStyle(element).fontWeight"
            )
            assert weight == "700"  # dashboards.css is loaded
            browser.close()
    finally:
        server.close()
        serving.join(timeout=30)
    assert [text for text in problems if "favicon" not in text and "404" not in text] == []
