"""A noisy drift: ``drift,<name>,<step>[,<sigma>[,<seed>]]``, its grammar, noise and seed."""

from __future__ import annotations

import math
import statistics

import pytest

from simulators.devicekit import Values
from simulators.devicekit.faults import MAX_SEED, Drift, parse

START = 100.0  # the live value under the drift
READS = 2000  # reads per statistics test: enough for tight, sigma-derived tolerances


def level_values() -> Values:
    """A reading device with one constant reading, ``level``, and a second one, ``other``."""
    return Values({"level": lambda: START, "other": lambda: START})


def readings(values: Values, name: str = "level", count: int = READS) -> list[float]:
    return [values.report(name) for _ in range(count)]


def noise_of(reads: list[float], step: float) -> list[float]:
    """What each read adds to the noiseless drift: read ``i`` (from 1) drifted ``i * step``."""
    return [value - (START + step * i) for i, value in enumerate(reads, start=1)]


# -- grammar ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "fault"),
    [
        (("level", "2"), Drift("level", 2, 0, 0)),
        (("level", "2", "3"), Drift("level", 2, 3, 0)),
        (("level", "-0.5", "0.25", "42"), Drift("level", -0.5, 0.25, 42)),
        (("level", "1", "0", "7"), Drift("level", 1, 0, 7)),
        (("level", "1", "1e-3", str(MAX_SEED)), Drift("level", 1, 0.001, MAX_SEED)),
    ],
)
def test_drift_takes_two_three_or_four_arguments(args: tuple[str, ...], fault: Drift) -> None:
    assert parse("drift", args, resolve=str) == fault


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("level", "1", "2", "3", "4"),
            r"^usage: \$system_fault:drift,<reading>,<step>\[,<sigma>\[,<seed>\]\]%$",
        ),
        (("level", "1", "-0.1"), "^sigma must be >= 0, got '-0.1'$"),
        (("level", "1", "nan"), "^sigma must be finite, got 'nan'$"),
        (("level", "1", "inf", "1"), "^sigma must be finite, got 'inf'$"),
        (("level", "1", "wide"), "^sigma must be a number, got 'wide'$"),
        (("level", "1", "2", "1.5"), "^seed must be an integer, got '1.5'$"),
        (("level", "1", "2", "x"), "^seed must be an integer, got 'x'$"),
        (("level", "1", "2", "-1"), f"^seed must be between 0 and {MAX_SEED}, got -1$"),
        (("level", "1", "2", str(MAX_SEED + 1)), "^seed must be between 0 and"),
        (("level", "x", "2", "3"), "^step must be a number, got 'x'$"),
        (("volume", "1", "2", "3"), "^unknown reading 'volume'; known: level, other$"),
    ],
)
def test_a_malformed_noisy_drift_is_one_line_and_changes_nothing(
    args: tuple[str, ...], message: str
) -> None:
    values = level_values()
    with pytest.raises(ValueError, match=message) as raised:
        values.fault("drift", *args)
    assert "\n" not in str(raised.value)
    assert values.describe_faults() == "none"
    assert values.report("level") == START


# -- noise statistics -------------------------------------------------------------------


@pytest.mark.parametrize(("step", "sigma"), [(0.5, 2.0), (-3.0, 0.1), (0.0, 5.0)])
def test_the_noise_has_mean_zero_and_sd_sigma_around_the_exact_drift(
    step: float, sigma: float
) -> None:
    values = level_values()
    values.fault("drift", "level", str(step), str(sigma), "11")
    noise = noise_of(readings(values), step)
    # Five standard errors: the mean of READS draws has sd sigma/sqrt(n), the sample sd
    # about sigma/sqrt(2n); a fixed seed makes the test deterministic all the same.
    assert abs(statistics.fmean(noise)) < 5 * sigma / math.sqrt(READS)
    assert abs(statistics.stdev(noise) - sigma) < 5 * sigma / math.sqrt(2 * READS)
    inside = sum(abs(value) <= sigma for value in noise) / READS
    assert abs(inside - 0.6827) < 0.05  # Gaussian: about 68 % within one sigma


def test_the_drift_accumulates_without_the_noise() -> None:
    values = level_values()
    values.fault("drift", "level", "0.25", "4", "3")
    noise = noise_of(readings(values, count=400), 0.25)
    assert statistics.stdev(noise) > 3  # noisy reads ...
    assert values.value("level") == START + 400 * 0.25  # ... over an exact drift
    assert "level = 200 (live, drifting)" in values.describe()


def test_looking_at_a_value_draws_no_noise() -> None:
    seen, untouched = level_values(), level_values()
    for values in (seen, untouched):
        values.fault("drift", "level", "1", "2", "5")
    reads = []
    for _ in range(20):
        seen.value("level")
        seen.describe()
        reads.append(seen.report("level"))
    assert reads == readings(untouched, count=20)


def test_sigma_zero_is_the_plain_drift() -> None:
    values = level_values()
    values.fault("drift", "level", "0.5", "0", "9")
    assert readings(values, count=4) == [100.5, 101.0, 101.5, 102.0]
    assert values.describe_faults() == "drift level +0.5 per read"


# -- reproducibility ----------------------------------------------------------------------


def session(*fault: str, count: int = 50) -> list[float]:
    """The readings of a fresh device given one fault command."""
    values = level_values()
    values.fault("drift", *fault)
    return readings(values, count=count)


def test_the_same_commands_give_the_same_readings() -> None:
    assert session("level", "2", "3", "42") == session("level", "2", "3", "42")
    assert session("level", "2", "3") == session("level", "2", "3", "0")  # seed 0 by default


def test_another_seed_gives_other_readings() -> None:
    first, other = session("level", "2", "3", "42"), session("level", "2", "3", "43")
    assert sum(a != b for a, b in zip(first, other, strict=True)) == len(first)


def test_two_readings_drifting_with_one_seed_are_not_noisy_in_step() -> None:
    values = level_values()
    values.fault("drift", "level", "0", "1", "42")
    values.fault("drift", "other", "0", "1", "42")
    pairs = [(values.report("level"), values.report("other")) for _ in range(400)]
    level, other = zip(*pairs, strict=True)
    assert abs(statistics.correlation(level, other)) < 0.2


def test_injecting_again_restarts_the_noise_sequence_but_not_the_drift() -> None:
    values = level_values()
    values.fault("drift", "level", "1", "2", "8")
    first = noise_of(readings(values, count=10), 1.0)
    values.fault("drift", "level", "1", "2", "8")
    again = [value - (START + 10 + i) for i, value in enumerate(readings(values, count=10), 1)]
    assert again == pytest.approx(first)


# -- faults listing, clearing, reset ---------------------------------------------------


def test_faults_lists_the_noise_and_its_seed() -> None:
    values = level_values()
    values.fault("drift", "level", "2", "3", "42")
    values.fault("drift", "other", "-1", "0.5")
    assert values.describe_faults() == (
        "drift level +2 per read, noise sigma 3 seed 42\n"
        "drift other -1 per read, noise sigma 0.5 seed 0"
    )


def test_clearing_faults_ends_the_noise() -> None:
    values = level_values()
    values.fault("drift", "level", "2", "3", "42")
    readings(values, count=5)
    values.clear_faults()
    assert values.describe_faults() == "none"
    assert readings(values, count=3) == [START] * 3


def test_reset_ends_the_noise_and_the_same_commands_replay_the_same_readings() -> None:
    values = level_values()
    values.fault("drift", "level", "2", "3", "42")
    first = readings(values, count=30)
    values.reset()
    assert values.report("level") == START
    values.reset()
    values.fault("drift", "level", "2", "3", "42")
    assert readings(values, count=30) == first


def test_a_stuck_value_stays_put_under_a_noisy_drift() -> None:
    values = level_values()
    values.fault("drift", "level", "2", "3", "42")
    values.fault("stuck", "level")
    assert readings(values, count=5) == [START] * 5
