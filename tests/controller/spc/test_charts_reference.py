"""I-MR, X-bar/R and X-bar/S charts against the published NIST and qcc examples.

Figures a source printed from its 3-decimal d2 are reproduced to every printed digit with
that d2 given as the known sigma; with our exact d2 they agree to the file's textbook
tolerance (the difference is the rounding of d2, about 3e-4 relative).
"""

from __future__ import annotations

import numpy as np
import pytest

from mfg_ctl.analytics.spc import c4, individuals_chart, run_rules, xbar_r_chart, xbar_s_chart
from tests.controller.spc.reference import QCC_D2, TEXTBOOK_REL, as_printed, example

NIST = example("imr_examples", "nist_6322_flowrate")
VISCOSITY = example("imr_examples", "qcc_viscosity_xbar_one")
RINGS = example("xbar_r_examples", "qcc_pistonrings")


def test_nist_individuals_chart_with_its_rounded_d2_to_every_printed_digit() -> None:
    chart = individuals_chart(NIST["data"])
    published = NIST["published"]
    assert as_printed(chart.center, published["center_line"]) == published["center_line"]
    assert as_printed(chart.dispersion_bar, published["mr_bar"]) == published["mr_bar"]
    as_nist = individuals_chart(NIST["data"], sigma=chart.dispersion_bar / QCC_D2[2])
    assert as_printed(float(as_nist.location.ucl[0]), published["ucl"]) == published["ucl"]
    assert as_printed(float(as_nist.location.lcl[0]), published["lcl"]) == published["lcl"]
    derived = NIST["derived"]
    assert as_nist.location.ucl[0] == pytest.approx(derived["ucl_unrounded"], abs=5e-6)
    assert as_nist.location.lcl[0] == pytest.approx(derived["lcl_unrounded"], abs=5e-6)
    with_2_66 = chart.center + 2.66 * chart.dispersion_bar
    assert round(with_2_66, 4) == derived["ucl_if_2_66_used"]


def test_nist_individuals_chart_with_exact_constants() -> None:
    chart = individuals_chart(NIST["data"])
    published, derived = NIST["published"], NIST["derived"]
    assert chart.beyond_limits == published["points_out_of_control"]
    assert list(chart.dispersion_points) == pytest.approx(derived["moving_ranges"])
    assert chart.dispersion_bar == pytest.approx(derived["mr_bar_exact"], abs=1e-6)
    assert chart.location.ucl[0] == pytest.approx(published["ucl"], rel=TEXTBOOK_REL)
    assert chart.location.lcl[0] == pytest.approx(published["lcl"], rel=TEXTBOOK_REL)
    assert chart.sigma_within == pytest.approx(derived["sigma_hat"], rel=TEXTBOOK_REL)


def test_nist_moving_range_chart_limits() -> None:
    """The MR chart UCL is derived, not printed by NIST: D4(2) * MR-bar = 6.1339 exactly."""
    chart = individuals_chart(NIST["data"])
    mr_chart = NIST["derived"]["mr_chart"]
    assert chart.dispersion.center[0] == pytest.approx(mr_chart["center"], abs=1e-6)
    assert chart.dispersion.ucl[0] == pytest.approx(mr_chart["ucl"], abs=1e-3)
    assert chart.dispersion.ucl[0] == pytest.approx(6.1339, abs=1e-4)
    assert chart.dispersion.lcl[0] == mr_chart["lcl"]


def test_qcc_viscosity_all_twenty_points() -> None:
    chart = individuals_chart(VISCOSITY["data_phase1"])
    published = VISCOSITY["published"]["all_20"]
    assert as_printed(chart.center, published["center"]) == published["center"]
    qcc_sigma = chart.dispersion_bar / QCC_D2[2]
    assert qcc_sigma == pytest.approx(published["std_dev_MR"], abs=5e-8)
    as_qcc = individuals_chart(VISCOSITY["data_phase1"], sigma=qcc_sigma)
    assert as_qcc.location.lcl[0] == pytest.approx(published["lcl"], abs=5e-6)
    assert as_qcc.location.ucl[0] == pytest.approx(published["ucl"], abs=5e-6)
    assert chart.location.ucl[0] == pytest.approx(35.61044, abs=5e-6)  # the derived note's
    assert chart.sigma_within == pytest.approx(published["std_dev_MR"], rel=TEXTBOOK_REL)


def test_qcc_viscosity_sd_option_is_the_sample_sd_over_c4() -> None:
    chart = individuals_chart(VISCOSITY["data_phase1"])
    sd_option = chart.sigma_overall / c4(20)
    published = VISCOSITY["published"]["all_20"]["std_dev_SD_option"]
    assert sd_option == pytest.approx(published, abs=5e-8)


def test_qcc_viscosity_the_one_violation_is_batch_4() -> None:
    """qcc's default rules flag one point: batch 4 (1-based), index 3 here, beyond the UCL."""
    chart = individuals_chart(VISCOSITY["data_phase1"])
    signals = run_rules(chart.points, chart.center, chart.sigma, rule_set="we")
    flagged = sorted({index for indices in signals.values() for index in indices})
    assert len(flagged) == VISCOSITY["published"]["all_20"]["violations_count_default_rules"]
    assert flagged == chart.beyond_limits == [VISCOSITY["derived"]["violating_point_phase1"] - 1]


def test_qcc_viscosity_revised_limits_and_phase_two() -> None:
    """Without batch 4 the limits tighten; applied to the 15 new batches, they flag one:
    the 8th new batch (35.4), row 28 of the 35-row data set (1-based)."""
    kept = [value for index, value in enumerate(VISCOSITY["data_phase1"]) if index != 3]
    chart = individuals_chart(kept)
    published = VISCOSITY["published"]["batch4_removed"]
    assert as_printed(chart.center, published["center"]) == published["center"]
    qcc_sigma = chart.dispersion_bar / QCC_D2[2]
    assert qcc_sigma == pytest.approx(published["std_dev_MR"], abs=5e-8)
    as_qcc = individuals_chart(kept, sigma=qcc_sigma)
    assert as_qcc.location.lcl[0] == pytest.approx(published["lcl"], abs=5e-6)
    assert as_qcc.location.ucl[0] == pytest.approx(published["ucl"], abs=5e-6)
    new = individuals_chart(VISCOSITY["data_phase2"], center=chart.center, sigma=chart.sigma_within)
    rows = [20 + index + 1 for index in new.beyond_limits]
    assert rows == VISCOSITY["derived"]["phase2_beyond_revised_limits"]


def test_qcc_piston_rings_xbar_and_r_charts() -> None:
    chart = xbar_r_chart(RINGS["subgroups_phase1"])
    xbar, r_chart = RINGS["published"]["xbar_chart"], RINGS["published"]["r_chart"]
    assert as_printed(chart.center, xbar["center"]) == xbar["center"]
    qcc_sigma = chart.dispersion_bar / QCC_D2[5]
    assert qcc_sigma == pytest.approx(xbar["std_dev"], abs=5e-10)
    as_qcc = xbar_r_chart(RINGS["subgroups_phase1"], sigma=qcc_sigma)
    assert as_printed(float(as_qcc.location.lcl[0]), xbar["lcl"]) == xbar["lcl"]
    assert as_printed(float(as_qcc.location.ucl[0]), xbar["ucl"]) == xbar["ucl"]
    assert chart.sigma_within == pytest.approx(0.00978534, abs=5e-9)  # the derived exact figure
    assert chart.location.ucl[0] == pytest.approx(xbar["ucl"], rel=TEXTBOOK_REL)
    assert chart.dispersion_bar == pytest.approx(r_chart["center"], abs=1e-12)
    assert chart.dispersion.lcl[0] == r_chart["lcl"]
    assert chart.dispersion.ucl[0] == pytest.approx(r_chart["ucl"], rel=TEXTBOOK_REL)
    assert chart.beyond_limits == []
    assert chart.dispersion_beyond_limits == []


def test_qcc_piston_rings_limits_with_the_textbook_a2() -> None:
    """The textbook's A2 = 0.577 is the exact 0.576819 to 1e-3 relative: the limits' half
    width agrees to that, the limits themselves to 1e-3 of the half width (4e-6)."""
    chart = xbar_r_chart(RINGS["subgroups_phase1"])
    with_a2 = RINGS["derived"]["xbar_limits_A2_0_577"]
    assert chart.center + 0.577 * chart.dispersion_bar == pytest.approx(with_a2["ucl"], abs=5e-7)
    half_width = 0.577 * chart.dispersion_bar
    assert chart.location.ucl[0] - chart.center == pytest.approx(half_width, rel=TEXTBOOK_REL)
    assert chart.location.ucl[0] == pytest.approx(with_a2["ucl"], abs=1e-3 * half_width)
    assert chart.location.lcl[0] == pytest.approx(with_a2["lcl"], abs=1e-3 * half_width)


def test_qcc_piston_rings_s_chart_to_every_printed_digit() -> None:
    """qcc computes c4 exactly, so the S chart agrees to its 7 printed digits."""
    chart = xbar_s_chart(RINGS["subgroups_phase1"])
    s_chart = RINGS["published"]["s_chart"]
    assert chart.dispersion_bar == pytest.approx(s_chart["center"], abs=5e-10)
    assert chart.sigma_within == pytest.approx(s_chart["std_dev"], abs=5e-10)
    assert chart.dispersion.ucl[0] == pytest.approx(s_chart["ucl"], abs=5e-9)
    assert chart.dispersion.lcl[0] == s_chart["lcl"]


def test_qcc_piston_rings_phase_two_means_beyond_the_limits() -> None:
    """Samples 37, 38 and 39 (1-based, of 40) are beyond the phase-I limits."""
    phase1 = xbar_r_chart(RINGS["subgroups_phase1"])
    phase2 = xbar_r_chart(
        RINGS["subgroups_phase2"], center=phase1.center, sigma=phase1.sigma_within
    )
    samples = [25 + index + 1 for index in phase2.beyond_limits]
    assert samples == RINGS["derived"]["phase2_means_beyond_limits"]
    assert np.all(phase2.points[phase2.beyond_limits] > phase1.location.ucl[0])
