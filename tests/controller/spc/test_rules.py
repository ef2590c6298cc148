"""Western Electric and Nelson run rules: qcc's unit-test cases, index for index, and
properties every rule must keep."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mfg_ctl.analytics.spc import RULE_SETS, SpcError, first_rule_per_point, run_rules
from tests.controller.spc.reference import REFERENCE

QCC = REFERENCE["run_rules"]["examples"][0]
SETS = {"western_electric": "we", "nelson": "nelson"}
SINGLE = [case for case in QCC["cases"] if "rule" in case]
COMBINED = [case for case in QCC["cases"] if "rules" in case]


def _name(case: dict[str, Any]) -> str:
    return f"{SETS[case['rule_set']]}_{case['rule']}_{len(case['data'])}pts"


@pytest.mark.parametrize("case", SINGLE, ids=[_name(case) for case in SINGLE])
def test_qcc_rule_cases_flag_the_same_points(case: dict[str, Any]) -> None:
    """qcc's setup: centre 0, sigma 1; its indices are 1-based, ours 0-based."""
    rule_set = SETS[case["rule_set"]]
    signals = run_rules(case["data"], 0.0, 1.0, rule_set=rule_set, rules=[case["rule"]])
    assert signals == {f"{rule_set}_{case['rule']}": [i - 1 for i in case["expected"]]}


@pytest.mark.parametrize("case", COMBINED, ids=[str(case["rules"]) for case in COMBINED])
def test_qcc_reports_the_lowest_rule_number_per_point(case: dict[str, Any]) -> None:
    signals = run_rules(case["data"], 0.0, 1.0, rule_set="we", rules=case["rules"])
    assert first_rule_per_point(signals, len(case["data"])) == case["expected_per_point"]


def test_a_k_of_m_window_flags_its_last_point_only_when_that_point_is_out() -> None:
    """0, 2.5, 2.6, 1.0: the window ending at 2.6 has two beyond 2 sigma and is flagged; the
    one ending at 1.0 has two as well, but 1.0 itself is inside, so it is not. A window
    needs all m points: 2.5, 2.6 alone flag nothing."""
    assert run_rules([0, 2.5, 2.6, 1.0], 0, 1, rule_set="we", rules=[2]) == {"we_2": [2]}
    assert run_rules([2.5, 2.6], 0, 1, rule_set="we", rules=[2]) == {"we_2": []}
    assert run_rules([0, 1.5, 1.2, 1.1, 1.4, 0.5], 0, 1, rule_set="we", rules=[3]) == {
        "we_3": [4]
    }


def test_nelson_rule_3_counts_six_points_by_default_and_seven_as_minitab() -> None:
    """Six rising points (five rises) fire rule 3; Minitab's seven need one more."""
    six = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.0]
    seven = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    assert run_rules(six, 0, 1, rule_set="nelson", rules=[3]) == {"nelson_3": [5]}
    assert run_rules(six, 0, 1, rule_set="nelson", rules=[3], trend_points=7) == {"nelson_3": []}
    assert run_rules(seven, 0, 1, rule_set="nelson", rules=[3], trend_points=7) == {
        "nelson_3": [6]
    }


def test_zones_follow_per_point_sigma() -> None:
    """With unequal subgroups each mean has its own sigma: 2.5 is beyond 3 sigma of 0.5."""
    signals = run_rules([2.5, 2.5], 0.0, np.array([1.0, 0.5]), rule_set="we", rules=[1])
    assert signals == {"we_1": [1]}


def test_every_rule_of_a_set_has_a_key_and_none_has_none() -> None:
    data = [0.0] * 20
    assert list(run_rules(data, 0, 1, rule_set="we")) == ["we_1", "we_2", "we_3", "we_4"]
    assert len(run_rules(data, 0, 1, rule_set="nelson")) == 8
    assert run_rules(data, 0, 1, rule_set="none") == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rule_set": "iso"}, "unknown rule set 'iso'"),
        ({"rule_set": "we", "rules": [5]}, "rule set 'we' has no rule 5"),
        ({"rule_set": "nelson", "trend_points": 2}, "Nelson rule 3 needs 3 to 50 points"),
    ],
)
def test_bad_rule_choices_are_one_line(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(SpcError, match=message):
        run_rules([0.0, 1.0], 0, 1, **kwargs)


def test_a_zero_sigma_is_refused() -> None:
    with pytest.raises(SpcError, match="positive sigma"):
        run_rules([1.0, 1.0], 1.0, 0.0)


def test_short_series_flag_nothing_rather_than_fail() -> None:
    for count in range(4):
        signals = run_rules([0.5] * count, 0, 1, rule_set="nelson")
        assert all(indices == [] for indices in signals.values())


series = st.lists(
    st.floats(min_value=-5, max_value=5, allow_nan=False).map(lambda x: round(x, 3)),
    min_size=0,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    data=series,
    scale=st.sampled_from([0.5, 2.0, 1000.0]),
    shift=st.sampled_from([-3.0, 0.0, 42.0]),
    rule_set=st.sampled_from(["we", "nelson"]),
)
def test_rules_are_invariant_under_a_change_of_units(
    data: list[float], scale: float, shift: float, rule_set: str
) -> None:
    """Millivolts or volts, offset or not: the same points are flagged (scales are powers
    of two or exact decimals of 3-decimal data, so no zone edge moves by rounding)."""
    moved = [shift + scale * value for value in data]
    before = run_rules(data, 0.0, 1.0, rule_set=rule_set)
    after = run_rules(moved, shift, scale, rule_set=rule_set)
    assert before == after


@settings(max_examples=150, deadline=None)
@given(data=series, rule_set=st.sampled_from(["we", "nelson"]))
def test_rules_mirror_under_a_sign_flip(data: list[float], rule_set: str) -> None:
    """Every rule is symmetric: above and below the centre line swap, nothing else."""
    flipped = [-value for value in data]
    assert run_rules(data, 0, 1, rule_set=rule_set) == run_rules(flipped, 0, 1, rule_set=rule_set)


@settings(max_examples=150, deadline=None)
@given(data=series)
def test_k_of_m_and_run_rules_flag_only_points_in_their_zone(data: list[float]) -> None:
    """A flagged point is itself beyond the zone (WE 1-3) or on the run's side (WE 4)."""
    signals = run_rules(data, 0, 1, rule_set="we")
    values = np.asarray(data)
    assert all(abs(values[i]) > 3 for i in signals["we_1"])
    assert all(abs(values[i]) > 2 for i in signals["we_2"])
    assert all(abs(values[i]) > 1 for i in signals["we_3"])
    assert all(values[i] != 0 and i >= 7 for i in signals["we_4"])


def test_the_rule_sets_are_the_documented_ones() -> None:
    assert RULE_SETS == {"we": (1, 2, 3, 4), "nelson": (1, 2, 3, 4, 5, 6, 7, 8), "none": ()}
