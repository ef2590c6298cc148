"""The dut simulator: its model, fault profiles, line protocol, custom commands and sockets."""

from __future__ import annotations

import itertools
import math
import queue
import random
import re
import time
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators import plugins
from simulators.client import Client
from simulators.commands import Command, dispatch
from simulators.devices.dut import IDENTITY, MAX_LINE, DutSystem, System
from simulators.devices.dut.model import (
    Clean,
    DutModel,
    FactoryFlaky,
    FaultProfile,
    MarkovFlaky,
    make_profile,
)
from simulators.launcher import Address, Simulator
from simulators.utils import ManualClock, default_clock

FAULT = "ERR device fault"


# -- helpers ------------------------------------------------------------------


def failure_runs(outcomes: list[bool]) -> list[int]:
    """Lengths of the runs of consecutive failures in ``outcomes``."""
    runs, length = [], 0
    for failed in outcomes:
        if failed:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    if length:
        runs.append(length)
    return runs


def draws(profile: FaultProfile, seed: int, count: int) -> list[bool]:
    rng = random.Random(seed)
    return [profile.fails(rng) for _ in range(count)]


def feed_bytes(system: DutSystem, data: bytes) -> tuple[list[bytes], list[str]]:
    """Feed ``data`` to ``parse`` one byte at a time: the replies and the ValueErrors raised."""
    replies: list[bytes] = []
    errors: list[str] = []
    for index in range(len(data)):
        try:
            reply = system.parse(data[index : index + 1])
        except ValueError as error:
            errors.append(str(error))
            continue
        if reply is not True and reply is not False:
            replies.append(reply)
    return replies, errors


def feed_chunks(system: DutSystem, data: bytes, size: int) -> list[bytes]:
    """Feed ``data`` to ``parse_chunk`` in pieces of ``size`` bytes."""
    replies: list[bytes] = []
    for start in range(0, len(data), size):
        replies.extend(system.parse_chunk(data[start : start + size]))
    return replies


def custom(system: DutSystem, name: str, *args: object) -> str:
    """What a client reads back for ``$system_<name>:args%``."""
    return dispatch(system, Command(name, tuple(str(arg) for arg in args)))


def outcomes(system: DutSystem, count: int, command: str = "*IDN?") -> list[bool]:
    """Send ``command`` ``count`` times; True where the reply was the device fault."""
    return [system.execute(command) == FAULT for _ in range(count)]


def collect(q: queue.Queue[bytes], count: int, timeout: float = 2.0) -> list[bytes]:
    return [q.get(timeout=timeout) for _ in range(count)]


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


# -- the System without sockets ----------------------------------------------------


def test_identity_and_case_insensitive_headers():
    dut = DutSystem()
    assert dut.execute("*IDN?") == IDENTITY == "SIMULATORS,DUT-1000,SN0001,1.0"
    assert dut.execute("  *idn?  ") == IDENTITY
    assert dut.execute("power on") == "OK"
    assert dut.execute("Power?") == "ON"


@pytest.mark.parametrize(
    ("argument", "state"), [("ON", "ON"), ("off", "OFF"), ("1", "ON"), ("0", "OFF")]
)
def test_power_switches_the_output(argument, state):
    dut = DutSystem()
    dut.execute("POWER ON" if state == "OFF" else "POWER OFF")
    assert dut.execute(f"POWER {argument}") == "OK"
    assert dut.execute("POWER?") == state


def test_load_and_measurements():
    dut = DutSystem()
    assert dut.execute("POWER?") == "OFF"
    assert dut.execute("LOAD?") == "0.000"
    assert dut.execute("LOAD 1.5") == "OK"
    assert dut.execute("LOAD?") == "1.500"
    assert float(dut.execute("MEAS:VOLT?")) == pytest.approx(0.0, abs=0.01)  # still off
    assert float(dut.execute("MEAS:CURR?")) == pytest.approx(0.0, abs=0.003)
    dut.execute("POWER ON")
    volt, curr, temp = (dut.execute(f"MEAS:{q}?") for q in ("VOLT", "CURR", "TEMP"))
    assert re.fullmatch(r"\d\.\d{4}", volt)
    assert re.fullmatch(r"\d\.\d{4}", curr)
    assert re.fullmatch(r"\d+\.\d{2}", temp)
    assert float(volt) == pytest.approx(5.0 - 0.05 * 1.5, abs=0.012)
    assert float(curr) == pytest.approx(1.5, abs=0.003)
    assert float(temp) == pytest.approx(25.0 + 8.0 * 4.925 * 1.5, abs=0.3)


def test_status_reports_every_quantity_and_the_profile():
    dut = DutSystem()
    assert dut.execute("STATUS?") == (
        "POWER=OFF LOAD=0.000 VOLT=0.0000 CURR=0.0000 TEMP=25.00 PROFILE=clean"
    )
    dut.execute("POWER ON")
    dut.execute("LOAD 2")
    assert dut.execute("status?") == (
        "POWER=ON LOAD=2.000 VOLT=4.9000 CURR=2.0000 TEMP=103.40 PROFILE=clean"
    )


def test_rst_switches_off_and_unloads():
    dut = DutSystem()
    dut.execute("POWER ON")
    dut.execute("LOAD 1")
    assert dut.execute("*RST") == "OK"
    assert (dut.execute("POWER?"), dut.execute("LOAD?")) == ("OFF", "0.000")


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("FOO", "ERR unknown command 'FOO'; try *IDN?, POWER ON, LOAD 0.1, MEAS:VOLT?"),
        ("MEAS:VOLTAGE?", "ERR unknown command 'MEAS:VOLTAGE?'; try *IDN?"),
        ("", "ERR unknown command ''"),
        ("POWER MAYBE", "ERR POWER takes ON or OFF, got 'MAYBE'"),
        ("POWER", "ERR POWER takes ON or OFF, got ''"),
        ("LOAD abc", "ERR LOAD takes a current in amperes, got 'abc'"),
        ("LOAD", "ERR LOAD takes a current in amperes, got ''"),
        ("LOAD 2.5", "ERR load must be between 0 and 2 A, got 2.5"),
        ("LOAD -1", "ERR load must be between 0 and 2 A, got -1"),
        ("LOAD nan", "ERR load must be between 0 and 2 A, got nan"),
    ],
)
def test_unknown_commands_and_bad_values_answer_one_err_line(line, reply):
    dut = DutSystem()
    dut.execute("LOAD 0.5")
    answer = dut.execute(line)
    assert answer.startswith(reply)
    assert "\n" not in answer
    assert dut.execute("LOAD?") == "0.500"  # nothing changed


def test_parse_answers_one_line_per_command():
    dut = DutSystem()
    replies, errors = feed_bytes(dut, b"*IDN?\nPOWER ON\r\n\n  \nPOWER?\nLOAD")
    assert replies == [IDENTITY.encode() + b"\n", b"OK\n", b"ON\n"]
    assert errors == []
    assert dut.parse(b" ") is True
    assert dut.parse(b"1") is True
    assert dut.parse(b"\n") == b"OK\n"
    assert dut.parse(b"\n") is False  # an empty line is not answered


VALID_LINES = [
    "*IDN?", "*idn?", "POWER ON", "power off", "POWER 1", "POWER?", "LOAD 0.5", "load 1.25",
    "LOAD?", "MEAS:VOLT?", "meas:curr?", "MEAS:TEMP?", "STATUS?", "*RST",
]  # fmt: skip
INVALID_LINES = ["LOAD 3", "LOAD abc", "POWER MAYBE", "FOO", "", "   ", "MEAS:VOLT"]

line_strategy = st.one_of(
    st.sampled_from(VALID_LINES).map(str.encode),
    st.sampled_from(INVALID_LINES).map(str.encode),
    st.binary(max_size=40).map(lambda data: data.replace(b"\n", b"")),
)


@st.composite
def split_streams(draw):
    lines = draw(st.lists(line_strategy, max_size=25))
    endings = draw(st.lists(st.sampled_from([b"\n", b"\r\n"]), min_size=len(lines)))
    data = b"".join(line + end for line, end in zip(lines, endings, strict=False))
    data += draw(st.sampled_from([b"", b"POW", b"*ID"]))  # maybe a partial last line
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=10)))
    return data, cuts


@settings(max_examples=60, deadline=None)
@given(stream=split_streams(), seed=st.integers(0, 2**16))
def test_parse_and_parse_chunk_give_identical_replies(stream, seed):
    data, cuts = stream
    by_byte = System(system_type="factory-flaky", seed=seed)
    by_chunk = System(system_type="factory-flaky", seed=seed)
    replies, errors = feed_bytes(by_byte, data)
    chunked = []
    for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
        chunked.extend(by_chunk.parse_chunk(data[start:end]))
    assert errors == []
    assert chunked == replies
    assert all(reply.endswith(b"\n") and reply.count(b"\n") == 1 for reply in replies)
    # the partial last line waits in both
    assert by_byte.parse_chunk(b"\n") == by_chunk.parse_chunk(b"\n")


def test_line_of_max_length_is_answered():
    line = b"X" * MAX_LINE + b"\n"
    replies, errors = feed_bytes(DutSystem(), line)
    assert errors == []
    assert len(replies) == 1
    assert replies[0].startswith(b"ERR unknown command 'XXX")
    assert DutSystem().parse_chunk(line) == replies


def test_parse_drops_a_line_one_byte_too_long_and_answers_the_next():
    data = b"X" * (MAX_LINE + 1) + b"\n*IDN?\n"
    replies, errors = feed_bytes(DutSystem(), data)
    assert errors == [f"command line longer than {MAX_LINE} bytes dropped"]
    assert replies == [IDENTITY.encode() + b"\n"]


def test_parse_chunk_drops_an_unfinished_line_one_byte_too_long():
    dut = DutSystem()
    assert dut.parse_chunk(b"X" * (MAX_LINE + 1)) == []
    assert dut.parse_chunk(b"\n*IDN?\n") == [IDENTITY.encode() + b"\n"]


@pytest.mark.parametrize("mode", ["parse byte by byte", "parse_chunk whole", "parse_chunk 100"])
def test_an_overlong_line_is_dropped_whole_and_the_next_line_answered(mode):
    data = b"X" * (3 * MAX_LINE) + b"\n*IDN?\n"
    dut = DutSystem()
    if mode == "parse byte by byte":
        replies, errors = feed_bytes(dut, data)
        assert errors
    elif mode == "parse_chunk whole":
        replies = dut.parse_chunk(data)
    else:
        replies = feed_chunks(dut, data, 100)
    assert replies == [IDENTITY.encode() + b"\n"]


def test_replies_stay_ascii_for_non_ascii_input():
    (reply,) = DutSystem().parse_chunk(b"\xffOO\n")
    assert reply.startswith(b"ERR unknown command")
    reply.decode("ascii")


# -- custom commands as methods ----------------------------------------------------


def test_set_seed_makes_readings_reproducible():
    dut = DutSystem(seed=5)
    dut.execute("POWER ON")
    assert dut.system_set_seed("11") == "ok"
    first = [dut.execute("MEAS:VOLT?") for _ in range(5)]
    assert len(set(first)) > 1
    dut.execute("MEAS:CURR?")
    custom(dut, "set_seed", 11)
    assert [dut.execute("MEAS:VOLT?") for _ in range(5)] == first
    custom(dut, "set_seed", 12)
    assert [dut.execute("MEAS:VOLT?") for _ in range(5)] != first


def test_set_seed_restarts_the_fault_sequence():
    dut = DutSystem(profile="factory-flaky")
    dut.system_set_seed("3")
    first = outcomes(dut, 300)
    assert 0 < sum(first) < 300
    dut.system_set_seed("3")
    assert outcomes(dut, 300) == first
    dut.system_set_seed("4")
    assert outcomes(dut, 300) != first


def test_set_seed_restarts_a_markov_fault_sequence_whatever_its_state():
    dut = DutSystem()
    dut.system_set_profile("markov-flaky", "0.5", "0.5")
    for _ in range(100):  # drive the chain into its bad state
        if dut.execute("*IDN?") == FAULT:
            break
    assert dut.system_profile().endswith("state=bad")
    dut.system_set_seed("7")
    first = outcomes(dut, 40)
    for _ in range(100):  # and now into its good state
        if dut.execute("*IDN?") != FAULT:
            break
    assert dut.system_profile().endswith("state=good")
    dut.system_set_seed("7")
    assert outcomes(dut, 40) == first


def test_set_seed_refuses_a_non_integer():
    dut = DutSystem()
    with pytest.raises(ValueError, match="invalid literal"):
        dut.system_set_seed("x")
    assert custom(dut, "set_seed", "1.5").startswith("error: set_seed: invalid literal")
    assert custom(dut, "set_seed").startswith("error: wrong number of arguments")


def test_set_profile_with_parameters_and_profile_shows_them():
    dut = DutSystem()
    assert dut.system_profile() == "clean"
    assert dut.system_set_profile("factory-flaky", "0.2") == "ok"
    assert dut.system_profile() == "factory-flaky rate=0.2"
    assert custom(dut, "set_profile", "markov-flaky", "0.05", "0.3") == "ok"
    assert custom(dut, "profile") == (
        "markov-flaky p_fail=0.05 p_recover=0.3 bad_failure_rate=1 state=good"
    )
    assert custom(dut, "set_profile", "factory-flaky") == "ok"
    assert custom(dut, "profile") == "factory-flaky rate=0.05"
    assert dut.execute("STATUS?").endswith("PROFILE=factory-flaky")
    custom(dut, "set_profile", "factory-flaky", 1)
    assert outcomes(dut, 20) == [True] * 20
    custom(dut, "set_profile", "clean")
    assert outcomes(dut, 200) == [False] * 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("factory-flaky", "2"), "error: set_profile: rate must be a probability between 0 and 1"),
        (("factory-flaky", "lots"), "error: set_profile: could not convert string to float"),
        (("markov-flaky", "0.1", ""), "error: set_profile: could not convert string to float"),
        (("sometimes",), "error: set_profile: unknown profile 'sometimes'; choose one of:"),
        (("clean", "1"), "error: set_profile: too many parameters for profile 'clean'"),
        ((), "error: wrong number of arguments; usage: $system_set_profile:<name>,"),
    ],
)
def test_set_profile_refuses_bad_input_and_keeps_the_profile(args, message):
    dut = DutSystem(profile="factory-flaky")
    assert custom(dut, "set_profile", *args).startswith(message)
    assert dut.system_profile() == "factory-flaky rate=0.05"


def test_set_profile_raises_value_error_as_a_method():
    with pytest.raises(ValueError, match="rate must be a probability"):
        DutSystem().system_set_profile("factory-flaky", "7")


def test_fail_next_fails_the_next_requests_then_recovers():
    dut = DutSystem()
    assert dut.system_fail_next("2") == "ok"
    assert dut.execute("*IDN?") == FAULT
    assert dut.execute("LOAD 5") == FAULT  # the fault answers before the value is checked
    assert dut.execute("*IDN?") == IDENTITY
    custom(dut, "fail_next", 3)
    assert dut.execute("NOPE").startswith("ERR unknown command")  # not a request: not counted
    assert [dut.execute("POWER ON") for _ in range(4)] == [FAULT, FAULT, FAULT, "OK"]
    custom(dut, "fail_next", 5)
    custom(dut, "fail_next", 0)  # cancels
    assert dut.execute("*IDN?") == IDENTITY


def test_fail_next_refuses_bad_counts():
    dut = DutSystem()
    assert custom(dut, "fail_next", -1) == "error: fail_next: count must be >= 0"
    assert custom(dut, "fail_next", "two").startswith("error: fail_next: invalid literal")
    with pytest.raises(ValueError, match="count must be >= 0"):
        dut.system_fail_next("-3")
    assert dut.execute("*IDN?") == IDENTITY


RESET_SCRIPT = ["POWER?", "LOAD?", "POWER ON", "LOAD 1", *["MEAS:VOLT?"] * 20, "STATUS?"]


def test_reset_restores_start_up_profile_seed_and_output_off():
    fresh = DutSystem(profile="factory-flaky", seed=8)
    expected = [fresh.execute(line) for line in RESET_SCRIPT]
    assert expected[:2] == ["OFF", "0.000"]
    assert FAULT in expected  # the fault sequence is part of what must come back

    dut = DutSystem(profile="factory-flaky", seed=8)
    for line in RESET_SCRIPT:
        dut.execute(line)
    dut.system_set_seed("99")
    custom(dut, "set_profile", "markov-flaky", "0.3")
    assert dut.system_reset() == "ok"
    assert dut.system_profile() == "factory-flaky rate=0.05"
    assert [dut.execute(line) for line in RESET_SCRIPT] == expected
    assert custom(dut, "reset") == "ok"
    assert [dut.execute(line) for line in RESET_SCRIPT] == expected


def test_reset_cancels_forced_failures():
    dut = DutSystem()
    custom(dut, "fail_next", 10)
    assert dut.execute("*IDN?") == FAULT
    custom(dut, "reset")
    assert dut.execute("*IDN?") == IDENTITY


def test_help_lists_the_dut_commands():
    text = custom(DutSystem(), "help")
    for usage in (
        "$system_set_seed:<seed>%",
        "$system_set_profile:<name>,<parameters>...%",
        "$system_profile%",
        "$system_fail_next:<count>%",
        "$system_reset%",
        "$system_stop%",
    ):
        assert usage in text


# -- telemetry without sockets ---------------------------------------------------------


def test_telemetry_lines_are_reproducible_and_independent_of_commands():
    lines = []
    for commands in (0, 10):
        dut = DutSystem(seed=4, sampling_time=0.01, clock=ManualClock(start=100.0))
        dut.execute("POWER ON")
        dut.execute("LOAD 1")
        for _ in range(commands):
            dut.execute("MEAS:VOLT?")
        q: queue.Queue[bytes] = queue.Queue(64)
        dut.subscribe(q)
        try:
            lines.append(collect(q, 3))
        finally:
            dut.unsubscribe(q)
    assert lines[0] == lines[1]
    pattern = (
        rb"TLM seq=(\d+) time=100\.000 power=ON volt=4\.9\d{3} curr=[01]\.\d{4} temp=64\.\d\d\n"
    )
    matches = [re.fullmatch(pattern, line) for line in lines[0]]
    assert all(matches)
    assert [int(match[1]) for match in matches if match] == [1, 2, 3]


def test_telemetry_keeps_its_period_when_a_subscriber_replaces_the_last_one():
    dut = DutSystem(sampling_time=0.05)
    first: queue.Queue[bytes] = queue.Queue(64)
    second: queue.Queue[bytes] = queue.Queue(64)
    dut.subscribe(first)
    collect(first, 1)
    with dut.lock:  # one client leaves as another arrives
        dut.unsubscribe(first)
        dut.subscribe(second)
    try:
        time.sleep(0.2)
        assert second.qsize() <= 8  # about 0.2 / 0.05 + 1 lines, not a flood
    finally:
        dut.unsubscribe(second)


# -- System types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system_type", "described"),
    [
        (None, "clean"),
        ("clean", "clean"),
        ("factory-flaky", "factory-flaky rate=0.05"),
        ("markov-flaky", "markov-flaky p_fail=0.02 p_recover=0.25 bad_failure_rate=1 state=good"),
    ],
)
def test_system_type_picks_the_start_up_profile(system_type, described):
    dut = System(system_type=system_type)
    assert isinstance(dut, DutSystem)
    assert dut.system_profile() == described
    dut.system_set_profile("clean")
    dut.system_reset()
    assert dut.system_profile() == described


def test_system_type_passes_its_keyword_arguments():
    dut = System(system_type="factory-flaky", seed=3)
    reference = DutSystem(profile="factory-flaky", seed=3)
    assert outcomes(dut, 200) == outcomes(reference, 200)


def test_unknown_system_type_names_the_choices():
    with pytest.raises(
        ValueError, match=r"unknown type 'flaky'; choose one of: clean, factory-flaky, markov-flaky"
    ):
        System(system_type="flaky")


# -- over real sockets ------------------------------------------------------------------


@pytest.fixture
def dut_sim() -> Iterator[Simulator]:
    with Simulator("dut", plugins.load("dut"), ephemeral=True) as simulator:
        yield simulator


def address(sim: Simulator, role: str, transport: str) -> Address:
    (found,) = [a for a in sim.addresses if (a.role, a.transport) == (role, transport)]
    return found


def connect(sim: Simulator, role: str = "listening", transport: str = "tcp") -> Client:
    where = address(sim, role, transport)
    return Client(where.host, where.port, transport)  # type: ignore[arg-type]


def test_the_three_ports(dut_sim):
    assert [(a.role, a.transport) for a in dut_sim.addresses] == [
        ("listening", "tcp"),
        ("sending", "tcp"),
        ("listening", "udp"),
    ]
    assert len({a.port for a in dut_sim.addresses}) == 3
    assert all(a.host == "127.0.0.1" and a.port > 0 for a in dut_sim.addresses)


def test_tcp_command_port_answers(dut_sim):
    with connect(dut_sim) as dut:
        assert dut.query(b"*IDN?\n") == IDENTITY.encode() + b"\n"
        dut.send(b"POWER ON\nLO")  # one line and a half in one write
        assert dut.receive() == b"OK\n"
        assert dut.query(b"AD 1\nPOWER?\nLOAD?\n") == b"OK\n"
        assert (dut.receive(), dut.receive()) == (b"ON\n", b"1.000\n")
        assert dut.query(b"BOGUS\n").startswith(b"ERR unknown command 'BOGUS'")
        assert dut.custom("profile") == "clean"


def test_telemetry_streams_at_the_sampling_time(dut_sim):
    with connect(dut_sim) as commands:
        assert commands.query(b"POWER ON\nLOAD 1\n") == b"OK\n"
        assert commands.receive() == b"OK\n"
    with connect(dut_sim, "sending") as telemetry:
        lines = [telemetry.receive().decode() for _ in range(3)]
    fields = [dict(item.split("=") for item in line.split()[1:]) for line in lines]
    assert all(line.startswith("TLM ") and line.endswith("\n") for line in lines)
    assert [int(f["seq"]) for f in fields] == [1, 2, 3]
    assert all(f["power"] == "ON" for f in fields)
    assert all(float(f["volt"]) == pytest.approx(4.95, abs=0.012) for f in fields)
    assert all(float(f["curr"]) == pytest.approx(1.0, abs=0.003) for f in fields)
    times = [float(f["time"]) for f in fields]
    speed = default_clock().speed
    for earlier, later in itertools.pairwise(times):
        # simulated seconds between lines: the 0.1 s sampling time, never sooner
        assert 0.099 <= later - earlier <= 0.1 + 0.3 * speed


def test_udp_port_is_an_independent_unit(dut_sim):
    with connect(dut_sim) as tcp, connect(dut_sim, transport="udp") as udp:
        assert tcp.query(b"POWER ON\n") == b"OK\n"
        assert udp.query(b"STATUS?\n") == (
            b"POWER=OFF LOAD=0.000 VOLT=0.0000 CURR=0.0000 TEMP=25.00 PROFILE=clean\n"
        )
        assert udp.query(b"POWER ON\n") == b"OK\n"  # one request per datagram
        assert udp.query(b"LOAD 2\n") == b"OK\n"
        assert udp.query(b"STATUS?\n") == (
            b"POWER=ON LOAD=2.000 VOLT=4.9000 CURR=2.0000 TEMP=103.40 PROFILE=clean\n"
        )
        assert udp.custom("fail_next", 1) == "ok"
        assert tcp.query(b"*IDN?\n") == IDENTITY.encode() + b"\n"  # the TCP unit is unaffected
        assert udp.query(b"*IDN?\n") == FAULT.encode() + b"\n"
        assert tcp.query(b"STATUS?\n").startswith(b"POWER=ON LOAD=0.000")


def test_udp_datagram_is_a_whole_message(dut_sim):
    with connect(dut_sim, transport="udp") as udp:
        udp.send(b"POW")  # no newline: dropped, not kept for the next datagram
        assert udp.query(b"ER?\n").startswith(b"ERR unknown command 'ER?'")
        assert udp.query(b"POWER?\n") == b"OFF\n"


def test_fault_from_a_second_connection_hits_the_first(dut_sim):
    with connect(dut_sim) as first, connect(dut_sim) as second:
        assert first.query(b"*IDN?\n") == IDENTITY.encode() + b"\n"
        assert second.custom("fail_next", 1) == "ok"
        assert first.query(b"*IDN?\n") == FAULT.encode() + b"\n"
        assert first.query(b"*IDN?\n") == IDENTITY.encode() + b"\n"


def test_a_custom_command_on_the_telemetry_port_reaches_the_command_unit(dut_sim):
    with connect(dut_sim, "sending") as telemetry, connect(dut_sim) as commands:
        telemetry.send(b"$system_fail_next:1%")
        deadline = time.monotonic() + 2.0
        while telemetry.receive() != b"ok\n":  # telemetry lines may come first
            assert time.monotonic() < deadline
        assert commands.query(b"POWER?\n") == FAULT.encode() + b"\n"


def pass_fail_sequence(seed: int, count: int = 300) -> list[bool]:
    module = plugins.load("dut")
    with (
        Simulator("dut", module, system_type="factory-flaky", ephemeral=True) as sim,
        connect(sim) as dut,
    ):
        assert dut.custom("profile") == "factory-flaky rate=0.05"
        assert dut.custom("set_seed", seed) == "ok"
        dut.send(b"*IDN?\n" * count)  # pipelined: one write, one reply line each
        replies = [dut.receive() for _ in range(count)]
    assert set(replies) == {IDENTITY.encode() + b"\n", FAULT.encode() + b"\n"}
    return [reply == FAULT.encode() + b"\n" for reply in replies]


def test_factory_flaky_pass_fail_sequence_is_reproducible_across_simulators():
    first = pass_fail_sequence(21)
    assert 0 < sum(first) < len(first) // 4
    assert pass_fail_sequence(21) == first
    assert pass_fail_sequence(22) != first


def test_stop_command_stops_the_simulator(dut_sim):
    with connect(dut_sim) as dut:
        assert dut.custom("stop") == "$server_shutdown%"
    assert dut_sim.wait(2.0)
    assert not dut_sim.running
