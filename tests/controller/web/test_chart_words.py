"""The dashboards' charts speak the page's language and are drawn once per change of data.

The words are read off every figure as matplotlib saves it (a spy on ``Figure.savefig``
collecting the figure's texts), so a word that never reaches the drawing fails here;
the same spy counts the charts drawn, so the cache is tested without a clock.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from matplotlib.figure import Figure
from matplotlib.text import Text

from mfg_ctl.analytics.trends import StepSeries
from mfg_ctl.report.chart_words import ENGLISH, ChartWords, word_fields
from mfg_ctl.report.plots import capability_summary, histogram_png
from mfg_ctl.web.charts import ChartCache, chart_words, digest
from mfg_ctl.web.messages import catalogue, placeholders
from tests.controller.web.dash_support import page, record_failing_run
from tests.controller.web.support import csrf_of, make_app, wait_closed

GERMAN = chart_words(catalogue("de"))
#: The English words a German chart must not show (those German spells differently).
ENGLISH_ONLY = {
    getattr(ENGLISH, name)
    for name in word_fields()
    if getattr(ENGLISH, name) != getattr(GERMAN, name) and not placeholders(getattr(ENGLISH, name))
}


@dataclass
class Drawings:
    """The texts of each figure saved since the spy was set, one list per figure."""

    texts: list[list[str]]

    @property
    def count(self) -> int:
        """How many charts were drawn."""
        return len(self.texts)

    def since(self, start: int) -> set[str]:
        """Every text of the figures saved after the first ``start``."""
        return {text for texts in self.texts[start:] for text in texts}


@pytest.fixture(name="drawings")
def drawings_fixture(monkeypatch: pytest.MonkeyPatch) -> Drawings:
    found = Drawings([])
    save = Figure.savefig

    def spy(figure: Figure, *args: Any, **options: Any) -> Any:
        found.texts.append([text.get_text() for text in figure.findobj(Text) if text.get_text()])
        return save(figure, *args, **options)

    monkeypatch.setattr(Figure, "savefig", spy)
    return found


@dataclass(frozen=True)
class Store:
    """The module's store (a flaky batch, a failing run, a TempCo sweep) and the sweep's id."""

    folder: Path
    tempco: str

    def app(self) -> Flask:
        """A fresh app over the store: its chart cache starts empty."""
        return make_app(self.folder)


def _run(app: Flask, **body: str) -> str:
    """Start a run (or a batch) through the JSON API and wait for its end; its id."""
    client = app.test_client()
    answer = client.post("/api/runs", json=body, headers={"X-CSRF-Token": csrf_of(client)})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return wait_closed(app, answer.get_json()["run_id"]).channel_id


@pytest.fixture(scope="module", name="store")
def store_fixture(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("chart_words")
    app = make_app(folder)
    sns = "C1,C2,C3,C4"
    flaky = {"dut_profile": "factory-flaky", "parallel": "2"}
    _run(app, plan="dut_functional", sns=sns, batch_id="B1", stage="EVT", **flaky)
    record_failing_run(folder / "runs.db", "fail-1", "vout_1a", "ST-A", "C9")
    tempco = _run(app, plan="dvt_tempco", sn="T1", stage="DVT")
    return Store(folder, tempco)


def _copy(store: Store, folder: Path) -> Path:
    """A copy of the module's store in ``folder`` (SQLite's backup: the WAL's pages too)."""
    with (
        sqlite3.connect(store.folder / "runs.db") as source,
        sqlite3.connect(folder / "runs.db") as target,
    ):
        source.backup(target)
    return folder / "runs.db"


def _charts(app: Flask, url: str) -> list[str]:
    """The ``data:`` addresses of the charts a page shows."""
    shown = page(app.test_client(), url)
    return [image["src"] for image in shown.images if image["src"].startswith("data:image/png")]


# -- the words -------------------------------------------------------------------------------


def test_the_english_catalogue_holds_the_reports_words() -> None:
    english = catalogue("en").messages
    assert {key for key in english if key.startswith("chart.")} == {
        f"chart.{name}" for name in word_fields()
    }
    for name in word_fields():
        assert english[f"chart.{name}"] == getattr(ChartWords(), name), name
    assert chart_words(catalogue("en")) == ENGLISH


def test_german_spells_the_words_in_german() -> None:
    assert len(ENGLISH_ONLY) > 15  # most words differ
    assert GERMAN.classification("out of control") == "nicht beherrscht"
    assert GERMAN.classification("no analysis") == "no analysis"  # not a classification


PAGES = {
    "yield": (
        lambda store: "/yield",
        {GERMAN.count, GERMAN.pareto_cumulative, "50 %"},
        {ENGLISH.count, ENGLISH.pareto_cumulative, "50%"},
    ),
    "trends": (
        lambda store: "/trends",
        {GERMAN.control_reading, GERMAN.control_centre, GERMAN.control_limits, GERMAN.control_x},
        {ENGLISH.control_reading, ENGLISH.control_centre, ENGLISH.control_limits},
    ),
    "tempco": (
        lambda store: f"/tempco/{store.tempco}",
        {GERMAN.tempco_x, GERMAN.tempco_points, GERMAN.tempco_readings, GERMAN.tempco_y},
        {ENGLISH.tempco_x, ENGLISH.tempco_points, ENGLISH.tempco_readings},
    ),
}


@pytest.mark.parametrize("name", PAGES)
def test_a_german_page_draws_german_charts(name: str, store: Store, drawings: Drawings) -> None:
    address, german, english = PAGES[name]
    app, url = store.app(), address(store)
    in_english = _charts(app, f"{url}?lang=en")
    drawn = drawings.count
    in_german = _charts(app, f"{url}?lang=de")
    assert in_english
    assert len(in_german) == len(in_english)
    assert all(de != en for de, en in zip(in_german, in_english, strict=True))
    assert english <= drawings.since(0) - drawings.since(drawn)
    shown = drawings.since(drawn)
    assert german <= shown
    assert shown & ENGLISH_ONLY == set()


def test_the_titles_are_german_around_the_data(store: Store, drawings: Drawings) -> None:
    app = store.app()
    _charts(app, "/trends?lang=de")
    words = (GERMAN.in_control, GERMAN.trending, GERMAN.out_of_control)
    titles = [text for text in drawings.since(0) if text.startswith("vout_no_load (")]
    assert titles
    assert all(title.endswith(words) for title in titles), titles
    _charts(app, f"/tempco/{store.tempco}?lang=de")
    tempco = [text for text in drawings.since(0) if text.startswith("TempCo ")]
    assert tempco
    assert all("erwartet 50 ± 5, bezogen auf 25 °C" in title for title in tempco)


def test_the_report_functions_take_the_words_too(drawings: Drawings) -> None:
    values = [float(v) for v in np.random.default_rng(5).normal(5000.0, 3.0, 30)]
    summary = capability_summary(values, low=4980.0, high=None, unit="mV", words=GERMAN)
    assert summary.splitlines()[1] == "Mittel 4999.3 mV"
    assert "(innerhalb)" in summary
    plain = capability_summary(values, low=None, high=None, words=GERMAN)
    assert plain.endswith("Cpk nicht definiert: keine\n  Spezifikationsgrenze")
    histogram_png(values, title="dc", unit="mV", low=4980.0, words=GERMAN)
    assert {"Messwert (mV)", "Mittelwert", "USG 4980 mV", "Anzahl"} <= drawings.since(0)
    assert drawings.since(0) & ENGLISH_ONLY == set()


# -- the cache -------------------------------------------------------------------------------


def test_a_page_seen_again_draws_nothing_again(store: Store, drawings: Drawings) -> None:
    app = store.app()
    for url in ("/yield", "/trends", f"/tempco/{store.tempco}"):
        first = _charts(app, url)
        drawn = drawings.count
        assert drawn > 0
        assert first
        assert _charts(app, url) == first
        assert _charts(app, url + "?lang=en") == first
        assert drawings.count == drawn, url
        drawings.texts.clear()


def test_new_runs_draw_new_charts(store: Store, tmp_path: Path, drawings: Drawings) -> None:
    _copy(store, tmp_path)
    app = make_app(tmp_path)
    trends, pareto = _charts(app, "/trends"), _charts(app, "/yield")
    drawn = drawings.count
    _run(app, plan="dut_functional", sn="C5", stage="EVT")
    after = _charts(app, "/trends")
    assert len(after) == len(trends)
    assert all(new != old for new, old in zip(after, trends, strict=True))
    assert drawings.count >= drawn + len(trends)
    record_failing_run(tmp_path / "runs.db", "fail-2", "a step never failed before", "ST-A", "C8")
    drawn = drawings.count
    assert _charts(app, "/yield") != pareto
    assert drawings.count > drawn


def _image(key: str, size: int = 4) -> Callable[[], bytes]:
    return lambda: key.encode()[:1] * size


def test_the_cache_keeps_the_most_recently_used_images_within_its_bounds() -> None:
    cache = ChartCache(most_images=2, most_bytes=10)
    drawn: list[str] = []

    def image(key: str, size: int = 4) -> bytes:
        def draw() -> bytes:
            drawn.append(key)
            return _image(key, size)()

        return cache.image(("chart", key), draw)

    assert [image("a"), image("b"), image("a")] == [b"aaaa", b"bbbb", b"aaaa"]
    image("c")  # the third: b, the least recently used, goes
    assert (len(cache), cache.size) == (2, 8)
    image("a")
    image("b")
    assert drawn == ["a", "b", "c", "b"]
    image("d", 6)  # 4 + 6 bytes fit; the third image still pushes one out
    image("e", 11)  # larger than the whole cache: drawn, never kept
    image("e", 11)
    assert drawn[-3:] == ["d", "e", "e"]
    assert cache.size <= 10
    assert len(cache) <= 2


def test_the_cache_serves_many_threads_the_right_images() -> None:
    cache = ChartCache(most_images=4)
    wrong: list[tuple[str, bytes]] = []

    def ask(worker: int) -> None:
        for turn in range(200):
            key = f"{(worker * 7 + turn) % 10}"
            got = cache.image(("chart", key), _image(key))
            if got != _image(key)():
                wrong.append((key, got))

    threads = [threading.Thread(target=ask, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert wrong == []
    assert len(cache) == 4
    assert cache.size == 16


def _series(values: list[float], high: float | None = 5.0) -> StepSeries:
    runs = tuple(f"r{index}" for index in range(len(values)))
    return StepSeries("plan", "vout", 1, "vout", np.asarray(values), runs, None, high)


def test_the_key_is_the_inputs_never_the_objects() -> None:
    values = [1.0, 1.5, 0.5]
    assert digest(_series(values)) == digest(_series(list(values)))
    assert digest({"a": 1, "b": [2.0]}) == digest({"b": [2.0], "a": 1})
    assert digest(_series(values)) != digest(_series([1.0, 1.5, 0.50000001]))
    assert digest(_series(values)) != digest(_series(values, high=None))
    assert digest(("chart", ENGLISH)) != digest(("chart", GERMAN))
    assert digest([math.nan]) == digest([math.nan])
    with pytest.raises(TypeError, match="no canonical form"):
        digest(object())
    cache, drawn = ChartCache(), []

    def draw() -> bytes:
        drawn.append(1)
        return b"x"

    for _turn in range(2):  # an input without a key: drawn each time, never kept
        assert cache.image(("chart", object()), draw) == b"x"
    assert drawn == [1, 1]
    assert len(cache) == 0
