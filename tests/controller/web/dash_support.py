"""What the dashboard tests share: a page read as a browser shows it (texts by element id,
tables as rows of cell texts, images), runs recorded from events, and ``mfg-ctl`` as JSON."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from mfg_ctl.cli.main import main
from mfg_ctl.run.events import RunFinished, RunStarted, StepFinished, UnitIdentity
from mfg_ctl.store import RunStore

#: Elements that have no end tag.
_VOID = frozenset(("img", "input", "meta", "link", "br", "hr"))


class Page(HTMLParser):
    """One HTML page: each element with an id (attributes, text), tables, images."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = text
        self.ids: dict[str, tuple[dict[str, str], str]] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[dict[str, str]] = []
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "img":
            self.images.append(found)
        if tag == "table":
            self._rows = []
            for name in (found.get("id"), *found.get("class", "").split()):
                if name:
                    self.tables[name] = self._rows
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        if tag not in _VOID:
            self._open.append((tag, found, []))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag == "table":
            self._rows = None
        while self._open:
            name, attrs, text = self._open.pop()
            if "id" in attrs:
                self.ids[attrs["id"]] = (attrs, " ".join("".join(text).split()))
            if self._open:
                self._open[-1][2].extend(text)
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)
        if self._cell is not None:
            self._cell.append(data)

    def text(self, element_id: str) -> str:
        """The text of the element with ``element_id``, spaces collapsed."""
        return self.ids[element_id][1]

    def attr(self, element_id: str, name: str) -> str:
        """An attribute of the element with ``element_id``."""
        return self.ids[element_id][0][name]

    def body(self, name: str) -> list[list[str]]:
        """The rows of a table (by id or class) below its header row."""
        return self.tables[name][1:]

    def error_line(self) -> str:
        """The one line of an error page."""
        found = re.search(r'<p class="error-line">(.*?)</p>', self.source, re.DOTALL)
        assert found is not None, "not an error page"
        return html.unescape(found.group(1))

    def images_of(self, css_class: str) -> list[dict[str, str]]:
        """The images carrying ``css_class``."""
        return [image for image in self.images if css_class in image.get("class", "").split()]


def page(client: FlaskClient, url: str) -> Page:
    """GET a page that must answer 200, read as a browser shows it."""
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:400]
    return Page(answer.get_data(as_text=True))


def ctl_json(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> Any:
    """``mfg-ctl ARGS --json --db DB`` in this process, its output decoded."""
    capsys.readouterr()
    status = main([*args, "--json", "--db", str(db)])
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out)


def record_failing_run(db: Path, run_id: str, step: str, station_id: str, sn: str) -> None:
    """Record one finished run of unit ``sn`` whose one step ``step`` failed."""
    started = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    with RunStore(f"sqlite:///{db}") as store:
        store.record_run(
            [
                RunStarted(
                    run_id=run_id, plan_name="odd_plan", plan_path="plans/odd_plan.yaml",
                    plan_text="", devices=(), framing="custom", started_at=started, step_count=1,
                    identity=UnitIdentity(sn=sn, station_id=station_id, stage="EVT"),
                ),
                StepFinished(
                    run_id=run_id, number=1, name=step, device="dmm", target="dc_voltage",
                    action="read", verdict="fail", detail="too low", measured=1.0, low=2.0,
                    high=3.0, finished_at=started,
                ),
                RunFinished(run_id, "fail", 0, 1, 0, 0.1, started),
            ]
        )
