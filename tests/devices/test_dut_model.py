"""The dut's model and its fault profiles, without a System or sockets."""

from __future__ import annotations

import math
import random

import pytest

from simulators.devices.dut.model import (
    Clean,
    DutModel,
    FactoryFlaky,
    MarkovFlaky,
    make_profile,
)
from tests.devices.dut_helpers import (
    draws,
    failure_runs,
)

# -- the model ------------------------------------------------------------------


def test_switched_off_output_is_zero_and_case_at_ambient():
    model = DutModel()
    model.set_load(1.0)
    assert not model.powered
    assert model.output_voltage_v == 0.0
    assert model.output_current_a == 0.0
    assert model.temperature_c == 25.0


@pytest.mark.parametrize("load", [0.0, 0.5, 1.0, 2.0])
def test_output_voltage_drops_with_load_and_current_follows_it(load):
    model = DutModel(powered=True)
    model.set_load(load)
    assert model.output_voltage_v == pytest.approx(5.0 - 0.05 * load)
    assert model.output_current_a == load


def test_self_heating_follows_the_delivered_power():
    model = DutModel(powered=True)
    assert model.temperature_c == pytest.approx(25.0)
    model.set_load(2.0)
    assert model.temperature_c == pytest.approx(25.0 + 8.0 * 4.9 * 2.0)  # 103.4 C
    model.set_load(1.0)
    assert model.temperature_c == pytest.approx(25.0 + 8.0 * 4.95)


@pytest.mark.parametrize("amps", [-0.001, 2.001, math.nan, math.inf])
def test_load_outside_the_range_is_refused_and_keeps_the_old_load(amps):
    model = DutModel()
    model.set_load(0.5)
    with pytest.raises(ValueError, match=r"load must be between 0 and 2 A"):
        model.set_load(amps)
    assert model.load_a == 0.5


def test_readings_are_noisy_around_the_true_value():
    model = DutModel(powered=True, load_a=1.0)
    volts = [model.measure_voltage() for _ in range(200)]
    amps = [model.measure_current() for _ in range(200)]
    temps = [model.measure_temperature() for _ in range(200)]
    for values, true, sigma in (
        (volts, 4.95, 0.002),
        (amps, 1.0, 0.0005),
        (temps, 25.0 + 8.0 * 4.95, 0.05),
    ):
        assert len(set(values)) == len(values)  # noise: no two readings alike
        assert all(abs(value - true) < 6 * sigma for value in values)
        assert sum(values) / len(values) == pytest.approx(true, abs=sigma)


def test_zero_noise_gives_exact_readings():
    model = DutModel(powered=True, load_a=1.0, voltage_noise_v=0.0, current_noise_a=0.0)
    assert model.measure_voltage() == pytest.approx(4.95)
    assert model.measure_current() == 1.0
    temperature = model.measure_temperature()  # its noise is still on
    assert temperature != model.temperature_c
    assert temperature == pytest.approx(model.temperature_c, abs=0.3)


def readings(model: DutModel, count: int = 5) -> list[float]:
    return [model.measure_voltage() for _ in range(count)]


def test_same_seed_same_readings_different_seed_different_readings():
    first = readings(DutModel(seed=42, powered=True))
    assert readings(DutModel(seed=42, powered=True)) == first
    assert readings(DutModel(seed=43, powered=True)) != first


def test_reseed_restarts_the_noise_sequence():
    model = DutModel(seed=1, powered=True)
    readings(model)
    model.reseed(7)
    assert model.seed == 7
    assert readings(model) == readings(DutModel(seed=7, powered=True))


def test_a_given_rng_is_used_instead_of_the_models_own():
    model = DutModel(seed=3, powered=True)
    untouched = DutModel(seed=3, powered=True)
    other = random.Random(99)
    assert model.measure_voltage(other) == 5.0 + random.Random(99).gauss(0.0, 0.002)
    assert readings(model) == readings(untouched)  # its own sequence did not move


# -- fault profiles -------------------------------------------------------------


def test_clean_never_fails():
    assert not any(draws(Clean(), 0, 10_000))
    assert Clean().describe() == "clean"


@pytest.mark.parametrize("rate", [0.05, 0.2, 0.5])
def test_factory_flaky_fails_at_its_rate(rate):
    failures = sum(draws(FactoryFlaky(rate), 1234, 10_000))
    # binomial sigma is at most 50 failures in 10000 draws; 0.02 is > 4 sigma
    assert failures / 10_000 == pytest.approx(rate, abs=0.02)


def test_factory_flaky_extremes_and_default():
    assert all(draws(FactoryFlaky(1.0), 0, 1000))
    assert not any(draws(FactoryFlaky(0.0), 0, 1000))
    assert FactoryFlaky().rate == 0.05
    assert FactoryFlaky(0.2).describe() == "factory-flaky rate=0.2"


def test_markov_flaky_fails_in_bursts_of_mean_length_one_over_p_recover():
    markov = draws(MarkovFlaky(p_fail=0.02, p_recover=0.25), 2024, 20_000)
    rate = sum(markov) / len(markov)
    # stationary probability of the bad state: p_fail / (p_fail + p_recover)
    assert rate == pytest.approx(0.02 / 0.27, abs=0.015)
    markov_runs = failure_runs(markov)
    markov_mean = sum(markov_runs) / len(markov_runs)
    assert markov_mean == pytest.approx(1 / 0.25, abs=0.8)

    factory = draws(FactoryFlaky(rate), 2024, 20_000)
    assert sum(factory) / len(factory) == pytest.approx(rate, abs=0.01)
    factory_runs = failure_runs(factory)
    factory_mean = sum(factory_runs) / len(factory_runs)
    assert factory_mean < 1.2  # independent failures: 1 / (1 - rate)
    assert markov_mean > 2.5 * factory_mean


def test_markov_flaky_bad_state_fails_at_bad_failure_rate():
    # always bad after the first step: failures follow bad_failure_rate
    profile = MarkovFlaky(p_fail=1.0, p_recover=0.0, bad_failure_rate=0.3)
    assert sum(draws(profile, 5, 10_000)) / 10_000 == pytest.approx(0.3, abs=0.02)
    assert profile.describe() == (
        "markov-flaky p_fail=1 p_recover=0 bad_failure_rate=0.3 state=bad"
    )


def test_markov_flaky_defaults_and_starting_state():
    profile = MarkovFlaky()
    assert (profile.p_fail, profile.p_recover, profile.bad_failure_rate) == (0.02, 0.25, 1.0)
    assert profile.describe().endswith("state=good")


@pytest.mark.parametrize(
    ("name", "parameters", "message"),
    [
        ("factory-flaky", (1.5,), r"rate must be a probability between 0 and 1, got 1\.5"),
        ("factory-flaky", (-0.1,), r"rate must be a probability"),
        ("factory-flaky", (math.nan,), r"rate must be a probability .* got nan"),
        ("markov-flaky", (2.0,), r"p_fail must be a probability"),
        ("markov-flaky", (0.1, -1.0), r"p_recover must be a probability"),
        ("markov-flaky", (0.1, 0.2, 1.01), r"bad_failure_rate must be a probability"),
        ("sometimes", (), r"unknown profile 'sometimes'; choose one of: clean, factory-flaky"),
        ("clean", (0.1,), r"too many parameters for profile 'clean'"),
        ("factory-flaky", (0.1, 0.2), r"too many parameters for profile 'factory-flaky'"),
        ("markov-flaky", (0.1, 0.2, 0.3, 0.4), r"too many parameters"),
    ],
)
def test_bad_profile_parameters_raise_value_error(name, parameters, message):
    with pytest.raises(ValueError, match=message):
        make_profile(name, *parameters)


def test_make_profile_passes_its_parameters():
    profile = make_profile("markov-flaky", 0.1, 0.5)
    assert isinstance(profile, MarkovFlaky)
    assert (profile.p_fail, profile.p_recover, profile.bad_failure_rate) == (0.1, 0.5, 1.0)
    assert isinstance(make_profile("clean"), Clean)
