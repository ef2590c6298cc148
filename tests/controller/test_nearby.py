"""Which running simulators a plan run without ``--station`` leaves aside (the stderr note).

The runtime records are stood in for here: what matters is how a record's key
(``NAME`` or ``NAME+OFFSET``) maps to the plan's devices. The end-to-end case,
with a real ``discos-simulator`` process, is in ``cli/test_context_lines.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mfg_ctl.nearby import running_for, running_simulators_note
from mfg_ctl.plan import load_plan
from simulators import runtime

ROOT = Path(__file__).resolve().parents[2]
BRINGUP = load_plan(ROOT / "plans" / "station_bringup.yaml")
DVT = load_plan(ROOT / "plans" / "dvt_tempco.yaml")


@dataclass
class Record:
    """What nearby reads of a runtime record: its key and its addresses."""

    key: str
    addresses: list[str] = field(default_factory=lambda: ["127.0.0.1:5025"])

    def endpoints(self) -> list[str]:
        return self.addresses


def running(monkeypatch: pytest.MonkeyPatch, *records: Record) -> None:
    monkeypatch.setattr(runtime, "instances", lambda: list(records))


def test_a_shifted_bench_is_named_with_its_station_file_and_offset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running(monkeypatch, Record("dvt_bench+5", ["127.0.0.1:5030"]))
    assert running_simulators_note(DVT) == (
        "note: dvt_bench (127.0.0.1:5030) is running here, but without --station this run "
        "simulates its own devices: faults sent to that simulator will not reach this run; "
        "add --station stations/dvt_bench.yaml --port-offset 5 to use it"
    )
    assert running_for(BRINGUP) == []


def test_single_devices_count_by_their_profile_and_several_are_all_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running(monkeypatch, Record("dmm", ["127.0.0.1:5021"]), Record("dut"), Record("actuator"))
    note = running_simulators_note(BRINGUP)
    assert note is not None
    assert note.startswith("note: dmm (127.0.0.1:5021), actuator (127.0.0.1:5025) are running")
    assert note.endswith("add --station stations/local.yaml to use it")


def test_no_note_when_nothing_relevant_runs_or_the_records_cannot_be_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running(monkeypatch, Record("dut"))
    assert running_simulators_note(BRINGUP) is None

    def unreadable() -> list[Record]:
        raise PermissionError("the runtime directory belongs to someone else")

    monkeypatch.setattr(runtime, "instances", unreadable)
    assert running_simulators_note(BRINGUP) is None
