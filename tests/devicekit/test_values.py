"""The value layer: overrides, drift, stuck and noise over live values."""

from __future__ import annotations

import pytest

from simulators.devicekit import Values


class Probe:
    """A live value the tests move."""

    def __init__(self) -> None:
        self.level = 10.0


@pytest.fixture
def probe() -> Probe:
    return Probe()


@pytest.fixture
def values(probe: Probe) -> Values:
    return Values({"level": lambda: probe.level, "other": lambda: 1.0})


def test_nothing_injected_reports_the_live_value(values: Values, probe: Probe) -> None:
    assert values.describe_faults() == "none"
    probe.level = 12.0
    assert values.report("level") == 12.0
    assert values.describe() == "level = 12 (live)\nother = 1 (live)"


def test_drift_moves_on_every_report_and_value_only_looks(values: Values) -> None:
    values.fault("drift", "level", "-2.5")
    assert [values.report("level") for _ in range(2)] == [7.5, 5.0]
    assert values.value("level") == 5.0
    assert values.report("other") == 1.0
    assert "level = 5 (live, drifting)" in values.describe()


def test_stuck_keeps_the_value_it_had_and_ignores_writes(values: Values, probe: Probe) -> None:
    values.fault("stuck", "level")
    probe.level = 99.0
    assert values.report("level") == 10.0
    assert not values.write("level")
    assert values.write("other")
    values.set("level", 3.0)  # set moves the frozen value
    assert values.report("level") == 3.0
    values.set("level", None)  # back to live: frozen again at the live value
    probe.level = 0.0
    assert values.report("level") == 99.0
    assert values.describe_faults() == "stuck level"
    values.fault("stuck", "level")  # stuck again: frozen at the present value
    assert values.report("level") == 0.0


def test_a_reading_loses_what_drift_added_when_faults_clear(values: Values) -> None:
    values.fault("drift", "level", "1")
    values.report("level")
    values.clear_faults()
    assert values.report("level") == 10.0


def test_a_register_keeps_where_drift_took_it_until_written(probe: Probe) -> None:
    values = Values({"level": lambda: probe.level}, target="register", drift_moves_value=True)
    values.fault("drift", "level", "1")
    values.report("level")
    values.clear_faults()
    assert values.report("level") == 11.0
    assert values.write("level")  # the written value replaces the drifted one
    assert values.report("level") == 10.0


def test_set_text_checks_the_name_and_the_value(values: Values) -> None:
    values.set_text("level", "2.5")
    assert values.report("level") == 2.5
    assert values.describe().startswith("level = 2.5 (set)")
    values.set_text("level", "LIVE")
    assert values.report("level") == 10.0
    for key, text, message in [
        ("nope", "1", "unknown reading 'nope'; known: level, other"),
        ("level", "x", "value must be a number or 'live', got 'x'"),
        ("level", "inf", "value must be finite, got 'inf'"),
    ]:
        with pytest.raises(ValueError, match=message):
            values.set_text(key, text)
    assert values.report("level") == 10.0


def test_noise_is_seeded_and_restarts_at_reset(probe: Probe) -> None:
    def noisy(seed: int) -> Values:
        return Values({"level": lambda: probe.level}, noise={"level": 0.5}, seed=seed)

    first, second = noisy(3), noisy(3)
    series = [first.report("level") for _ in range(20)]
    assert series == [second.report("level") for _ in range(20)]
    assert len(set(series)) == 20
    assert series != [noisy(4).report("level") for _ in range(20)]
    assert first.value("level") == 10.0  # value() draws no noise
    first.reset()
    assert [first.report("level") for _ in range(20)] == series


def test_reset_clears_faults_overrides_and_drift(values: Values) -> None:
    values.fault("drift", "level", "1")
    values.fault("stuck", "other")
    values.fault("delay", "5")
    values.set("level", 4.0)
    values.report("level")
    values.reset()
    assert values.describe_faults() == "none"
    assert values.report("level") == 10.0


def test_a_resolver_names_values_its_own_way(probe: Probe) -> None:
    by_channel = {"0": "level", "level": "level"}

    def resolve(key: str) -> str:
        if key not in by_channel:
            raise ValueError(f"no channel {key}")
        return by_channel[key]

    values = Values({"level": lambda: probe.level}, resolve=resolve)
    values.fault("drift", "0", "2")
    assert values.report("level") == 12.0
    with pytest.raises(ValueError, match="no channel 7"):
        values.fault("stuck", "7")
