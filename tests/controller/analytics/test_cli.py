"""``mfg-ctl analytics --run-dir``: a batch's events.jsonl end to end, and the bad ones."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from mfg_ctl.cli.main import main
from tests.controller.analytics.fixture import attempt_rows, twenty_units

Ctl = Callable[..., tuple[int, str, str]]
WORKED_EXAMPLE = Path(__file__).parent / "data" / "worked_example"


@pytest.fixture(name="ctl")
def ctl_fixture(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Ctl:
    """``mfg-ctl ARGS`` in this process, with a private store: status, stdout, stderr."""
    monkeypatch.setenv("MFG_CTL_DB", str(tmp_path / "runs.db"))

    def ctl(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main([str(arg) for arg in args])
        out, err = capsys.readouterr()
        return status, out, err

    return ctl


def write_events(directory: Path, rows: Iterable[dict[str, Any] | str]) -> Path:
    """A run directory whose events.jsonl has one line per row (a str is written as is)."""
    directory.mkdir(exist_ok=True)
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    (directory / "events.jsonl").write_text("".join(line + "\n" for line in lines))
    return directory


def test_text_report_of_the_worked_example(ctl: Ctl) -> None:
    status, out, err = ctl("analytics", "--run-dir", WORKED_EXAMPLE)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "units: 10 tested, 8 passed, 2 failed"
    assert lines[2].split() == ["FPY", "60.0%", "6/10", "right", "first", "time"]
    assert lines[3].split()[:3] == ["final", "yield", "80.0%"]
    assert lines[4].split()[:3] == ["flaky", "rate", "10.0%"]
    assert lines[5].split()[:2] == ["RTY", "-"]  # one stage
    pareto = lines[lines.index("name     runs  share  cumulative") + 1 :][:3]
    assert [line.split() for line in pareto] == [
        ["ripple", "2", "50.0%", "50.0%"],
        ["power", "1", "25.0%", "75.0%"],
        ["voltage", "1", "25.0%", "100.0%"],
    ]
    assert "ST2           4           2       2  50.0%   50.0%" in lines


def test_json_report_of_the_twenty_units(ctl: Ctl, tmp_path: Path) -> None:
    run_dir = write_events(tmp_path / "batch", attempt_rows(twenty_units()))
    status, out, err = ctl("analytics", "--run-dir", run_dir, "--json")
    assert (status, err) == (0, "")
    report = json.loads(out)
    assert report["units"] == {"tested": 20, "passed": 17, "failed": 3}
    assert report["yield"]["fpy"] == pytest.approx(0.55)  # the same figures as from the records
    assert report["yield"]["rty"] == pytest.approx(0.30)
    assert [e["count"] for e in report["pareto"]["error_codes"]] == [4, 4, 3, 1, 1]
    assert [s["key"] for s in report["stratification"]["hour"]] == [
        "2026-11-02 09:00",
        "2026-11-02 10:00",
    ]


def test_blank_lines_and_runs_still_going_are_left_out(ctl: Ctl, tmp_path: Path) -> None:
    rows = attempt_rows(twenty_units()[:2])
    going = [{**row, "run_id": "r99", "sn": "SN77", "run_status": "running"} for row in rows[:2]]
    run_dir = write_events(tmp_path / "batch", [rows[0], "", "  ", *rows[1:], *going])
    status, out, _ = ctl("analytics", "--run-dir", run_dir, "--json")
    assert status == 0
    assert json.loads(out)["units"]["tested"] == 2  # SN77's unfinished run is not counted


def test_an_empty_events_file_reports_no_units(ctl: Ctl, tmp_path: Path) -> None:
    status, out, err = ctl("analytics", "--run-dir", write_events(tmp_path / "batch", []))
    assert (status, out, err) == (0, "units: 0 tested (no finished runs in scope)\n", "")


GOOD = attempt_rows(twenty_units()[:1])[0]


@pytest.mark.parametrize(
    ("third_line", "problem"),
    [
        ("{not json", "not JSON (Expecting property name"),
        ("[1, 2]", "expected a JSON object, found a list"),
        ('{"run_id": "w01"}', "missing 23 of the 24 fields of a step attempt (batch_id, "),
        (json.dumps({k: v for k, v in GOOD.items() if k not in ("sn", "attempt")}),
         "missing fields sn, attempt"),
        (json.dumps({**GOOD, "attempt": "two"}),
         "attempt must be a whole number, not 'two'"),
        (json.dumps({**GOOD, "step_index": True}), "step_index must be a whole number"),
        (json.dumps({**GOOD, "status": "meh"}), "status 'meh' is not one of pass, fail"),
        (json.dumps({**GOOD, "run_status": "ok"}), "run_status 'ok' is not one of passed"),
        (json.dumps({**GOOD, "run_started": "yesterday"}),
         "run_started 'yesterday' is not an ISO 8601 time"),
        (json.dumps({**GOOD, "sn": 12}), "sn must be text, not a number"),
        (json.dumps({**GOOD, "error_code": 7}), "error_code must be text or null"),
        ("[" * 100_000, ""),
    ],
)  # fmt: skip
def test_a_bad_line_is_named_by_file_and_number(
    ctl: Ctl, tmp_path: Path, third_line: str, problem: str
) -> None:
    run_dir = write_events(tmp_path / "batch", [GOOD, GOOD, third_line, GOOD])
    status, out, err = ctl("analytics", "--run-dir", run_dir)
    assert (status, out) == (2, "")
    assert err.startswith(f"error: {run_dir / 'events.jsonl'}:3: {problem}"), err
    assert err.count("\n") == 1  # one line, no traceback


def test_run_dirs_that_cannot_be_read(ctl: Ctl, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    assert ctl("analytics", "--run-dir", missing) == (
        2, "", f"error: {missing} is not a directory: give a batch's run directory\n"
    )  # fmt: skip
    assert ctl("analytics", "--run-dir", tmp_path) == (
        2, "", f"error: no events.jsonl in {tmp_path}: is it a batch's run directory?\n"
    )  # fmt: skip
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "events.jsonl").mkdir()  # a directory where the file should be
    status, out, err = ctl("analytics", "--run-dir", tmp_path / "odd")
    assert (status, out) == (2, "")
    assert err.startswith(f"error: cannot read {tmp_path / 'odd' / 'events.jsonl'}: ")
    (tmp_path / "latin").mkdir()
    (tmp_path / "latin" / "events.jsonl").write_bytes(b'{"sn": "caf\xe9"}\n')
    status, _, err = ctl("analytics", "--run-dir", tmp_path / "latin")
    assert (status, err.count("\n")) == (2, 1)
    assert "not UTF-8 text" in err


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ([], "say which runs: --run-dir DIR, --batch-id B, or --since ISO --until ISO"),
        (["--run-dir", WORKED_EXAMPLE, "--batch-id", "B7"], "--run-dir reads one batch's events"),
        (["--run-dir", WORKED_EXAMPLE, "--db", "x.db"], "--run-dir reads DIR/events.jsonl, not"),
        (["--since", "last week"], "--since 'last week' is not an ISO 8601 date or time"),
        (["--since", "2026-11-02", "--until", "2026-13-01"], "--until '2026-13-01' is not an ISO"),
        (["--since", "2026-11-02T10:00", "--until", "2026-11-02T11:00+01:00"],
         "--since 2026-11-02T10:00:00+00:00 is not before --until 2026-11-02T10:00:00+00:00"),
    ],
)  # fmt: skip
def test_bad_usage_is_one_line_and_exit_2(ctl: Ctl, args: list[Any], problem: str) -> None:
    status, out, err = ctl("analytics", *args)
    assert (status, out) == (2, "")
    assert err.startswith(f"error: {problem}"), err
    assert err.count("\n") == 1
