"""Which unit a run tests: serial number, batch, station, stage, operator; checked and recorded.

The checks one by one, the defaults from the station file and the
environment, then ``mfg-ctl run --sn ...`` end to end: recorded, listed by
``mfg-ctl runs --sn``, shown on the report's ``Unit:`` line, refused in one
line when bad.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl.identity import (
    MAX_SN,
    IdentityError,
    check_label,
    check_operator,
    check_sn,
    check_stage,
    unit_identity,
)
from mfg_ctl.run.events import UnitIdentity
from mfg_ctl.store import RunStore
from tests.controller.cli.support import Result
from tests.controller.dut_fixtures import Served, ctl, dut, isolated

__all__ = ["ctl", "dut", "isolated"]  # fixtures

PLAN = "plans/dut_functional.yaml"
Ctl = Callable[..., Result]


def refusal(check: Callable[..., str], *args: str) -> str:
    with pytest.raises(IdentityError) as caught:
        check(*args)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- the checks ---------------------------------------------------------------------------


@pytest.mark.parametrize("sn", ["SN0001", "A", "sn-1/rev.B#2", "x" * MAX_SN, "S N"])
def test_usable_serial_numbers(sn: str) -> None:
    assert check_sn(sn) == sn


@pytest.mark.parametrize(
    ("sn", "expected"),
    [
        ("", "an empty serial number: give e.g. SN0001"),
        ("x" * (MAX_SN + 1), "is longer than 64 characters"),
        (
            "SN\t1",
            "serial number 'SN\\t1' is not printable ASCII: use letters, digits and punctuation",
        ),
        ("SNé1", "serial number 'SNé1' is not printable ASCII"),
        (" SN1", "serial number ' SN1' starts or ends with a space: remove it"),
        ("SN1 ", "serial number 'SN1 ' starts or ends with a space: remove it"),
    ],
    ids=["empty", "long", "tab", "accent", "leading-space", "trailing-space"],
)
def test_bad_serial_numbers(sn: str, expected: str) -> None:
    message = refusal(check_sn, sn)
    assert expected in message


@pytest.mark.parametrize("stage", ["EVT", "DVT", "PVT", "MP", "proto-2", "pilot_run.1"])
def test_stages_are_the_usual_ones_or_a_label(stage: str) -> None:
    assert check_stage(stage) == stage


@pytest.mark.parametrize("stage", ["E V T", "", "-EVT", "EVT!", "x" * 65])
def test_bad_stages(stage: str) -> None:
    assert refusal(check_stage, stage).endswith(
        "is not usable: give EVT, DVT, PVT, MP or a label of your own without spaces"
    )


def test_labels_name_what_they_are() -> None:
    assert check_label("ST-1.a_2", "station id") == "ST-1.a_2"
    assert refusal(check_label, "line 1", "batch id") == (
        "batch id 'line 1' is not usable: use at most 64 letters, digits, _ . - and no spaces"
    )
    assert refusal(check_label, "x" * 65, "station id").startswith("station id 'xxx")


def test_operators_are_printable_names() -> None:
    assert check_operator("Ann Lee (night shift)") == "Ann Lee (night shift)"
    assert refusal(check_operator, "Ann\nLee") == (
        "operator 'Ann\\nLee' is not usable: give a printable name of at most 128 characters"
    )
    assert "at most 128" in refusal(check_operator, "a" * 129)


# -- where the values come from -----------------------------------------------------------

ENV = {"MFG_CTL_STATION_ID": "env-st", "MFG_CTL_STAGE": "PVT", "MFG_CTL_OPERATOR": "env op"}


def test_options_win_over_the_station_file_and_the_environment() -> None:
    identity = unit_identity(
        sn="SN1", batch_id="B1", station_id="opt-st", stage="EVT", operator="me",
        station_default="file-st", environ=ENV,
    )
    assert identity == UnitIdentity("SN1", "B1", "opt-st", "EVT", "me")


def test_the_station_file_wins_over_the_environment() -> None:
    identity = unit_identity(station_default="file-st", environ=ENV)
    assert identity == UnitIdentity("", "", "file-st", "PVT", "env op")


def test_the_environment_fills_what_nothing_else_says() -> None:
    assert unit_identity(environ=ENV) == UnitIdentity("", "", "env-st", "PVT", "env op")


def test_without_anything_only_the_login_name_is_filled() -> None:
    identity = unit_identity(environ={})
    assert (identity.sn, identity.batch_id, identity.station_id, identity.stage) == ("",) * 4
    assert identity.operator == identity.operator.strip()


def test_an_empty_operator_option_says_nobody() -> None:
    assert unit_identity(operator="", environ=ENV).operator == ""


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"environ": {"MFG_CTL_STAGE": "a b"}}, "stage 'a b' is not usable"),
        ({"environ": {"MFG_CTL_STATION_ID": "st 1"}}, "station id 'st 1' is not usable"),
        ({"batch_id": "b/1", "environ": {}}, "batch id 'b/1' is not usable"),
        ({"sn": "", "environ": {}}, "an empty serial number"),
    ],
    ids=["env-stage", "env-station", "batch", "empty-sn"],
)
def test_bad_values_from_anywhere_are_refused(given: dict[str, object], expected: str) -> None:
    with pytest.raises(IdentityError, match=expected):
        unit_identity(**given)  # type: ignore[arg-type]


# -- mfg-ctl run and runs -----------------------------------------------------------------


def test_run_records_the_unit_and_runs_finds_it(ctl: Ctl, isolated: Path) -> None:
    result = ctl(
        "run", PLAN, "--sn", "SN0042", "--stage", "EVT", "--batch-id", "B7",
        "--operator", "Ann Lee",
    )
    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert lines[:2] == [
        "Plan: dut_functional [PASS]",
        "Unit: SN0042, batch B7, stage EVT, operator Ann Lee",
    ]
    assert ctl("run", PLAN, "--sn", "SN0043").status == 0
    with RunStore(f"sqlite:///{isolated}") as store:
        runs = store.runs(sn="SN0042")
        assert len(runs) == 1
        stored = store.get(runs[0].run_id)
        assert stored.identity == UnitIdentity("SN0042", "B7", "", "EVT", "Ann Lee")
        assert stored.plan_version == "1.0"
        assert len(store.runs()) == 2
        assert [run.sn for run in store.runs(stage="EVT")] == ["SN0042"]
    listed = ctl("runs", "--sn", "SN0042")
    assert listed.status == 0
    rows = listed.out.splitlines()
    assert len(rows) == 2
    assert rows[1].startswith(runs[0].run_id[:8])
    assert rows[1].endswith("SN0042 / B7 / - / EVT")
    assert "SN0043" not in listed.out
    assert ctl("runs", "--batch-id", "B7").out.count("SN0042") == 1
    assert ctl("runs", "--sn", "NOPE").out.strip() == "no recorded runs with sn 'NOPE'"
    refused = ctl("runs", "--stage", "a b")  # a filter no run could match is a mistake
    assert (refused.status, refused.out) == (2, "")
    assert refused.err.startswith("error: stage 'a b' is not usable")


def test_a_run_naming_no_unit_has_no_unit_line(ctl: Ctl, isolated: Path) -> None:
    result = ctl("run", PLAN, "--operator", "")
    assert result.status == 0
    assert not any(line.startswith("Unit:") for line in result.out.splitlines())
    with RunStore(f"sqlite:///{isolated}") as store:
        (run,) = store.runs()
        assert (run.sn, run.stage, run.operator) == ("", "", "")


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--sn", "SN 1 ", "error: serial number 'SN 1 ' starts or ends with a space: remove it"),
        (
            "--stage",
            "E V T",
            "error: stage 'E V T' is not usable: give EVT, DVT, PVT, MP or a label of your own "
            "without spaces",
        ),
        (
            "--batch-id",
            "B 1",
            "error: batch id 'B 1' is not usable: use at most 64 letters, digits, _ . - and no "
            "spaces",
        ),
    ],
    ids=["sn", "stage", "batch"],
)
def test_a_bad_identity_exits_2_and_records_nothing(
    ctl: Ctl, isolated: Path, option: str, value: str, expected: str
) -> None:
    result = ctl("run", PLAN, "--sn", "SN1", option, value)
    assert result.status == 2
    assert result.err.splitlines() == [expected]
    assert result.out == ""
    with RunStore(f"sqlite:///{isolated}") as store:
        assert store.runs() == []


def test_the_station_files_id_and_the_environment_are_recorded(
    ctl: Ctl, isolated: Path, dut: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = dut.station(tmp_path, station_id="line-3")
    monkeypatch.setenv("MFG_CTL_STAGE", "DVT")
    monkeypatch.setenv("MFG_CTL_OPERATOR", "night shift")
    monkeypatch.setenv("MFG_CTL_STATION_ID", "ignored-st")
    result = ctl("run", PLAN, "--station", station, "--sn", "SN0100")
    assert result.status == 0, result.err
    assert "Unit: SN0100, station line-3, stage DVT, operator night shift" in result.out
    with RunStore(f"sqlite:///{isolated}") as store:
        (run,) = store.runs(station_id="line-3")
        stored = store.get(run.run_id)
        assert stored.identity == UnitIdentity("SN0100", "", "line-3", "DVT", "night shift")
        assert [device.framing for device in stored.devices] == ["line"]
        assert stored.devices[0].port == dut.port
    override = ctl("run", PLAN, "--station", station, "--sn", "SN0101", "--station-id", "ST9")
    assert override.status == 0
    assert ctl("runs", "--station-id", "ST9").out.count("SN0101") == 1
    assert dut.query("POWER?") == "OFF"  # the plan's teardown switched the real dut off
