"""The pages after the runs, in a real browser: the history and one run's steps, the yield
and trend dashboards, and the operator's scan-and-test loop.

The module's store gets a batch of four passing bring-ups and one that fails on
the DMM (recorded through ``mfg-ctl``) before the first page opens.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.controller.web.browser.support import (
    BRINGUP_STEPS,
    EXPECT_MS,
    ROOT,
    Station,
    WebServer,
    command,
)

BRINGUP = str(ROOT / "plans" / "station_bringup.yaml")
PASSING = ("SN-H1", "SN-H2", "SN-H3", "SN-H4")
FAILING = "SN-H5"
@pytest.fixture(scope="module", autouse=True)
def recorded(home: Path, station: Station, web: WebServer) -> None:
    """Five bring-ups in the module's store: a passing batch, then one unit failing step 9."""
    store = ("--db", str(home / "runs.db"), "--station-id", "ST-WEB", "--stage", "EVT")
    command(
        home,
        "mfg-ctl",
        "batch",
        "--plan",
        BRINGUP,
        "--batch-id",
        "B-WEB",
        "--sns",
        ",".join(PASSING),
        "--parallel",
        "2",
        *store,
    )
    station.reset()
    assert station.send("dmm", "set", "dc_voltage", 4000) == "ok"
    command(
        home,
        "mfg-ctl",
        "run",
        BRINGUP,
        "--sn",
        FAILING,
        "--station",
        str(station.path),
        "--port-offset",
        str(station.offset),
        *store,
        status=1,
    )
    station.reset()


def test_the_runs_page_lists_the_runs_and_opens_one_with_its_steps(
    page: Page, web: WebServer
) -> None:
    page.goto(web.url)
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page).to_have_url(re.compile(r"/runs$"))
    runs = page.locator("table#runs tr.run")
    expect(runs.filter(has_text="SN-H")).to_have_count(len(PASSING) + 1)
    runs.filter(has_text=FAILING).locator("a[href*='/runs/']").first.click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+$"))
    steps = page.locator("table#steps tr.step")
    expect(steps).to_have_count(BRINGUP_STEPS)
    expect(page.locator("table#steps tr.step.fail")).to_contain_text("check_dmm_dc_voltage")
    expect(page.locator("main")).to_contain_text(FAILING)


def test_the_yield_page_shows_the_first_pass_yield_as_a_percentage(
    page: Page, web: WebServer
) -> None:
    page.goto(web.url)
    page.get_by_role("link", name="Yield", exact=True).click()
    # Four of the five units passed the first time.
    expect(page.locator("#kpi-fpy")).to_contain_text(re.compile(r"\b80(\.0+)?\s?%"))


def test_the_trends_page_draws_a_control_chart_for_a_bringup_step(
    page: Page, web: WebServer
) -> None:
    page.goto(web.url + "trends")
    choose = page.locator("select[name=plan]")
    choose.select_option("station_bringup")
    page.locator("form", has=choose).locator("[type=submit]").click()
    expect(page).to_have_url(re.compile(r"plan=station_bringup"))
    chart = page.locator("img.control-chart[alt=check_dmm_dc_voltage]")
    expect(chart).to_be_visible(timeout=EXPECT_MS)
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0"), "the chart did not load"


def test_the_operator_scans_two_units_and_sees_each_result_in_turn(
    page: Page, web: WebServer, clean_station: Station
) -> None:
    page.goto(web.url + "operator?plan=station_bringup")
    scanned = page.locator("#operator-sn")
    result = page.locator("#operator-result")
    for sn, before in (("SN-OP-1", None), ("SN-OP-2", "SN-OP-1")):
        # A barcode scanner types into whatever has the focus, then presses Enter.
        expect(scanned).to_be_focused()
        page.keyboard.type(sn)
        page.keyboard.press("Enter")
        expect(result).to_contain_text(sn, timeout=EXPECT_MS)
        expect(result).to_contain_text("PASS", timeout=EXPECT_MS)
        expect(result).to_have_class(re.compile(r"\bpass\b"))
        if before is not None:
            expect(result).not_to_contain_text(before)
