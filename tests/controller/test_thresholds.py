"""Judging measurements: verdicts at the bounds and the report's exact wording."""

from __future__ import annotations

import re

import pytest

from mfg_ctl.steps.thresholds import (
    FieldError,
    Judgement,
    Range,
    ThresholdFields,
    Tolerance,
    TolerancePct,
    format_number,
    judge,
    write_detail,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1200, "1200"),
        (1200.0, "1200"),
        (0, "0"),
        (-0.0, "0"),
        (-25, "-25"),
        (2.5, "2.5"),
        (0.1 + 0.2, "0.3"),
        (1 / 3, "0.333333"),
        (123.456789, "123.457"),
        (1.5e-7, "1.5e-07"),
        (1e20, "1e+20"),
        (65535.0, "65535"),
        (10.10, "10.1"),
    ],
)
def test_numbers_print_as_integers_or_six_significant_digits(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize(
    ("threshold", "measured", "passed", "detail"),
    [
        # the reference report (doc/reference_station.rst)
        (Tolerance(1200, 25), 1200, True, "measured 1200, expected 1200 +/- 25 (delta 0)"),
        (Tolerance(500, 10), 500, True, "measured 500, expected 500 +/- 10 (delta 0)"),
        (Tolerance(1, 0), 1, True, "measured 1, expected 1 +/- 0 (delta 0)"),
        (Tolerance(5000, 50), 4980, True, "measured 4980, expected 5000 +/- 50 (delta 20)"),
        (Range(400, 520), 480, True, "measured 480, expected within [400, 520]"),
        (Range(2200, 2400), 2300, True, "measured 2300, expected within [2200, 2400]"),
        (Range(2300, 2700), 2500, True, "measured 2500, expected within [2300, 2700]"),
        # bounds are inclusive, one past them fails with the same wording
        (Tolerance(1200, 25), 1225, True, "measured 1225, expected 1200 +/- 25 (delta 25)"),
        (Tolerance(1200, 25), 1175, True, "measured 1175, expected 1200 +/- 25 (delta 25)"),
        (Tolerance(1200, 25), 1226, False, "measured 1226, expected 1200 +/- 25 (delta 26)"),
        (Tolerance(1200, 25), 1174, False, "measured 1174, expected 1200 +/- 25 (delta 26)"),
        (Tolerance(1, 0), 0, False, "measured 0, expected 1 +/- 0 (delta 1)"),
        (Range(400, 520), 400, True, "measured 400, expected within [400, 520]"),
        (Range(400, 520), 520, True, "measured 520, expected within [400, 520]"),
        (Range(400, 520), 399, False, "measured 399, expected within [400, 520]"),
        (Range(400, 520), 521, False, "measured 521, expected within [400, 520]"),
        (Range(7, 7), 7, True, "measured 7, expected within [7, 7]"),
        # percent of expected
        (TolerancePct(5000, 1), 4980, True, "measured 4980, expected 5000 +/- 1% (delta 20)"),
        (TolerancePct(5000, 1), 4950, True, "measured 4950, expected 5000 +/- 1% (delta 50)"),
        (TolerancePct(5000, 1), 4949, False, "measured 4949, expected 5000 +/- 1% (delta 51)"),
        (TolerancePct(200, 1.5), 203, True, "measured 203, expected 200 +/- 1.5% (delta 3)"),
        (TolerancePct(-200, 1.5), -203, True, "measured -203, expected -200 +/- 1.5% (delta 3)"),
        (TolerancePct(0, 5), 0, True, "measured 0, expected 0 +/- 5% (delta 0)"),
        # floats: round-off never fails an exact-on-paper reading, output stays short
        (Tolerance(0.3, 0), 0.1 + 0.2, True, "measured 0.3, expected 0.3 +/- 0 (delta 0)"),
        (Tolerance(1.0, 0.1), 1.1, True, "measured 1.1, expected 1 +/- 0.1 (delta 0.1)"),
        (Tolerance(1.0, 0.1), 1.1000001, False, "measured 1.1, expected 1 +/- 0.1 (delta 0.1)"),
        (Tolerance(2.5, 0.25), 2.0, False, "measured 2, expected 2.5 +/- 0.25 (delta 0.5)"),
        (
            Tolerance(1 / 3, 0.001),
            0.3335,
            True,
            "measured 0.3335, expected 0.333333 +/- 0.001 (delta 0.000166667)",
        ),
        (Range(0.3, 0.6), 0.1 + 0.2, True, "measured 0.3, expected within [0.3, 0.6]"),
        (Range(0.1, 0.3), 0.1 + 0.2, True, "measured 0.3, expected within [0.1, 0.3]"),
        (Range(12.25, 12.75), 12.5, True, "measured 12.5, expected within [12.25, 12.75]"),
        (Range(12.25, 12.75), 12.7501, False, "measured 12.7501, expected within [12.25, 12.75]"),
    ],
)
def test_judge_wording_and_verdict(threshold, measured, passed, detail):
    judgement = judge(threshold, measured)
    assert judgement.passed is passed
    assert judgement.detail == detail


def test_judgement_unpacks_as_passed_and_detail():
    passed, detail = judge(Range(400, 520), 480)
    assert passed is True
    assert detail == "measured 480, expected within [400, 520]"
    assert judge(Range(400, 520), 480) == Judgement(passed=True, detail=detail)


@pytest.mark.parametrize(
    ("threshold", "expected", "low", "high"),
    [
        (Tolerance(1200, 25), 1200, 1175, 1225),
        (TolerancePct(5000, 1), 5000, 4950, 5050),
        (TolerancePct(-200, 10), -200, -220, -180),
        (Range(400, 520), None, 400, 520),
    ],
)
def test_thresholds_expose_the_numbers_events_carry(threshold, expected, low, high):
    assert (threshold.expected, threshold.low, threshold.high) == (expected, low, high)


def test_write_detail():
    assert write_detail(1200, "voltage_setpoint") == "wrote 1200 to voltage_setpoint"
    assert write_detail(1.0, "output_enable") == "wrote 1 to output_enable"


@pytest.mark.parametrize(
    ("fields", "threshold"),
    [
        ({"expected": 1200, "tolerance": 25}, Tolerance(1200, 25)),
        ({"expected": 5000, "tolerance_pct": 1}, TolerancePct(5000, 1)),
        ({"range": [400, 520]}, Range(400, 520)),
    ],
)
def test_threshold_fields_build_one_threshold(fields, threshold):
    built = ThresholdFields.model_validate(fields).build_threshold()
    assert built == threshold
    assert type(built) is type(threshold)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({}, "expected", "needs one threshold"),
        ({"expected": 1}, "tolerance", "needs tolerance (absolute) or tolerance_pct"),
        ({"tolerance": 1}, "expected", "tolerance needs an expected value"),
        ({"tolerance_pct": 1}, "expected", "tolerance_pct needs an expected value"),
        ({"range": [1, 2], "expected": 1}, "range", "not two: drop range or expected"),
        ({"expected": 1, "tolerance": 1, "tolerance_pct": 1}, "tolerance_pct", "not two"),
    ],
)
def test_threshold_fields_refuse_none_half_or_two(fields, field, words):
    with pytest.raises(FieldError, match=re.escape(words)) as caught:
        ThresholdFields.model_validate(fields).build_threshold()
    assert caught.value.field == field
