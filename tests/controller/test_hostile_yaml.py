"""Plan and station files built to hurt: one short error line, at once, whatever they hold.

The alias bomb stands for 9**9 (387 million) values in 360 bytes; before the
bounded loader its error line was 254 MB long and took seconds. The real-process
tests are bounded by a generous process timeout (what they guard against took
minutes), never by a wall-clock assertion.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mfg_ctl.plan import PlanError, parse_plan
from mfg_ctl.stations import StationError, parse_station

ROOT = Path(__file__).resolve().parents[2]
SHORT = 300  # characters: the longest error line these inputs may produce

BOMB = "".join(
    [
        "name: bomb\n",
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n',
        *(
            f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "steps: *i\n",
    ]
)
#: Deep enough to exhaust the recursive composer (3,000 levels was the report; 1,000
#: already gave a RecursionError traceback), twenty times what a plan may nest.
LEVELS = 1000
DEEP_LISTS = "name: deep\nsteps: " + "[" * LEVELS + "]" * LEVELS + "\n"
DEEP_MAPS = "name: deep\nsteps: " + "{a: " * LEVELS + "1" + "}" * LEVELS + "\n"
SELF = "name: loop\nsteps: &s [*s]\n"

HOSTILE = [
    pytest.param(BOMB, "aliases expand to more than 100000 values", id="alias bomb"),
    pytest.param(DEEP_LISTS, "nested deeper than 50 levels", id="deeply nested lists"),
    pytest.param(DEEP_MAPS, "nested deeper than 50 levels", id="deeply nested mappings"),
    pytest.param(SELF, "an alias refers to a value that contains it", id="recursive alias"),
]


def plan_error(text: str) -> str:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, "plans/x.yaml")
    return str(caught.value)


def test_the_bomb_is_small_and_would_be_huge() -> None:
    assert len(BOMB) < 480
    assert BOMB.count("*") == 8 * 9 + 1


@pytest.mark.parametrize(("text", "words"), HOSTILE)
def test_hostile_plans_are_one_short_line(text: str, words: str) -> None:
    message = plan_error(text)
    assert message.startswith("plans/x.yaml: not valid YAML at line ")
    assert words in message
    assert "\n" not in message
    assert len(message) < SHORT


@pytest.mark.parametrize(("text", "words"), HOSTILE)
def test_hostile_station_files_are_one_short_line(text: str, words: str) -> None:
    with pytest.raises(StationError) as caught:
        parse_station(text.replace("steps:", "devices:"), "stations/x.yaml")
    message = str(caught.value)
    assert words in message
    assert "\n" not in message
    assert len(message) < SHORT


def test_fifty_levels_are_still_fine() -> None:
    nested = "[" * 48 + "1" + "]" * 48  # 49 levels under steps:, 50 with the top mapping
    message = plan_error(f"name: ok\nsteps: {nested}\n")
    assert "nested" not in message  # refused for what it is, not for its depth


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda big: f"name: {'x' * big}\nsteps: [1]\n", id="a long name"),
        pytest.param(lambda big: f"name: p\nsteps: [1]\n{'k' * big}: 1\n", id="a long key"),
        pytest.param(
            lambda big: (
                "name: p\nsteps:\n  - {name: s, device: dmm, register: dc_voltage, range: ["
                + ", ".join(["1"] * big)
                + "]}\n"
            ),
            id="a long range",
        ),
        pytest.param(
            lambda big: (
                "name: p\nsteps:\n  - {name: s, device: " + "d" * big + ", register: r, write: 1}\n"
            ),
            id="a long device",
        ),
        pytest.param(
            lambda big: (
                "name: p\ndevices: {m: {scpi: multimeter}}\nsteps:\n"
                f'  - {{name: s, device: m, query: "{"X" * big}?", range: [0, 1]}}\n'
            ),
            id="a long command",
        ),
    ],
)
def test_errors_never_echo_a_huge_value(edit: object) -> None:
    message = plan_error(edit(20_000))  # type: ignore[operator]
    assert "\n" not in message
    assert len(message) < 2 * SHORT, message[:400]


def mfg_ctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mfg_ctl", *args],
        cwd=cwd,
        env={
            # A real process, for its exit status and its bound; not measured for coverage
            # (the loader's paths are covered in-process above), which would slow it 10x.
            **{k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS")},
            "PYTHONPATH": str(ROOT),
            "MFG_CTL_DB": str(cwd / "runs.db"),
        },
        capture_output=True,
        text=True,
        timeout=30,  # the unbounded loader needed minutes for what follows
        check=False,
    )


@pytest.mark.parametrize("text", [BOMB, DEEP_LISTS], ids=["alias bomb", "deep nesting"])
def test_mfg_ctl_refuses_a_hostile_plan_or_station_in_one_line(text: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    ran = mfg_ctl("run", str(plan), cwd=tmp_path)
    assert (ran.returncode, ran.stdout) == (2, "")
    assert ran.stderr.startswith(f"error: {plan}: not valid YAML at line ")
    assert ran.stderr.count("\n") == 1
    assert len(ran.stderr) < SHORT

    station = tmp_path / "station.yaml"
    station.write_text(text.replace("steps:", "devices:"))
    bench = mfg_ctl(
        "run", str(ROOT / "plans" / "station_bringup.yaml"), "--station", str(station), cwd=tmp_path
    )
    assert (bench.returncode, bench.stdout) == (2, "")
    assert bench.stderr.startswith(f"error: {station}: not valid YAML at line ")
    assert bench.stderr.count("\n") == 1
    assert len(bench.stderr) < SHORT
