"""Custom commands cannot be smuggled: not in simulate-fault's arguments, not in a SCPI step.

``mfg-ctl simulate-fault dmm set dc_voltage '4000%$system_stop'`` used to end
the set command at ``%`` and send ``$system_stop%`` after it: the simulator
stopped. A plan's SCPI ``write:`` could likewise carry ``$system_fault:...%``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mfg_ctl.plan import PlanError, parse_plan
from tests.controller.cli.support import Ctl, Served


@pytest.mark.parametrize(
    ("argument", "why"),
    [
        ("4000%$system_stop", "contains '%'"),
        ("$system_stop", "contains '$'"),
        ("40\x0700", "contains '\\x07'"),
    ],
)
def test_simulate_fault_refuses_arguments_that_would_change_the_command(
    ctl: Ctl, station: Served, argument: str, why: str
) -> None:
    result = ctl("simulate-fault", "dmm", "set", "dc_voltage", argument, "--station", station.path)
    assert (result.status, result.out) == (2, "")
    assert result.err == (
        f"error: custom-command argument {argument!r} {why}; '%', '$' and control characters"
        " are not allowed in an argument: remove it\n"
    )
    with station.client("dmm") as dmm:  # the simulator is still there, unchanged
        assert dmm.custom("faults") == "none"


SCPI_PLAN = """\
name: p
devices: {{supply: {{scpi: power_supply}}}}
steps:
  - name: sneaky
    device: supply
    {kind}: "{command}"
{threshold}"""


@pytest.mark.parametrize(
    ("kind", "command"),
    [
        ("write", "VOLT 5;$system_fault:delay,60000%"),
        ("write", "$system_stop%"),
        ("query", "MEAS:VOLT?$system_reset%?"),
    ],
)
def test_a_scpi_step_cannot_carry_a_custom_command(kind: str, command: str) -> None:
    threshold = "    range: [0, 10]\n" if kind == "query" else ""
    text = SCPI_PLAN.format(kind=kind, command=command, threshold=threshold)
    with pytest.raises(PlanError) as caught:
        parse_plan(text, "plans/x.yaml")
    assert str(caught.value).startswith(f"plans/x.yaml: step 1 (sneaky), field {kind}: ")
    assert "contains $system_, which starts a simulator's custom command" in str(caught.value)


def test_a_scpi_step_refuses_control_characters() -> None:
    text = SCPI_PLAN.format(kind="write", command="VOLT 5\\x01", threshold="")
    with pytest.raises(PlanError, match=r"field write: 'VOLT 5\\x01' contains the control"):
        parse_plan(text, "plans/x.yaml")


def test_plain_scpi_commands_still_load(tmp_path: Path) -> None:
    text = SCPI_PLAN.format(kind="write", command="VOLT 5", threshold="")
    assert parse_plan(text, tmp_path / "p.yaml").steps[0].target == "VOLT 5"
