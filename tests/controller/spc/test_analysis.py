"""One analysis of a series: the classification and the JSON document it makes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mfg_ctl.analytics.spc import SpcError, analyse, individuals_chart
from tests.controller.spc.reference import example

FLOW = example("imr_examples", "nist_6322_flowrate")["data"]
VISCOSITY = example("imr_examples", "qcc_viscosity_xbar_one")["data_phase1"]
RINGS = example("xbar_r_examples", "qcc_pistonrings")["subgroups_phase1"]


def test_a_point_beyond_the_limits_is_out_of_control() -> None:
    analysis = analyse(values=VISCOSITY)
    assert analysis.classification == "out of control"
    assert analysis.signals["we_1"] == [3]


def test_rules_none_reports_no_signal_but_still_sees_the_limits() -> None:
    analysis = analyse(values=VISCOSITY, rule_set="none")
    assert analysis.signals == {}
    assert analysis.classification == "out of control"
    assert analysis.to_dict()["beyond_limits"] == [3]


def test_a_run_rule_without_a_slope_is_trending() -> None:
    """Eight points on one side (WE 4) then back: no point beyond the limits, no slope."""
    values = [0.0, 1.0, -1.0, 0.5] * 3 + [0.6, 0.8, 0.7, 0.9, 0.6, 0.8, 0.7, 0.9] + [-1.2] * 4
    analysis = analyse(values=values, rule_set="we")
    assert analysis.signals["we_4"]
    assert analysis.chart.beyond_limits == []
    assert analysis.trend is not None
    assert not analysis.trend.significant
    assert analysis.classification == "trending"
    assert analyse(values=values, rule_set="none").classification == "in control"


def test_a_significant_slope_is_trending() -> None:
    analysis = analyse(values=FLOW)
    assert not any(analysis.signals.values())
    assert analysis.classification == "trending"


def test_piston_rings_are_in_control() -> None:
    analysis = analyse(kind="xbar-r", subgroups=RINGS, rule_set="nelson")
    assert analysis.classification == "in control"


def test_the_document_has_the_documented_keys_and_no_nan() -> None:
    analysis = analyse(kind="xbar-r", subgroups=RINGS, lsl=73.95, usl=74.05, rule_set="nelson")
    document = json.loads(json.dumps(analysis.to_dict(), allow_nan=False))
    documented = {
        "chart", "center", "ucl", "lcl", "sigma_within", "r_bar", "capability", "signals",
        "classification", "trend", "forecast", "forecast_tail", "beyond_limits",
    }
    assert documented <= set(document)
    assert document["chart"] == "xbar-r"
    assert list(document["signals"]) == [f"nelson_{rule}" for rule in range(1, 9)]
    assert document["capability"]["cpk"] == pytest.approx(1.663, abs=1e-3)
    assert document["forecast"]["reason"].startswith("no forecast")


def test_constant_individuals_are_refused() -> None:
    with pytest.raises(SpcError, match="constant data"):
        analyse(values=[2.0] * 10, lsl=1.0, usl=3.0)


def test_known_limits_from_earlier_data() -> None:
    """Phase II: limits of the first 20 batches, applied to new ones."""
    phase1 = individuals_chart(VISCOSITY)
    new = individuals_chart([34.0, 36.0], center=phase1.center, sigma=phase1.sigma_within)
    assert new.location.ucl[0] == phase1.location.ucl[0]
    assert new.beyond_limits == [1]
    with pytest.raises(SpcError, match="a known sigma must be a positive number"):
        individuals_chart([1.0, 2.0], sigma=0.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [1.0]}, r"^1 values given: this chart needs at least 2$"),
        ({"kind": "imr", "subgroups": RINGS}, "I-MR chart takes individual values"),
        ({"kind": "xbar-s", "values": FLOW}, "takes subgroups"),
        ({"values": FLOW, "target": 50.0}, "a target needs specification limits"),
        ({"values": FLOW, "rule_set": "iso"}, "unknown rule set"),
    ],
)
def test_bad_requests_are_one_line(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SpcError, match=message):
        analyse(**kwargs)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["1.0", "volts"], r"^every value must be a number: "),
        ([[1.0, 2.0], [3.0, 4.0]], r"^the values must be a flat sequence of numbers$"),
        ([1.0, float("inf"), 2.0], r"^value 1 \(0-based\) is inf, not a finite number$"),
    ],
)
def test_values_that_are_not_finite_numbers_are_one_line(values: Any, message: str) -> None:
    with pytest.raises(SpcError, match=message):
        individuals_chart(values)


def test_known_values_must_be_finite() -> None:
    with pytest.raises(SpcError, match="a known center must be a finite number, not nan"):
        individuals_chart([1.0, 2.0], center=float("nan"))
