"""The commands in the shipped plans' comments work, as a new user types them, with any offset.

Every ``#   discos-simulator ...`` or ``#   mfg-ctl ...`` line of a plan's
comments is run in order, shifted by a free ``--port-offset`` (the tests never
bind the default ports), and must do what the comment says.
"""

from __future__ import annotations

import re
import shlex

from mfg_ctl.plan import load_plan
from mfg_ctl.stations import check_covers, load_station
from tests.controller.cli.support import (
    DMM_FAIL,
    ROOT,
    Ctl,
    assert_bringup_report,
    discos_simulator,
    free_offset,
)

COMMAND = re.compile(r"^#   ((?:discos-simulator|mfg-ctl) .+?)\s*$", re.MULTILINE)


def commands_in(plan: str) -> list[list[str]]:
    return [shlex.split(line) for line in COMMAND.findall((ROOT / plan).read_text())]


def shifted(command: list[str], offset: int) -> list[str]:
    """The command with ``--port-offset`` added as the plan's comment says to."""
    if command[0] == "discos-simulator":
        return [*command[:-1], "--port-offset", str(offset), command[-1]]
    if command[1] == "run" and "--station" not in command:
        return command  # mfg-ctl simulates the devices itself: nothing to shift
    return [*command, "--port-offset", str(offset)]


def test_the_bringup_comments_run_as_written(ctl: Ctl) -> None:
    commands = commands_in("plans/station_bringup.yaml")
    assert [c[:2] for c in commands] == [
        ["mfg-ctl", "run"],
        ["discos-simulator", "-s"],
        ["mfg-ctl", "simulate-fault"],
        ["mfg-ctl", "run"],
        ["discos-simulator", "-s"],
    ]
    offset = free_offset()
    alone = ctl(*commands[0][1:])
    assert alone.status == 0
    assert_bringup_report(alone.lines)

    started = discos_simulator(*shifted(commands[1], offset)[1:])
    assert started.returncode == 0, started.stderr
    try:
        fault = ctl(*shifted(commands[2], offset)[1:])
        assert (fault.status, fault.out) == (0, "ok\n")
        run = ctl(*shifted(commands[3], offset)[1:])
        assert run.status == 1
        assert DMM_FAIL in run.lines  # "step 9 fails on the reading of 4000"
    finally:
        stopped = discos_simulator(*shifted(commands[4], offset)[1:])
    assert stopped.returncode == 0, stopped.stderr


def test_the_dvt_plan_points_at_a_station_file_that_matches_it() -> None:
    """The bench's station file names the plan's devices, as SCPI instruments."""
    commands = commands_in("plans/dvt_tempco.yaml")
    assert commands[0] == ["mfg-ctl", "run", "plans/dvt_tempco.yaml"]
    station_run = next(c for c in commands if "--station" in c)
    station = load_station(ROOT / station_run[station_run.index("--station") + 1])
    check_covers(station, load_plan(ROOT / "plans" / "dvt_tempco.yaml"))
    assert {e.port for e in station.devices.values()} == {5025, 5026, 5027}
