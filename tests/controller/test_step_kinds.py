"""Step kinds are plug-ins: installed distributions add kinds, and the sequencer treats all alike.

Every distribution here is real to ``importlib.metadata``: a package and its
``.dist-info`` (with ``entry_points.txt``) in a folder on ``sys.path``, found by
the registry as an installed distribution is.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mfg_ctl.plan import PlanError, parse_plan
from mfg_ctl.run.events import Event, RunFinished, StepFinished, StepProgress
from mfg_ctl.run.sequencer import RunOutcome, Sequencer
from mfg_ctl.steps import registry, step_kinds
from tests.docs.harness import blocks

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "doc" / "step_kinds.rst"

Install = Callable[[str, str, dict[str, str]], None]


def install(site: Path, package: str, source: str, entry_points: dict[str, str]) -> None:
    """Install ``package`` (one module) into ``site`` as distribution ``package`` 1.0."""
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text(source)
    info = site / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 1.0\n")
    lines = [f"{name} = {target}" for name, target in entry_points.items()]
    (info / "entry_points.txt").write_text("[mfg_ctl.steps]\n" + "\n".join(lines) + "\n")


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """Install distributions into a site folder on ``sys.path``; forgotten afterwards."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    packages: list[str] = []

    def add(package: str, source: str, entry_points: dict[str, str]) -> None:
        install(site, package, source, entry_points)
        packages.append(package)
        registry.forget()

    yield add
    registry.forget()
    for package in packages:
        sys.modules.pop(package, None)


# -- the page's worked example --------------------------------------------------------------


def test_the_documented_kind_runs_its_plan_as_the_page_shows(tmp_path: Path) -> None:
    found = {block.language: block.text for block in blocks(PAGE)}
    entry_points = tomllib.loads(found["toml"])["project"]["entry-points"]["mfg_ctl.steps"]
    site = tmp_path / "site"
    install(site, "bench_average", found["python"], entry_points)
    (tmp_path / "averaged_vout.yaml").write_text(found["yaml"])
    command, *shown = found["console"].splitlines()
    assert command == "$ mfg-ctl run averaged_vout.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "mfg_ctl", "run", "averaged_vout.yaml"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}",
             "MFG_CTL_DB": str(tmp_path / "runs.db")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    printed = result.stdout.splitlines()
    assert len(printed) == len(shown)
    for want, got in zip(shown, printed, strict=True):
        pattern = re.escape(want).replace(r"\.\.\.", ".*")
        pattern = re.sub(r"passed\\ in\\ [0-9.\\]+s", r"passed\\ in\\ [0-9.]+s", pattern)
        assert re.fullmatch(pattern, got), (want, got)


# -- the registry -----------------------------------------------------------------------------

FLAKY = '''
"""A kind whose attempts do what the step says: time out, find nothing there, or pass."""

from typing import ClassVar

from mfg_ctl.steps import (
    Limits, Progress, RefusedError, StepBase, StepKind, StepOutcome, TransientError,
    UnreachableError,
)


class FlakyStep(StepBase):
    kind: ClassVar[str] = "flaky"
    flaky: list[str]

    @property
    def action(self) -> str:
        return "read"

    @classmethod
    def check_device(cls, device, info) -> None:
        pass


def run(step, context):
    client = context.client(step.device)
    client.attempts += 1
    what = step.flaky[min(client.attempts, len(step.flaky)) - 1]
    if what == "timeout":
        raise TransientError("no response within 1 s")
    if what == "gone":
        raise UnreachableError("cannot connect to 127.0.0.1:1")
    if what == "refused":
        raise RefusedError("illegal data value")
    if what == "away":
        return StepOutcome("error", "unreachable: nobody home", unreachable=True)
    context.progress(Progress("half", "measured 1 V halfway", 1.0, "V"))
    return StepOutcome("pass", "measured 2 V", 2.0, Limits(1.0, 3.0, 2.0), "V")


KIND = StepKind("flaky", FlakyStep, lambda raw: "flaky" in raw, run)
'''


class Client:
    """A device the flaky kind counts its attempts on."""

    def __init__(self) -> None:
        self.attempts = 0
        self.closes = 0

    def close(self) -> None:
        self.closes += 1


def run_flaky(*steps: str) -> tuple[list[Event], dict[str, Client], RunOutcome]:
    lines = [f"  - {{{step}}}" for step in steps]
    plan = parse_plan("name: flaky_plan\nsteps:\n" + "\n".join(lines) + "\n", "plans/f.yaml")
    clients = {name: Client() for name in plan.device_names}
    events: list[Event] = []
    outcome = Sequencer(plan, clients, (), [events.append], "custom").run()
    return events, clients, outcome


def finished(events: list[Event]) -> list[StepFinished]:
    return [event for event in events if isinstance(event, StepFinished)]


def test_installed_kinds_are_asked_after_the_builtin_ones(installed: Install) -> None:
    installed("flaky_kind", FLAKY, {"flaky": "flaky_kind:KIND"})
    assert list(step_kinds()) == ["register", "tempco", "scpi", "line", "prompt", "flaky"]
    assert registry.step_kind({"flaky": [], "register": "x"}) == "register"
    assert registry.step_kind({"flaky": []}) == "flaky"


def test_a_plan_step_of_a_kind_nobody_installed_is_a_plan_error() -> None:
    registry.forget()
    with pytest.raises(PlanError, match=r"step 1 \(a\), field register: missing"):
        parse_plan("name: p\nsteps:\n  - {name: a, device: x, flaky: [ok]}\n", "plans/f.yaml")


def test_kinds_that_cannot_be_used_are_left_out_and_logged(
    installed: Install, caplog: pytest.LogCaptureFixture
) -> None:
    installed(
        "odd_kinds",
        FLAKY + "NOT_A_KIND = 5\n",
        {
            "register": "odd_kinds:KIND",  # taken by a built-in kind
            "missing": "odd_kinds.nowhere:KIND",  # cannot be imported
            "five": "odd_kinds:NOT_A_KIND",  # not a StepKind
            "renamed": "odd_kinds:KIND",  # calls itself flaky
        },
    )
    with caplog.at_level(logging.WARNING, logger=registry.__name__):
        assert list(step_kinds()) == ["register", "tempco", "scpi", "line", "prompt"]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "odd_kinds:KIND (entry point register of mfg_ctl.steps) left out: the name is taken" in (
        logged
    )
    assert "ModuleNotFoundError" in logged
    assert "is a int, not a StepKind" in logged
    assert "calls itself 'flaky', not 'renamed'" in logged


# -- the sequencer treats every kind alike --------------------------------------------------


def test_every_kind_is_retried_after_a_transient_error(installed: Install) -> None:
    installed("flaky_kind", FLAKY, {"flaky": "flaky_kind:KIND"})
    events, clients, _ = run_flaky(
        "name: twice, device: a, flaky: [timeout, timeout, ok], retries: 2",
        "name: once, device: b, flaky: [timeout], retries: 0",
    )
    passed, failed = finished(events)
    assert (passed.verdict, passed.attempts, clients["a"].closes) == ("pass", 3, 2)
    assert (passed.measured, passed.low, passed.high, passed.expected, passed.unit) == (
        2.0, 1.0, 3.0, 2.0, "V",
    )
    assert (passed.target, passed.action) == ("flaky", "read")
    assert (failed.verdict, failed.detail) == (
        "error", "no response within 1 s (after 1 attempt)",
    )


def test_an_unreachable_device_ends_the_run_whatever_the_kind(installed: Install) -> None:
    installed("flaky_kind", FLAKY, {"flaky": "flaky_kind:KIND"})
    events, _, outcome = run_flaky(
        "name: refused, device: a, flaky: [refused]",
        "name: gone, device: b, flaky: [gone]",
        "name: never, device: c, flaky: [ok]",
    )
    refused, gone = finished(events)
    assert (refused.verdict, refused.detail) == ("error", "refused: illegal data value")
    assert (gone.verdict, gone.detail) == ("error", "unreachable: cannot connect to 127.0.0.1:1")
    end = events[-1]
    assert isinstance(end, RunFinished)
    assert end.aborted
    assert (outcome.unreachable, outcome.ended_because) == (True, "a device could not be reached")


def test_a_kind_may_say_its_device_is_gone_without_raising(installed: Install) -> None:
    installed("flaky_kind", FLAKY, {"flaky": "flaky_kind:KIND"})
    events, _, outcome = run_flaky(
        "name: away, device: a, flaky: [away]", "name: never, device: b, flaky: [ok]"
    )
    assert [step.name for step in finished(events)] == ["away"]
    assert (outcome.unreachable, outcome.ended_because) == (True, "a device could not be reached")


def test_a_kind_tells_the_observers_what_it_measured_on_the_way(installed: Install) -> None:
    installed("flaky_kind", FLAKY, {"flaky": "flaky_kind:KIND"})
    events, _, _ = run_flaky("name: sweep, device: a, flaky: [ok]")
    kinds = [type(event).__name__ for event in events]
    assert kinds == [
        "RunStarted", "StepStarted", "StepProgress", "StepAttempt", "StepFinished", "RunFinished"
    ]
    progress = events[2]
    assert isinstance(progress, StepProgress)
    assert (progress.number, progress.name, progress.part, progress.value, progress.unit) == (
        1, "sweep", "half", 1.0, "V",
    )


def test_the_sequencer_imports_no_step_kind_driver_or_instrument_module() -> None:
    code = (
        "import sys, mfg_ctl.run.sequencer\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('mfg_ctl'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(result.stdout.split())
    assert "mfg_ctl.steps.registry" in loaded
    for kind_or_driver in (
        "mfg_ctl.steps.register",
        "mfg_ctl.steps.scpi",
        "mfg_ctl.steps.tempco",
        "mfg_ctl.tempco",
        "mfg_ctl.drivers",
        "mfg_ctl.clients",
    ):
        assert kind_or_driver not in loaded
