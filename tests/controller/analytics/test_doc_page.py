"""doc/analytics.rst: its commands print what it shows, and its run directory is the example's.

(tests/docs runs the pages it lists; this page's console examples run here,
through the same harness, until it joins that list.)
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.controller.analytics.fixture import attempt_rows, worked_example
from tests.docs.harness import REPO, run_page

PAGE = REPO / "doc" / "analytics.rst"
RUN_DIR = REPO / "tests" / "controller" / "analytics" / "data" / "worked_example"


def test_the_page_examples_run_as_shown(tmp_path: Path) -> None:
    assert run_page(PAGE, tmp_path) >= 4


def test_the_run_directory_holds_the_worked_example() -> None:
    """The page's table of ten units, its doctest and its run directory tell one story."""
    lines = (RUN_DIR / "events.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == attempt_rows(worked_example())
