"""What the plan tests share: step fields, plan text builders, and the one-line error check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mfg_ctl.plan import Plan, PlanError, parse_plan
from mfg_ctl.steps.register import RegisterStep

ROOT = Path(__file__).resolve().parents[3]
BRINGUP = ROOT / "plans" / "station_bringup.yaml"
SOURCE = "plans/x.yaml"

SET_VOLTAGE = {
    "name": "set_v",
    "device": "power_supply",
    "register": "voltage_setpoint",
    "write": 1200,
}
READ_VOLTAGE = {
    "name": "read_v",
    "device": "power_supply",
    "register": "voltage_readback",
    "expected": 1200,
    "tolerance": 25,
}


def plan_of(*steps: object, **top: object) -> str:
    return yaml.safe_dump({"name": "p", **top, "steps": list(steps)}, sort_keys=False)


def step(base: dict[str, object], **changes: object) -> dict[str, object]:
    merged = {**base, **changes}
    return {key: value for key, value in merged.items() if value is not None}


def register_steps(plan: Plan) -> list[RegisterStep]:
    """The plan's steps, all register steps here."""
    assert all(isinstance(s, RegisterStep) for s in plan.steps)
    return [s for s in plan.steps if isinstance(s, RegisterStep)]


def error_of(text: str, source: str = SOURCE) -> str:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, source)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{source}: ")
    return message
