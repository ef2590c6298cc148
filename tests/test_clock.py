"""Tests for the clocks: the simulated one, the manual one and the process-wide default."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime

import pytest

from simulators import clock as clock_module
from simulators import utils

# -- clocks ------------------------------------------------------------------


def test_default_clock_is_created_once(fresh_default_clock):
    fresh_default_clock.setenv(clock_module.SPEED_VARIABLE, "25")
    first = utils.default_clock()
    assert first is utils.default_clock()
    assert first.speed == 25.0
    assert abs(first.time() - time.time()) < 60


def test_default_clock_runs_at_real_speed_without_the_variable(fresh_default_clock):
    fresh_default_clock.delenv(clock_module.SPEED_VARIABLE, raising=False)
    assert utils.default_clock().speed == 1.0


def test_import_does_not_create_the_default_clock():
    import subprocess
    import sys

    code = "import simulators.utils, simulators.clock as c; print(c._default is None)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.strip() == "True"


@pytest.mark.parametrize("raw", ["fast", "0", "-2", "nan", "inf"])
def test_default_clock_rejects_a_bad_speed_variable(fresh_default_clock, raw):
    fresh_default_clock.setenv(clock_module.SPEED_VARIABLE, raw)
    with pytest.raises(ValueError, match=f"SIMULATORS_CLOCK_SPEED must be .* got '{raw}'"):
        utils.default_clock()


def test_both_clocks_satisfy_the_protocol():
    assert isinstance(utils.SimulatedClock(), utils.Clock)
    assert isinstance(utils.ManualClock(), utils.Clock)


def test_manual_clock_moves_only_when_told():
    clock = utils.ManualClock(start=1_000.0)
    assert (clock.time(), clock.monotonic()) == (1_000.0, 0.0)
    time.sleep(0.01)
    assert clock.time() == 1_000.0
    clock.advance(2.5)
    clock.sleep(0.5)
    assert (clock.time(), clock.monotonic()) == (1_003.0, 3.0)
    assert clock.now() == datetime(1970, 1, 1, 0, 16, 43, tzinfo=UTC)
    assert "elapsed=3.0" in repr(clock)


def test_manual_clock_sleep_does_not_wait():
    clock = utils.ManualClock()
    sleeper = threading.Thread(target=clock.sleep, args=(3600.0,), daemon=True)
    sleeper.start()
    sleeper.join(timeout=30.0)  # a hang guard: an hour of real waiting would never end here
    assert not sleeper.is_alive()
    assert clock.monotonic() == 3600.0


def test_manual_clock_speed_is_settable_but_checked():
    clock = utils.ManualClock()
    clock.speed = 10
    assert clock.speed == 10.0
    clock.advance(1)
    assert clock.monotonic() == 1.0
    with pytest.raises(ValueError, match="speed"):
        clock.speed = 0


@pytest.mark.parametrize("seconds", [-1.0, math.nan, math.inf])
def test_clocks_reject_bad_durations(seconds):
    with pytest.raises(ValueError, match="seconds must be"):
        utils.ManualClock().advance(seconds)
    with pytest.raises(ValueError, match="seconds must be"):
        utils.ManualClock().sleep(seconds)
    with pytest.raises(ValueError, match="seconds must be"):
        utils.SimulatedClock().sleep(seconds)


@pytest.mark.parametrize("speed", [0, -1.0, math.nan, math.inf])
def test_simulated_clock_rejects_bad_speeds(speed):
    with pytest.raises(ValueError, match="speed must be"):
        utils.SimulatedClock(speed=speed)
    clock = utils.SimulatedClock()
    with pytest.raises(ValueError, match="speed must be"):
        clock.speed = speed
    assert clock.speed == 1.0


class FakeRealTime:
    """A real monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def real_time(monkeypatch):
    fake = FakeRealTime()
    monkeypatch.setattr(clock_module, "_real_monotonic", fake)
    return fake


def test_simulated_clock_scales_real_time_exactly(real_time):
    clock = utils.SimulatedClock(speed=60.0, start=1_000.0)
    assert (clock.monotonic(), clock.time()) == (0.0, 1_000.0)
    real_time.now += 2.0
    assert (clock.monotonic(), clock.time()) == (120.0, 1_120.0)
    assert clock.now() == datetime.fromtimestamp(1_120.0, tz=UTC)


def test_simulated_clock_speed_change_keeps_time_continuous(real_time):
    clock = utils.SimulatedClock(speed=2.0, start=0.0)
    real_time.now += 10.0
    assert clock.time() == 20.0
    clock.speed = 100.0
    assert clock.time() == 20.0  # no jump when the speed changes
    real_time.now += 1.0
    assert clock.time() == 120.0
    clock.speed = 0.5
    real_time.now += 4.0
    assert clock.time() == 122.0
    assert clock.speed == 0.5
    assert "speed=0.5" in repr(clock)


def test_simulated_clock_starts_at_real_time_by_default():
    before = time.time()
    clock = utils.SimulatedClock(speed=1.0)
    assert before <= clock.time() <= time.time() + 0.001


def test_simulated_clock_runs_faster_than_real_time():
    clock = utils.SimulatedClock(speed=50.0)
    real_start = time.monotonic()
    sim_start = clock.monotonic()
    time.sleep(0.02)
    sim_elapsed = clock.monotonic() - sim_start
    real_elapsed = time.monotonic() - real_start
    assert 50.0 * 0.02 <= sim_elapsed <= 50.0 * real_elapsed + 1e-6


class RecordingCondition(threading.Condition):
    """A condition that records how long each wait was asked to last (real seconds)."""

    def __init__(self) -> None:
        super().__init__(threading.Lock())
        self.timeouts: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.timeouts.append(timeout)
        return super().wait(timeout)


def test_simulated_clock_sleep_waits_the_scaled_real_time():
    clock = utils.SimulatedClock(speed=200.0)
    recorder = RecordingCondition()
    clock._changed = recorder  # the clock's only wait goes through this condition
    sim_start = clock.monotonic()
    clock.sleep(4.0)  # 4 simulated seconds at 200x: one wait of 20 ms of real time
    assert clock.monotonic() - sim_start >= 4.0
    assert recorder.timeouts
    assert recorder.timeouts[0] == pytest.approx(4.0 / 200.0, rel=1e-3)
    assert all(t is not None and t <= 4.0 / 200.0 * 1.001 for t in recorder.timeouts)
    clock.sleep(0)


def test_speeding_up_wakes_a_sleeper_early():
    clock = utils.SimulatedClock(speed=1.0)
    done = threading.Event()

    def sleeper():
        clock.sleep(3600.0)
        done.set()

    thread = threading.Thread(target=sleeper, daemon=True)
    thread.start()
    time.sleep(0.01)
    assert not done.is_set()
    clock.speed = 1e6  # the remaining hour now takes under 4 ms
    assert done.wait(timeout=30.0)  # a hang guard: the sleeper wakes within ms
    thread.join(timeout=30.0)
    assert clock.monotonic() >= 3600.0


def test_simulated_clock_never_goes_back_under_concurrent_speed_changes():
    clock = utils.SimulatedClock(speed=1.0)
    stop = threading.Event()
    problems = []

    def reader():
        last = clock.monotonic()
        while not stop.is_set():
            current = clock.monotonic()
            if current < last:
                problems.append((last, current))
            last = current

    readers = [threading.Thread(target=reader, daemon=True) for _ in range(3)]
    for thread in readers:
        thread.start()
    for i in range(200):
        clock.speed = 1.0 + (i % 7) * 100.0
    stop.set()
    for thread in readers:
        thread.join(timeout=2.0)
    assert problems == []
