"""Capability indices against NIST's worked example and qcc's vignette and unit test."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from mfg_ctl.analytics.spc import Capability, SpcError, capability, xbar_r_chart
from tests.controller.spc.reference import QCC_D2, TEXTBOOK_REL, as_printed, digits, example

NIST = example("capability_examples", "nist_616_summary")
RINGS_CAPABILITY = example("capability_examples", "qcc_pistonrings_capability")
UNIT = example("capability_examples", "qcc_capability_unit_test")
RINGS = example("xbar_r_examples", "qcc_pistonrings")
#: qcc's names for our indices.
QCC_NAMES = {"cp": "cp", "cpl": "cp_l", "cpu": "cp_u", "cpk": "cp_k", "cpm": "cpm"}


def test_nist_worked_example() -> None:
    inputs, published, derived = NIST["inputs"], NIST["published"], NIST["derived"]
    found = capability(
        inputs["mean"], inputs["sigma"], inputs["sigma"], lsl=inputs["lsl"], usl=inputs["usl"]
    )
    assert found.cp == pytest.approx(published["cp"], abs=5e-5)
    assert found.cpk == pytest.approx(published["cpk"], abs=5e-5)
    assert found.cpu == pytest.approx(derived["cpu"], abs=5e-5)
    assert found.cpl == pytest.approx(derived["cpl"], abs=5e-5)
    half_width = (inputs["usl"] - inputs["lsl"]) / 2
    k = abs(inputs["mean"] - (inputs["usl"] + inputs["lsl"]) / 2) / half_width
    assert k == pytest.approx(derived["k"], abs=5e-5)
    assert found.cp * (1 - k) == pytest.approx(derived["cpk_as_cp_1_minus_k"], abs=5e-5)


@pytest.mark.parametrize(
    "published",
    RINGS_CAPABILITY["published"],
    ids=lambda p: f"{p['lsl']}-{p['usl']}-T{p['target']}",
)
def test_qcc_piston_rings_capability_to_the_printed_digits(published: dict[str, Any]) -> None:
    """qcc's sigma is R-bar/2.326 (its rounded d2) and its mean the data's (74.001176):
    every printed digit agrees. With the exact d2 every index agrees to 1e-3 relative
    beyond the printed rounding (Cpu 3.367 there is 3.36640: the rounded d2 moves it)."""
    chart = xbar_r_chart(RINGS["subgroups_phase1"])
    limits = {"lsl": published["lsl"], "usl": published["usl"], "target": published["target"]}
    as_qcc = capability(chart.center, chart.dispersion_bar / QCC_D2[5], 0.01, **limits)
    exact = capability(chart.center, chart.sigma_within, chart.sigma_overall, **limits)
    for ours, theirs in QCC_NAMES.items():
        assert as_printed(getattr(as_qcc, ours), published[theirs]) == published[theirs], ours
        rounding = 0.5 * 10 ** -digits(published[theirs])
        allowed = rounding + TEXTBOOK_REL * published[theirs]
        assert getattr(exact, ours) == pytest.approx(published[theirs], abs=allowed), ours


def test_qcc_piston_rings_capability_inputs() -> None:
    chart = xbar_r_chart(RINGS["subgroups_phase1"])
    inputs = RINGS_CAPABILITY["inputs"]
    assert as_printed(chart.center, inputs["mean"]) == inputs["mean"]
    assert chart.dispersion_bar / QCC_D2[5] == pytest.approx(inputs["sigma"], abs=5e-10)


def test_qcc_piston_rings_tight_limits_tail_fractions() -> None:
    """Against 73.99-74.01 qcc expects 13% below LSL and 18% above USL (normal tails with
    its sigma) and observes 12% and 16% of the 125 diameters."""
    published = RINGS_CAPABILITY["published"][2]
    chart = xbar_r_chart(RINGS["subgroups_phase1"])
    sigma = chart.dispersion_bar / QCC_D2[5]
    below = 0.5 * math.erfc((chart.center - 73.99) / (sigma * math.sqrt(2)))
    above = 0.5 * math.erfc((74.01 - chart.center) / (sigma * math.sqrt(2)))
    assert round(100 * below) == published["expected_below_lsl_pct"]
    assert round(100 * above) == published["expected_above_usl_pct"]
    values = [value for group in RINGS["subgroups_phase1"] for value in group]
    assert round(100 * sum(v < 73.99 for v in values) / len(values)) == published[
        "observed_below_lsl_pct"
    ]
    assert round(100 * sum(v > 74.01 for v in values) / len(values)) == published[
        "observed_above_usl_pct"
    ]


def _unit_capability(target: float, sigma_within: float | None = None) -> Capability:
    chart = xbar_r_chart(UNIT["subgroups"])
    within = chart.dispersion_bar / QCC_D2[4] if sigma_within is None else sigma_within
    return capability(chart.center, within, chart.sigma_overall, lsl=9.9, usl=10.1, target=target)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("cp", "Cp"), ("cpl", "Cp_l"), ("cpu", "Cp_u"), ("cpk", "Cp_k"), ("cpm", "Cpm"),
     ("pp", "Pp"), ("ppl", "Pp_l"), ("ppu", "Pp_u"), ("ppk", "Pp_k"), ("ppm", "Ppm")],
)
def test_qcc_unit_test_to_1e_6(ours: str, theirs: str) -> None:
    """Cp (sigma within, qcc's R-bar/2.059) and Pp (overall sample sd) split as qcc does."""
    found = _unit_capability(10.0)
    assert getattr(found, ours) == pytest.approx(UNIT["published_values"][theirs], abs=1e-6)


def test_qcc_unit_test_off_target_and_with_exact_d2() -> None:
    found = _unit_capability(10.02)
    published = UNIT["published_target_10_02"]
    assert found.cpm == pytest.approx(published["Cpm"], abs=1e-6)
    assert found.ppm == pytest.approx(published["Ppm"], abs=1e-6)
    exact = xbar_r_chart(UNIT["subgroups"])
    exact_found = _unit_capability(10.0, exact.sigma_within)
    cp = UNIT["published_values"]["Cp"]
    assert exact_found.cp == pytest.approx(cp, rel=TEXTBOOK_REL)


def test_the_target_defaults_to_the_middle_of_the_specification() -> None:
    found = capability(74.001176, 0.0098, 0.01, lsl=73.95, usl=74.05)
    assert found.target == pytest.approx(74.0)
    assert found.cpm == capability(74.001176, 0.0098, 0.01, lsl=73.95, usl=74.05, target=74.0).cpm


def test_constant_data_leaves_the_indices_undefined_with_a_reason() -> None:
    found = capability(5.0, 0.0, 0.0, lsl=4.0, usl=6.0)
    document = found.to_dict()
    for index in ("cp", "cpk", "cpu", "cpl", "cpm", "pp", "ppk", "ppu", "ppl", "ppm"):
        assert document[index] is None
        assert document["undefined"][index]
    assert "sigma within is 0 (constant data)" in document["undefined"]["cp"]
    json.dumps(document, allow_nan=False)  # no inf, no nan anywhere


def test_constant_data_off_target_still_has_a_cpm() -> None:
    """sigma 0 but the mean 1 off target: Cpm = 2/(6*1), finite and meaningful."""
    assert capability(5.0, 0.0, 0.0, lsl=4.0, usl=6.0, target=4.0).cpm == pytest.approx(1 / 3)


def test_one_sided_specification() -> None:
    found = capability(10.0, 1.0, 1.0, usl=16.0)
    assert (found.cpu, found.cpk, found.cp, found.cpl, found.cpm) == (2.0, 2.0, None, None, None)
    assert found.undefined["cp"] == "needs both specification limits"
    assert found.undefined["cpl"] == "no lower specification limit"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs a specification limit"),
        ({"lsl": 5.0, "usl": 5.0}, "LSL 5.0 is not below USL 5.0"),
        ({"usl": math.inf}, "USL must be a finite number"),
        ({"lsl": math.nan}, "LSL must be a finite number"),
    ],
)
def test_bad_specifications_are_one_line(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SpcError, match=message):
        capability(1.0, 1.0, 1.0, **kwargs)


def test_a_negative_sigma_is_refused() -> None:
    with pytest.raises(SpcError, match="a sigma cannot be negative"):
        capability(1.0, -1.0, 1.0, usl=2.0)
