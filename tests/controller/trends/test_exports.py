"""``mfg-ctl trends --export``: Markdown with chart files beside it, self-contained HTML."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.controller.cli.support import Ctl
from tests.controller.trends.support import Step, drifting, flat, record_runs

#: A step name a page must show as text, never as markup.
HOSTILE = 'volts <b>&"x"</b> | $x$ [y](z)'


@pytest.fixture
def exported_db(db: Path) -> Path:
    readings = flat(40)
    readings[25] = 5030.0
    record_runs(
        db,
        [
            Step(HOSTILE, drifting(60, 0.1, seed=15), low=4980.0, high=5020.0),
            Step("spiky", readings + flat(20, seed=3), low=4900.0, high=5100.0),
            Step("rare", [1.0, 2.0] + [None] * 58),
        ],
    )
    return db


def test_html_is_self_contained_with_an_inline_chart_per_analysed_step(
    ctl: Ctl, exported_db: Path, tmp_path: Path
) -> None:
    del exported_db
    page = tmp_path / "trends.html"
    result = ctl("trends", "--export", page)
    assert result.status == 0
    assert result.err == f"trends written to {page} (2 charts)\n"
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg ") == 2
    assert "<?xml" not in text
    assert "<!DOCTYPE svg" not in text
    for outside in (r"\bsrc=", r"href=\"(?!#)", r"<link\b", r"<script\b", r"url\((?!#)", "@import"):
        assert not re.search(outside, text), outside
    # The hostile name is shown escaped in the table, the heading and the chart's title.
    assert "<b>" not in text
    assert text.count("volts &lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;") >= 2
    assert "volts &lt;b&gt;&amp;" in text.split("<svg", 2)[1]
    assert "needs 3 results, has 2" in text
    spiky_chart = text.split("<h2>spiky", 1)[1].split("</svg>", 1)[0]
    assert ">1<" in spiky_chart  # the flagged point is marked with its rule number


def test_markdown_links_chart_files_written_beside_it(
    ctl: Ctl, exported_db: Path, tmp_path: Path
) -> None:
    del exported_db
    page = tmp_path / "my trends.md"
    assert ctl("trends", "--export", page).status == 0
    text = page.read_text(encoding="utf-8")
    links = re.findall(r"^!\[.*\]\(([^)]+)\)$", text, re.MULTILINE)
    assert len(links) == 2
    for link in links:
        image = tmp_path / unquote(link)
        assert image.is_file()
        assert image.read_text(encoding="utf-8").startswith("<svg ")
    assert "volts \\<b\\>\\&\"x\"\\</b\\> \\| $x$ \\[y\\](z)" in text
    assert "| drift_plan |" not in text  # underscores escaped
    assert "needs 3 results, has 2" in text


def test_an_export_that_cannot_be_written_is_one_line(
    ctl: Ctl, exported_db: Path, tmp_path: Path
) -> None:
    del exported_db
    result = ctl("trends", "--export", tmp_path / "missing" / "trends.html")
    assert result.status == 2
    assert len(result.err.splitlines()) == 1
    assert result.err.startswith(f"error: cannot write {tmp_path / 'missing' / 'trends.html'}")


def test_matplotlib_is_not_imported_to_start_the_command_line() -> None:
    probe = "import sys, mfg_ctl.cli.main; print('matplotlib' in sys.modules)"
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert found.stdout.strip() == "False"
