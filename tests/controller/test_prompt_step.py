"""The ``prompt`` step kind: how a plan writes it, and how its answer judges it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl.plan import PlanError, load_plan, parse_plan
from mfg_ctl.run.events import Event, StepFinished
from mfg_ctl.run.sequencer import Sequencer
from mfg_ctl.steps.contract import DeviceError, OperatorPrompt
from mfg_ctl.steps.prompt import PromptStep
from tests.controller.web.support import PLANS, WAIT

LED = """\
name: led
steps:
  - name: check_led
    prompt: "Is the power LED green?"
    answers: [yes, no]
    expect: yes
"""


def step_of(text: str) -> PromptStep:
    step = parse_plan(text, "plans/p.yaml").steps[0]
    assert isinstance(step, PromptStep)
    return step


def plan_error(step_yaml: str) -> str:
    with pytest.raises(PlanError) as raised:
        parse_plan("name: p\nsteps:\n" + step_yaml, "plans/p.yaml")
    message = str(raised.value)
    assert "\n" not in message
    return message


def run_prompts(
    text: str, ask: Callable[[OperatorPrompt], str] | None = None
) -> list[StepFinished]:
    events: list[Event] = []
    plan = parse_plan(text, "plans/p.yaml")
    if ask is None:  # the sequencer's own default: nobody to ask
        Sequencer(plan, {}, (), [events.append], "custom").run()
    else:
        Sequencer(plan, {}, (), [events.append], "custom", ask=ask).run()
    return [event for event in events if isinstance(event, StepFinished)]


def test_yaml_yes_and_no_are_the_words_offered_and_expected() -> None:
    step = step_of(LED)
    assert (step.prompt, step.answers, step.expected_answer) == (
        "Is the power LED green?",
        ("yes", "no"),
        "yes",
    )
    assert (step.devices, step.device, step.timeout) == ((), "operator", 300)


def test_without_expect_the_first_answer_passes() -> None:
    step = step_of(
        'name: p\nsteps:\n  - {name: fit, prompt: "Cable fitted?", answers: [OK, Retry]}\n'
    )
    assert step.expected_answer == "OK"


@pytest.mark.parametrize(
    ("step_yaml", "wanted"),
    [
        (
            '  - {name: a, prompt: "Q?", answers: [yes, no], expect: maybe}\n',
            "field expect: 'maybe' is not one of the answers offered (yes, no)",
        ),
        ('  - {name: a, prompt: "Q?", answers: []}\n', "field answers: give 1 to 6 answers"),
        (
            '  - {name: a, prompt: "Q?", answers: [yes, yes]}\n',
            "field answers: an answer is offered twice",
        ),
        ('  - {name: a, prompt: "Q?", answers: "yes"}\n', "field answers: 'yes' is not a list"),
        (
            '  - {name: a, prompt: "", answers: [yes]}\n',
            "field prompt: '' is not a usable question",
        ),
        (
            '  - {name: a, prompt: "Q?", device: dut}\n',
            "field device: 'dut': a prompt asks the operator",
        ),
        ('  - {name: a, prompt: "Q?", timeout: 0}\n', "field timeout: 0 s is not a usable timeout"),
        (
            '  - {name: a, prompt: "Q?", answer: [yes]}\n',
            "field answer: unknown field (did you mean answers?",
        ),
    ],
)
def test_a_bad_prompt_step_is_one_line_naming_the_step_and_field(
    step_yaml: str, wanted: str
) -> None:
    assert "plans/p.yaml: step 1 (a), " + wanted in plan_error(step_yaml)


def test_the_expected_answer_passes_and_the_answer_is_the_detail() -> None:
    asked: list[OperatorPrompt] = []

    def operator(prompt: OperatorPrompt) -> str:
        asked.append(prompt)
        return "yes"

    [finished] = run_prompts(LED, operator)
    assert (finished.verdict, finished.detail, finished.action) == (
        "pass",
        "operator answered yes",
        "prompt",
    )
    assert asked == [
        OperatorPrompt("Is the power LED green?", ("yes", "no"), 300.0, 1, "check_led")
    ]


def test_another_answer_fails_saying_what_the_operator_answered() -> None:
    [finished] = run_prompts(LED, lambda prompt: "no")
    assert (finished.verdict, finished.detail) == ("fail", "operator answered no")


def test_without_an_operator_the_prompt_is_an_error_and_the_run_goes_on() -> None:
    two = LED + '  - {name: second, prompt: "Label fitted?"}\n'
    results = run_prompts(two)
    assert [r.verdict for r in results] == ["error", "error"]
    assert results[0].detail.startswith("needs an operator")
    assert results[0].attempts == 1  # nobody to ask is nothing to retry


def test_an_operator_who_does_not_answer_makes_an_error_step() -> None:
    def silent(prompt: OperatorPrompt) -> str:
        raise DeviceError(f"no answer from the operator within {prompt.timeout:g} s")

    [finished] = run_prompts(LED.replace("expect: yes", "expect: yes\n    timeout: 5"), silent)
    assert (finished.verdict, finished.detail) == (
        "error",
        "no answer from the operator within 5 s",
    )


def test_the_demo_plan_asks_about_the_led_between_dut_steps() -> None:
    plan = load_plan(PLANS / "operator_check.yaml")
    prompts = [step for step in plan.steps if isinstance(step, PromptStep)]
    assert [step.prompt for step in prompts] == ["Is the power LED green?"]
    assert plan.device_names == ("dut",)


def read_until(fd: int, wanted: str, seen: list[str]) -> None:
    """Read the terminal's output into ``seen`` until it shows ``wanted`` (a hang guard)."""
    deadline = time.monotonic() + WAIT
    while wanted not in "".join(seen):
        assert time.monotonic() < deadline, f"the terminal never showed {wanted!r}: {seen}"
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            seen.append(os.read(fd, 4096).decode(errors="replace"))


def test_at_a_terminal_mfg_ctl_run_asks_until_an_offered_answer(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    env = {**os.environ, "MFG_CTL_DB": f"sqlite:///{tmp_path / 'runs.db'}"}
    command = [sys.executable, "-m", "mfg_ctl", "run", str(PLANS / "operator_check.yaml")]
    with subprocess.Popen(
        [*command, "--sn", "SN-TTY"],
        stdin=terminal,
        stderr=terminal,
        stdout=subprocess.PIPE,
        env=env,
        cwd=tmp_path,
        text=True,
    ) as process:
        os.close(terminal)
        seen: list[str] = []
        read_until(controller, "check_led: Is the power LED green? [yes/no]", seen)
        os.write(controller, b"maybe\n")
        read_until(controller, "answer one of: yes, no", seen)
        os.write(controller, b"no\n")
        report, _ = process.communicate(timeout=WAIT)
    os.close(controller)
    assert process.returncode == 1  # the unit failed
    assert "check_led: operator answered no" in report
    assert "vout_no_load" in report  # the run went on after the answer
