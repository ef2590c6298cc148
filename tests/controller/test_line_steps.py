"""The ``line`` step kind against the real dut simulator: send, ask, judge, retry, refuse.

Each test starts its own dut on an ephemeral port and points a station file at
it; faults come through the dut's own ``$system_fail_next:N%``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl.connect import open_devices
from mfg_ctl.plan import PlanError, parse_plan
from mfg_ctl.run.events import Event, RunFinished, StepAttempt, StepFinished
from mfg_ctl.run.sequencer import RunOutcome, Sequencer
from mfg_ctl.stations import load_station
from tests.controller.cli.support import Result, closed_port
from tests.controller.dut_fixtures import Served, ctl, dut, isolated

__all__ = ["ctl", "dut", "isolated"]  # fixtures

HEAD = "name: line\ndevices:\n  dut: {line: dut}\nsteps:\n"
POWER_ON = '  - {name: power_on, device: dut, send: "POWER ON"}\n'


def run_steps(
    served: Served, folder: Path, steps: str
) -> tuple[RunOutcome, list[Event], dict[int, StepFinished]]:
    """Run a plan of ``steps`` against the dut through a station file."""
    plan = parse_plan(HEAD + steps, folder / "plan.yaml")
    station = load_station(served.station(folder))
    events: list[Event] = []
    with open_devices(plan, station, None) as connected:
        outcome = Sequencer(
            plan, connected.clients, connected.devices, [events.append], connected.framing
        ).run()
    steps_by_number = {e.number: e for e in events if isinstance(e, StepFinished)}
    return outcome, events, steps_by_number


def attempts_of(events: list[Event], number: int) -> list[StepAttempt]:
    return [e for e in events if isinstance(e, StepAttempt) and e.number == number]


def test_send_must_get_ok_and_ask_judges_by_match(dut: Served, tmp_path: Path) -> None:
    outcome, _, steps = run_steps(
        dut,
        tmp_path,
        POWER_ON
        + '  - {name: is_on, device: dut, ask: "POWER?", match: "ON"}\n'
        + '  - {name: identify, device: dut, ask: "*IDN?", match: "DUT-2000"}\n',
    )
    assert steps[1].verdict == "pass"
    assert steps[1].detail == "sent POWER ON"
    assert (steps[1].action, steps[1].target) == ("send", "POWER ON")
    assert steps[2].verdict == "pass"
    assert steps[2].detail == "replied 'ON', which contains 'ON'"
    assert steps[3].verdict == "fail"
    assert steps[3].detail == (
        "replied 'SIMULATORS,DUT-1000,SN0001,1.0', which does not contain 'DUT-2000'"
    )
    assert outcome.finished.verdict == "fail"
    assert dut.custom("fail_next", 0) == "ok"  # the dut is still answering


def test_a_send_answered_by_anything_but_ok_fails(dut: Served, tmp_path: Path) -> None:
    outcome, events, steps = run_steps(
        dut, tmp_path, '  - {name: odd_send, device: dut, send: "POWER?", retries: 2}\n'
    )
    assert (steps[1].verdict, steps[1].attempts) == ("fail", 1)  # a wrong reply is not retried
    assert steps[1].detail == "sent POWER?, replied 'OFF' instead of OK"
    assert len(attempts_of(events, 1)) == 1
    assert outcome.finished.failed == 1


def test_ask_judged_by_a_threshold_records_the_value_and_unit(
    dut: Served, tmp_path: Path
) -> None:
    outcome, _, steps = run_steps(
        dut,
        tmp_path,
        POWER_ON
        + '  - {name: vout, device: dut, ask: "MEAS:VOLT?", expected: 5.0, tolerance: 0.06,'
        " unit: V}\n"
        + '  - {name: vout_tight, device: dut, ask: "MEAS:VOLT?", range: [5.5, 6.0]}\n',
    )
    vout = steps[2]
    assert vout.verdict == "pass"
    assert vout.measured is not None
    assert abs(vout.measured - 5.0) <= 0.06
    assert (vout.unit, vout.expected, vout.low, vout.high) == ("V", 5.0, 4.94, 5.06)
    assert steps[3].verdict == "fail"
    assert steps[3].low == 5.5
    assert outcome.finished.first_failure == "3 vout_tight"


def test_a_device_fault_is_retried_and_its_codes_recorded(dut: Served, tmp_path: Path) -> None:
    assert dut.custom("fail_next", 2) == "ok"
    outcome, events, steps = run_steps(
        dut,
        tmp_path,
        '  - {name: identify, device: dut, ask: "*IDN?", match: DUT-1000, retries: 2}\n',
    )
    step = steps[1]
    assert (step.verdict, step.attempts, step.passed_on_retry) == ("pass", 3, True)
    assert step.error_codes == ("E202", "E202")
    assert [(a.attempt, a.status, a.error_code) for a in attempts_of(events, 1)] == [
        (1, "error", "E202"), (2, "error", "E202"), (3, "pass", ""),
    ]
    assert attempts_of(events, 1)[0].reason == "E202 communication error"
    assert outcome.finished.status == "passed"


def test_a_fault_outlasting_the_retries_is_an_error_with_every_code(
    dut: Served, tmp_path: Path
) -> None:
    assert dut.query("POWER ON") == "OK"  # the output stays on across connections
    assert dut.custom("fail_next", 2) == "ok"
    outcome, _, steps = run_steps(
        dut,
        tmp_path,
        '  - {name: vout, device: dut, ask: "MEAS:VOLT?", range: [4.9, 5.1], retries: 1}\n'
        '  - {name: vout_again, device: dut, ask: "MEAS:VOLT?", range: [4.9, 5.1]}\n',
    )
    assert (steps[1].verdict, steps[1].attempts) == ("error", 2)
    assert steps[1].error_codes == ("E210", "E210")
    assert steps[1].detail == "E210 voltage reading unstable (after 2 attempts)"
    assert (steps[2].verdict, steps[2].error_codes) == ("pass", ())
    assert (outcome.finished.errors, outcome.unreachable) == (1, False)


def test_a_refused_command_is_not_retried(dut: Served, tmp_path: Path) -> None:
    outcome, events, steps = run_steps(
        dut,
        tmp_path,
        '  - {name: overload, device: dut, send: "LOAD 99", retries: 3}\n'
        '  - {name: unknown, device: dut, send: "SELFTEST", retries: 3}\n',
    )
    assert (steps[1].verdict, steps[1].attempts, steps[1].error_code) == ("error", 1, "E102")
    assert steps[1].detail == "refused: E102 load must be between 0 and 2 A, got 99"
    assert (steps[2].attempts, steps[2].error_codes) == (1, ("E100",))
    assert len(attempts_of(events, 2)) == 1
    assert outcome.finished.errors == 2


def test_a_reply_that_is_not_a_number_is_an_error(dut: Served, tmp_path: Path) -> None:
    _, _, steps = run_steps(
        dut, tmp_path, '  - {name: odd, device: dut, ask: "POWER?", range: [0, 1], retries: 0}\n'
    )
    assert (steps[1].verdict, steps[1].measured) == ("error", None)
    assert steps[1].detail == "POWER? replied 'OFF', not a number (after 1 attempt)"


def test_a_dead_port_is_unreachable_and_ends_the_run(tmp_path: Path) -> None:
    dead = Served("127.0.0.1", closed_port())
    outcome, events, steps = run_steps(
        dead, tmp_path, POWER_ON + '  - {name: is_on, device: dut, ask: "POWER?", match: "ON"}\n'
    )
    assert outcome.unreachable
    assert sorted(steps) == [1]
    assert steps[1].verdict == "error"
    assert steps[1].attempts == 1
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.status == "aborted"


def test_a_dead_dut_exits_3_through_the_cli(
    ctl: Callable[..., Result], tmp_path: Path
) -> None:
    port = closed_port()
    station = Served("127.0.0.1", port).station(tmp_path)
    result = ctl("run", "plans/dut_functional.yaml", "--station", station)
    assert result.status == 3
    lines = result.out.splitlines()
    assert lines[0] == "Plan: dut_functional [ABORTED]"
    assert lines[1].startswith(f" 1 ERROR power_on: unreachable: 127.0.0.1:{port}: ")
    assert "error: a device could not be reached; run " in result.err
    assert len(result.err.splitlines()) == 2  # where the devices are, and the one error line


# -- plan validation ----------------------------------------------------------------------


def plan_error(steps: str, devices: str = "  dut: {line: dut}\n") -> str:
    with pytest.raises(PlanError) as caught:
        parse_plan(f"name: line\ndevices:\n{devices}steps:\n{steps}", "plans/x.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (
            '{name: s, device: dut, send: "POWER ON", ask: "POWER?"}',
            "field ask: give send: or ask:, not both; make them two steps",
        ),
        (
            '{name: s, device: dut, send: "POWER ON", expected: 1, tolerance: 0}',
            "field expected: a send step takes no threshold: judge a reply with ask:",
        ),
        (
            '{name: s, device: dut, send: "POWER ON", match: OK}',
            "field match: a send step takes no threshold: judge a reply with ask:",
        ),
        (
            '{name: s, device: dut, ask: "MEAS:VOLT?", match: "5", range: [4, 6]}',
            "field range: give match: or a threshold, not both",
        ),
        (
            '{name: s, device: dut, ask: "MEAS:VOLT?"}',
            "field expected: missing; judge the reply by expected + tolerance, "
            "range: [low, high] or match: TEXT",
        ),
        (
            '{name: s, device: dut, ask: "MEAS:VOLT?\\tX", match: "5"}',
            "field ask: 'MEAS:VOLT?\\tX' contains the control character",
        ),
        (
            '{name: s, device: dut, send: "$system_fail_next:3%"}',
            "field send: '$system_fail_next:3%' contains $system_, which starts a simulator's "
            "custom command",
        ),
        ('{name: s, device: dut, send: "  "}', "field send: empty: give a "),
        (
            "{name: s, device: dut, ask: \"POWER?\", match: ON}",
            "field match: true: YAML reads ON, OFF, yes, no, true and false unquoted as yes/no; "
            'quote the text, e.g. match: "ON"',
        ),
        (
            '{name: s, device: dut, register: voltage_setpoint, write: 1}',
            "field device: dut is a line device (line: dut), not a Modbus device: talk to it "
            'with send: "..." or ask: "..." instead of register:',
        ),
        (
            '{name: s, device: power_supply, send: "POWER ON"}',
            "field device: 'power_supply' is not a line device: declare it as devices: "
            "{power_supply: {line: dut}} to send: or ask: it",
        ),
    ],
    ids=[
        "send-and-ask", "send-threshold", "send-match", "match-and-threshold", "no-judge",
        "control-character", "custom-command", "empty", "yaml-boolean", "register-on-line",
        "line-on-modbus",
    ],
)
def test_bad_line_steps_are_one_line(step: str, expected: str) -> None:
    assert plan_error(f"  - {step}\n").startswith(f"plans/x.yaml: step 1 (s), {expected}")


def test_a_line_device_of_an_unknown_kind() -> None:
    message = plan_error('  - {name: s, device: dut, send: "X"}\n', "  dut: {line: meter}\n")
    assert message.startswith("plans/x.yaml: device dut, field line: 'meter': input should be")
