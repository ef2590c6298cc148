"""The device under test, in engineering units, and the fault profiles it can run with.

The model knows nothing of lines, sockets or custom commands. Readings carry
seeded Gaussian noise, so a given seed gives the same sequence every run. A
unit fresh off the production line (:meth:`DutModel.new_unit`) also has its own
manufacturing spread, drawn from its seed: the same seed is the same unit.
"""

from __future__ import annotations

import inspect
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

__all__ = [
    "PROFILES",
    "Clean",
    "DutModel",
    "FactoryFlaky",
    "FaultProfile",
    "MarkovFlaky",
    "UnitSpread",
    "make_profile",
    "unit_spread",
]


class FaultProfile(ABC):
    """Decides, request by request, whether the device fails."""

    name: str

    @abstractmethod
    def fails(self, rng: random.Random) -> bool:
        """Return True when this request fails; advance any internal state."""

    @abstractmethod
    def describe(self) -> str:
        """Return the profile and its parameters in one line."""

    def restart(self) -> None:  # noqa: B027 - most profiles keep no state
        """Forget any state carried over from earlier requests."""


class Clean(FaultProfile):
    """Never fails: the deterministic default."""

    name = "clean"

    def fails(self, rng: random.Random) -> bool:
        return False

    def describe(self) -> str:
        return self.name


class FactoryFlaky(FaultProfile):
    """Each request fails independently with probability ``rate``."""

    name = "factory-flaky"

    def __init__(self, rate: float = 0.05) -> None:
        self.rate = _probability("rate", rate)

    def fails(self, rng: random.Random) -> bool:
        return rng.random() < self.rate

    def describe(self) -> str:
        return f"{self.name} rate={self.rate:g}"


class MarkovFlaky(FaultProfile):
    """A two-state good/bad Markov chain: failures come in bursts.

    Before each request the chain moves good -> bad with ``p_fail`` and
    bad -> good with ``p_recover``; in the bad state a request fails with
    ``bad_failure_rate``. The mean burst length is ``1 / p_recover`` requests.
    """

    name = "markov-flaky"

    def __init__(
        self, p_fail: float = 0.02, p_recover: float = 0.25, bad_failure_rate: float = 1.0
    ) -> None:
        self.p_fail = _probability("p_fail", p_fail)
        self.p_recover = _probability("p_recover", p_recover)
        self.bad_failure_rate = _probability("bad_failure_rate", bad_failure_rate)
        self.bad = False

    def restart(self) -> None:
        self.bad = False

    def fails(self, rng: random.Random) -> bool:
        switch = rng.random()
        self.bad = switch >= self.p_recover if self.bad else switch < self.p_fail
        return self.bad and rng.random() < self.bad_failure_rate

    def describe(self) -> str:
        state = "bad" if self.bad else "good"
        return (
            f"{self.name} p_fail={self.p_fail:g} p_recover={self.p_recover:g} "
            f"bad_failure_rate={self.bad_failure_rate:g} state={state}"
        )


PROFILES: dict[str, type[FaultProfile]] = {
    profile.name: profile for profile in (Clean, FactoryFlaky, MarkovFlaky)
}


def make_profile(name: str, *parameters: float) -> FaultProfile:
    """Build the profile ``name`` with its positional parameters."""
    try:
        profile = PROFILES[name]
    except KeyError:
        choices = ", ".join(PROFILES)
        raise ValueError(f"unknown profile {name!r}; choose one of: {choices}") from None
    try:
        inspect.signature(profile).bind(*parameters)
    except TypeError:
        raise ValueError(f"too many parameters for profile {name!r}") from None
    return profile(*parameters)


def _probability(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability between 0 and 1, got {value:g}")
    return value


#: The design values every unit aims at: the power-on unit has exactly these.
NOMINAL_VOLTAGE_V = 5.0
OUTPUT_RESISTANCE_OHM = 0.05
#: Manufacturing spread, one sigma: absolute for the voltage, relative for the resistance.
VOLTAGE_SIGMA_V = 0.02
RESISTANCE_RELATIVE_SIGMA = 0.2
#: A drawn unit stays within these bounds, however far out its draw.
VOLTAGE_BOUNDS_V = (4.9, 5.1)
RESISTANCE_BOUNDS_OHM = (0.01, 0.1)


@dataclass(frozen=True)
class UnitSpread:
    """Where one unit landed in the production spread."""

    nominal_voltage_v: float
    output_resistance_ohm: float


def unit_spread(seed: int) -> UnitSpread:
    """Draw a unit's nominal voltage and output resistance from ``seed``.

    The draw has its own random sequence, apart from the noise and fault
    sequences, so a unit's values do not shift the readings seeded alike.
    """
    rng = random.Random(f"{seed}:unit")
    voltage = NOMINAL_VOLTAGE_V + rng.gauss(0.0, VOLTAGE_SIGMA_V)
    resistance = OUTPUT_RESISTANCE_OHM * (1.0 + rng.gauss(0.0, RESISTANCE_RELATIVE_SIGMA))
    return UnitSpread(_clamp(voltage, VOLTAGE_BOUNDS_V), _clamp(resistance, RESISTANCE_BOUNDS_OHM))


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    low, high = bounds
    return min(max(value, low), high)


@dataclass
class DutModel:
    """A 5 V supply module under test: switch it on, load it, measure it."""

    nominal_voltage_v: float = NOMINAL_VOLTAGE_V
    output_resistance_ohm: float = OUTPUT_RESISTANCE_OHM
    max_load_a: float = 2.0
    ambient_c: float = 25.0
    thermal_resistance_c_per_w: float = 8.0
    voltage_noise_v: float = 0.002
    current_noise_a: float = 0.0005
    temperature_noise_c: float = 0.05
    seed: int = 0
    powered: bool = False
    load_a: float = 0.0
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    @classmethod
    def new_unit(cls, seed: int) -> DutModel:
        """A unit fresh off the line, off and unloaded: spread and noise drawn from ``seed``."""
        spread = unit_spread(seed)
        return cls(
            nominal_voltage_v=spread.nominal_voltage_v,
            output_resistance_ohm=spread.output_resistance_ohm,
            seed=seed,
        )

    def reseed(self, seed: int) -> None:
        """Restart the noise sequence from ``seed``."""
        self.seed = seed
        self.rng = random.Random(seed)

    def set_load(self, amps: float) -> None:
        """Set the electronic load, in amperes."""
        if not 0.0 <= amps <= self.max_load_a:
            raise ValueError(f"load must be between 0 and {self.max_load_a:g} A, got {amps:g}")
        self.load_a = amps

    @property
    def output_voltage_v(self) -> float:
        """Noise-free output voltage: nominal minus the drop across the output resistance."""
        if not self.powered:
            return 0.0
        return self.nominal_voltage_v - self.output_resistance_ohm * self.load_a

    @property
    def output_current_a(self) -> float:
        """Noise-free output current: the load, while powered."""
        return self.load_a if self.powered else 0.0

    @property
    def temperature_c(self) -> float:
        """Noise-free case temperature: ambient plus self-heating."""
        power_w = self.output_voltage_v * self.output_current_a
        return self.ambient_c + self.thermal_resistance_c_per_w * power_w

    def measure_voltage(self, rng: random.Random | None = None) -> float:
        """A voltage reading with noise."""
        return self._noisy(self.output_voltage_v, self.voltage_noise_v, rng)

    def measure_current(self, rng: random.Random | None = None) -> float:
        """A current reading with noise."""
        return self._noisy(self.output_current_a, self.current_noise_a, rng)

    def measure_temperature(self, rng: random.Random | None = None) -> float:
        """A temperature reading with noise."""
        return self._noisy(self.temperature_c, self.temperature_noise_c, rng)

    def _noisy(self, value: float, sigma: float, rng: random.Random | None) -> float:
        return value + (rng or self.rng).gauss(0.0, sigma) if sigma else value
