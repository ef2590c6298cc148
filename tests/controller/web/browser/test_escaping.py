"""Markup typed or written by users is shown as text in the browser, never run as markup:
a plan's description, a run's stage and operator, a serial number in an error line.

Each text carries ``<img src=x onerror=window.__xss=1>``: had a page taken it as
markup, the page would hold an ``img[src=x]`` and the browser would report the
inline handler (blocked by the Content-Security-Policy; the ``page`` fixture
fails the test on such a report).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.controller.web.browser.support import (
    EXPECT_MS,
    WebServer,
    plan_form,
    serve_web,
    wait_for_verdict,
)

MARKUP = "<img src=x onerror=window.__xss=1>"
PLAN = f"""\
name: markup_check
description: "{MARKUP} checks <b>escaping</b>"
steps:
  - name: set_supply_voltage
    device: power_supply
    register: voltage_setpoint
    write: 1200
"""


@pytest.fixture(scope="module")
def web(home: Path) -> Iterator[WebServer]:
    """serve-web offering one plan with markup in its description; devices simulated."""
    plans = home / "plans"
    plans.mkdir()
    (plans / "markup_check.yaml").write_text(PLAN)
    server = serve_web(home, "--db", str(home / "runs.db"), "--plans", str(plans))
    yield server
    server.stop()


def assert_no_markup_ran(page: Page) -> None:
    expect(page.locator("img[src=x]")).to_have_count(0)
    assert page.evaluate("window.__xss") is None


def test_a_plan_description_with_markup_is_shown_as_text(page: Page, web: WebServer) -> None:
    page.goto(web.url)
    expect(page.locator("section#plan-markup_check")).to_contain_text(
        f"{MARKUP} checks <b>escaping</b>"
    )
    assert_no_markup_ran(page)


def test_markup_in_serial_numbers_comes_back_as_text_in_one_error_line(
    page: Page, web: WebServer
) -> None:
    form = plan_form(page, web.url, "markup_check")
    form.locator("textarea[name=sns]").fill(f"{MARKUP}\n{MARKUP}")  # the same unit twice
    with page.expect_response(re.compile(r"/runs$")) as answered:
        form.locator("button[type=submit]").click()
    assert answered.value.status == 400
    expect(page.locator("p.error-line")).to_contain_text("<img src=x")
    expect(page.locator("p.error-line")).to_contain_text("listed twice")
    assert_no_markup_ran(page)


def test_a_run_whose_serial_number_stage_and_operator_hold_markup_shows_them_as_text(
    page: Page, web: WebServer
) -> None:
    form = plan_form(page, web.url, "markup_check")
    for field in ("textarea[name=sns]", "input[name=stage]", "input[name=operator]"):
        form.locator(field).fill(MARKUP)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/runs/[0-9a-f]+/live$"), timeout=EXPECT_MS)
    wait_for_verdict(page, "pass")
    page.reload()  # the header shows the serial number of a run that has started
    expect(page.locator("main")).to_contain_text(MARKUP)
    assert_no_markup_ran(page)
    run_id = page.url.split("/")[-2]
    page.goto(f"{web.url}runs/{run_id}")
    expect(page.locator("main")).to_contain_text(MARKUP)
    assert_no_markup_ran(page)
