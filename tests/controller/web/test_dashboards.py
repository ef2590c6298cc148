"""``/yield`` and ``/trends``: the figures ``mfg-ctl analytics`` and ``mfg-ctl trends`` print,
shown as tiles, tables, heatmaps and charts over runs started through the web UI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from tests.controller.web.dash_support import Page, ctl_json, page, record_failing_run
from tests.controller.web.support import make_app, post, wait_closed

BATCH = ("A1", "A2", "A3", "A4", "A5", "A6")
MARKUP = "<img src=x onerror=alert(1)>"


@dataclass(frozen=True)
class Store:
    """The module's store: a flaky EVT batch on ST-A, three DVT bring-ups on ST-B."""

    app: Flask
    db: Path


def _run(app: Flask, **form: str) -> None:
    started = post(app.test_client(), "/runs", **form)
    assert started.status_code == 303, started.get_data(as_text=True)
    wait_closed(app, started.headers["Location"].split("/")[2])


@pytest.fixture(scope="module", name="store")
def store_fixture(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("dashboards")
    line_a = make_app(folder, station_id="ST-A")
    _run(
        line_a,
        plan="dut_functional",
        sns=",".join(BATCH),
        batch_id="B1",
        stage="EVT",
        parallel="2",
        dut_profile="factory-flaky",
    )
    line_b = make_app(folder, station_id="ST-B")
    for sn in ("S1", "S2", "S3"):
        _run(line_b, plan="station_bringup", sns=sn, stage="DVT", operator="ana")
    return Store(line_b, folder / "runs.db")


def test_the_tiles_and_the_api_give_the_figures_of_mfg_ctl_analytics(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    client = store.app.test_client()
    for query, options in (("batch_id=B1", ("--batch-id", "B1")), ("", ("--since", "2000-01-01"))):
        expected = ctl_json(capsys, store.db, "analytics", *options)
        answer = client.get(f"/api/yield?{query}").get_json()
        assert {key: answer[key] for key in expected} == expected
        shown = page(client, f"/yield?{query}&lang=en")
        for tile, figure in (
            ("kpi-fpy", "fpy"),
            ("kpi-final-yield", "final_yield"),
            ("kpi-flaky", "flaky_rate"),
            ("kpi-rty", "rty"),
        ):
            value = expected["yield"][figure]
            raw = shown.attr(tile, "data-value")
            assert (float(raw) if raw else None) == value
            assert shown.text(tile).endswith("-" if value is None else f"{100 * value:.1f} %")
        units = expected["units"]
        assert shown.text("units-tested") == f"{units['tested']} units tested"
        assert shown.text("units-failed") == f"{units['failed']} failed"
    whole = client.get("/api/yield").get_json()
    assert whole["units"]["tested"] == len(BATCH) + 3
    assert whole["yield"]["rty"] is not None  # two stages: EVT and DVT


def test_the_paretos_list_the_failing_steps_and_codes_with_their_charts(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = ctl_json(capsys, store.db, "analytics", "--batch-id", "B1")["pareto"]
    assert expected["steps"], "the flaky batch should fail some step"
    shown = page(store.app.test_client(), "/yield?batch_id=B1")
    for kind, entries in (("steps", expected["steps"]), ("codes", expected["error_codes"])):
        rows = shown.body(f"pareto-{kind}-table")
        assert [(row[0], int(row[1])) for row in rows] == [
            (entry["name"], entry["count"]) for entry in entries
        ]
        [image] = shown.images_of(f"pareto-{kind}")
        assert image["src"].startswith("data:image/png;base64,")


def test_the_heatmaps_count_each_failing_step_by_station_and_hour(store: Store) -> None:
    client = store.app.test_client()
    pareto = client.get("/api/yield").get_json()["pareto"]["steps"]
    shown = page(client, "/yield")
    assert "heatmap" in shown.ids
    header, *rows = shown.tables["heatmap-station"]
    assert header[1:] == ["ST-A", "ST-B"]
    assert [row[0] for row in rows] == [entry["name"] for entry in pareto]
    for row, entry in zip(rows, pareto, strict=True):
        assert int(row[1]) == entry["count"]  # every failure of the flaky batch was on ST-A
        assert row[2] == "0"
    hours = shown.body("heatmap-hour")
    assert [sum(map(int, row[1:])) for row in hours] == [entry["count"] for entry in pareto]
    most = max(entry["count"] for entry in pareto)
    assert f'class="num heat-4">{most}<' in shown.source
    assert 'class="num heat-0">0<' in shown.source


def test_the_strata_tables_split_the_units_as_the_command_does(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = ctl_json(capsys, store.db, "analytics", "--since", "2000-01-01")["stratification"]
    shown = page(store.app.test_client(), "/yield")
    for dimension in ("station", "stage", "batch", "operator"):
        table = shown.body(f"strata-{dimension}")
        assert [(row[0], int(row[1]), int(row[3])) for row in table] == [
            (stratum["key"] or "-", stratum["tested"], stratum["passed"])
            for stratum in expected[dimension]
        ]


def test_the_filters_pick_plan_station_and_stage(store: Store) -> None:
    client = store.app.test_client()

    def tested(query: str) -> int:
        return int(client.get(f"/api/yield?{query}").get_json()["units"]["tested"])

    assert tested("plan=station_bringup") == 3
    assert tested("station_id=ST-A") == len(BATCH)
    assert tested("stage=DVT&station_id=ST-A") == 0
    assert tested("until=2000-01-01") == 0
    shown = page(client, "/yield?stage=PVT&lang=en")
    assert shown.text("no-runs") == "No finished runs of units match these filters."


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("since=yesterday", "since 'yesterday' is not an ISO 8601 date or time"),
        ("until=2026-13-01", "until '2026-13-01' is not an ISO 8601"),
        ("since=2026-11-02&until=2026-11-01", "since must be before until"),
        ("plan=" + "p" * 65, "plan is longer than 64 characters"),
    ],
)
def test_bad_filters_are_one_line_and_400(store: Store, query: str, problem: str) -> None:
    client = store.app.test_client()
    answer = client.get(f"/api/yield?{query}")
    assert answer.status_code == 400
    assert answer.get_json()["error"].startswith(problem)
    shown = client.get(f"/yield?{query}&lang=en")
    assert shown.status_code == 400
    assert Page(shown.get_data(as_text=True)).error_line() == answer.get_json()["error"]


def test_an_empty_store_says_there_are_no_runs_yet(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    assert page(client, "/yield?lang=en").text("no-runs").startswith("No runs yet")
    assert page(client, "/trends?lang=en").text("no-runs").startswith("No measured results yet")
    assert client.get("/api/yield").get_json()["units"]["tested"] == 0


def test_the_pages_speak_german(store: Store) -> None:
    client = store.app.test_client()
    shown = page(client, "/yield?lang=de")
    assert shown.text("kpi-fpy").startswith("Erstdurchlaufausbeute")
    assert "," in shown.text("kpi-final-yield")  # 88,9 %: the German decimal comma
    assert "Wo Schritte fehlschlagen" in shown.source
    trends = page(client, "/trends?plan=dut_functional&lang=de")
    assert trends.tables["trends-table"][0][:3] == ["Schritt", "n", "Mittelwert"]
    assert "beherrscht" in trends.source


def test_each_measured_step_has_its_control_chart_and_the_figures_of_mfg_ctl_trends(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    client = store.app.test_client()
    expected = ctl_json(capsys, store.db, "trends", "--plan", "dut_functional")
    answer = client.get("/api/trends?plan=dut_functional").get_json()
    assert answer["steps"] == expected["steps"]
    shown = page(client, "/trends?plan=dut_functional&lang=en")
    names = [step["step"] for step in expected["steps"]]
    assert [image["alt"] for image in shown.images_of("control-chart")] == names
    rows = shown.body("trends-table")
    assert [(row[0], int(row[1])) for row in rows] == [
        (s["step"], s["n"]) for s in expected["steps"]
    ]
    assert {row[5] for row in rows} <= {"in control", "trending", "out of control"}


def test_one_step_has_its_chart_details_as_the_command_gives_them(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    client = store.app.test_client()
    expected = ctl_json(capsys, store.db, "trends", "--plan", "dut_functional", "--step", "vout_1a")
    answer = client.get("/api/trends?plan=dut_functional&step=vout_1a").get_json()
    assert answer["steps"] == expected["steps"]
    assert "chart" in answer["steps"][0]
    shown = page(client, "/trends?plan=dut_functional&step=vout_1a")
    assert [image["alt"] for image in shown.images_of("control-chart")] == ["vout_1a"]


def test_steps_without_a_chart_say_why(store: Store) -> None:
    shown = page(store.app.test_client(), "/trends?plan=station_bringup&lang=en")
    assert not shown.images_of("control-chart")  # the simulated bring-up reads constants
    assert "No control chart: constant readings" in shown.source


@pytest.mark.parametrize(
    ("query", "status", "problem"),
    [
        ("plan=no_such", 404, "no measured results for plan 'no_such'; plans with results: 'dut_"),
        ("plan=dut_functional&step=nope", 404, "no measured results for step 'nope'; steps with"),
        ("plan=dut_functional&page=0", 400, "page must be a whole number from 1"),
        ("plan=dut_functional&page=9", 404, "there is no page 9"),
    ],
)
def test_unknown_plans_steps_and_pages_are_one_line(
    store: Store, query: str, status: int, problem: str
) -> None:
    shown = store.app.test_client().get(f"/trends?{query}&lang=en")
    assert shown.status_code == status
    assert Page(shown.get_data(as_text=True)).error_line().startswith(problem)


def test_names_from_the_store_are_shown_as_text_never_as_markup(tmp_path: Path) -> None:
    record_failing_run(tmp_path / "runs.db", "odd-1", MARKUP, MARKUP, "X1")
    client = make_app(tmp_path).test_client()
    for url in ("/yield", "/trends"):
        source = page(client, url).source
        assert MARKUP not in source
        assert "&lt;img src=x onerror=alert(1)&gt;" in source
    shown = page(client, "/yield")
    assert shown.body("heatmap-station") == [[MARKUP, "1"]]
    assert shown.tables["heatmap-station"][0] == ["Step", MARKUP]
    assert shown.body("pareto-steps-table")[0][0] == MARKUP


def test_the_pages_keep_to_the_content_security_policy(store: Store) -> None:
    client = store.app.test_client()
    for url in ("/yield", "/trends", "/yield?batch_id=B1"):
        source = page(client, url).source
        assert "style=" not in source
        assert "<script" not in source
        assert "<style" not in source
