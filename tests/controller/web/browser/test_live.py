"""A run watched live in a real browser: steps arrive one by one, a fault shows red, and a
reload in the middle of a run neither loses nor repeats a step.

The station's devices hold back every answer (``$system_fault:delay``), so each
step takes a visible moment and the page can be seen filling in.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.controller.web.browser.support import (
    BRINGUP_STEPS,
    EXPECT_MS,
    FAIL_ROW_BACKGROUND,
    Station,
    WebServer,
    shown_step_numbers,
    start_from_plans_page,
    wait_for_verdict,
)

EVERY_STEP = list(range(1, BRINGUP_STEPS + 1))

#: Test instrumentation (run by the browser, outside the page's CSP): the live table's row
#: count when the page is ready, then after every change of its rows.
RECORD_ROW_COUNTS = """
document.addEventListener("DOMContentLoaded", () => {
  const body = document.getElementById("steps");
  if (!body) { return; }
  window.__rowCounts = [body.rows.length];
  new MutationObserver(() => window.__rowCounts.push(body.rows.length))
    .observe(body, {childList: true});
});
"""


def three_steps_into_a_slow_bringup(page: Page, web: WebServer, station: Station, sn: str) -> None:
    """Start the bring-up with every answer held back 300 ms; wait until 3 steps show."""
    station.slow_down(300)
    start_from_plans_page(page, web.url, "station_bringup", sn)
    expect(page.locator("tbody#steps tr").nth(2)).to_be_attached(timeout=EXPECT_MS)


def test_the_bringup_started_from_the_plans_page_shows_its_steps_arriving_in_order(
    page: Page, web: WebServer, clean_station: Station
) -> None:
    clean_station.slow_down(250)
    page.add_init_script(RECORD_ROW_COUNTS)
    start_from_plans_page(page, web.url, "station_bringup", "SN-LIVE-1")
    wait_for_verdict(page, "pass")
    expect(page.locator("#run-verdict")).to_contain_text("PASS")
    expect(page.locator("tbody#steps tr.step.pass")).to_have_count(BRINGUP_STEPS)
    assert shown_step_numbers(page) == EVERY_STEP
    counts = page.evaluate("window.__rowCounts")
    # One row more at a time, up to the eleventh, and most of them seen arriving.
    assert counts == list(range(counts[0], BRINGUP_STEPS + 1)), counts
    assert len(counts) >= 4, f"the page showed {counts[0]} steps at once when it opened"


def test_a_wrong_dmm_reading_turns_step_9_red_and_the_run_fails(
    page: Page, web: WebServer, clean_station: Station
) -> None:
    assert clean_station.send("dmm", "set", "dc_voltage", 4000) == "ok"
    start_from_plans_page(page, web.url, "station_bringup", "SN-LIVE-2")
    wait_for_verdict(page, "fail")
    verdict = page.locator("#run-verdict")
    expect(verdict).to_contain_text("FAIL")
    failed = page.locator("tr#step-9")
    expect(failed).to_have_class(re.compile(r"\bfail\b"))
    expect(failed).to_contain_text("check_dmm_dc_voltage")
    expect(failed).to_contain_text("measured 4000")
    expect(page.locator("tr#step-8")).to_have_class(re.compile(r"\bpass\b"))
    background = "e => getComputedStyle(e).backgroundColor"
    assert failed.evaluate(background) == FAIL_ROW_BACKGROUND
    assert page.locator("tr#step-8").evaluate(background) != FAIL_ROW_BACKGROUND
    assert verdict.evaluate("e => getComputedStyle(e).color") == "rgb(179, 38, 30)"


def test_reloading_in_the_middle_of_a_run_neither_loses_nor_repeats_a_step(
    page: Page, web: WebServer, clean_station: Station
) -> None:
    three_steps_into_a_slow_bringup(page, web, clean_station, "SN-LIVE-3")
    before = page.locator("#run-verdict").get_attribute("class") or ""
    page.reload()
    assert "running" in before.split(), f"the run had ended before the reload ({before})"
    wait_for_verdict(page, "pass")
    expect(page.locator("tbody#steps tr")).to_have_count(BRINGUP_STEPS)
    assert shown_step_numbers(page) == EVERY_STEP
    expect(page.locator("tbody#steps tr.step.pass")).to_have_count(BRINGUP_STEPS)


def test_stop_the_run_ends_it_after_the_current_step(
    page: Page, web: WebServer, clean_station: Station
) -> None:
    three_steps_into_a_slow_bringup(page, web, clean_station, "SN-LIVE-4")
    page.locator("#stop-form button[type=submit]").click()
    expect(page.locator("#live")).to_have_attribute("data-closed", "true", timeout=EXPECT_MS)
    verdict = page.locator("#run-verdict")
    expect(verdict).not_to_have_class(re.compile(r"\b(pass|running)\b"))
    shown = shown_step_numbers(page)
    assert shown == list(range(1, len(shown) + 1)), shown
    assert len(shown) < BRINGUP_STEPS, f"the run went on to its last step: {shown}"
