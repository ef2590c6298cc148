"""Parameter dataclasses: defaults equal the design's dvt_defaults.yaml, mappings, validation."""

import copy
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

import simulators.devices.dvt_bench
from simulators.physics import BenchParams, ChamberParams, LdoParams, ThermalParams

#: The DVT bench defaults of the project's design (a copy kept with the tests).
DESIGN_DEFAULTS = Path(__file__).resolve().parent.parent / "data" / "dvt_defaults.yaml"

# tests/data/dvt_defaults.yaml as the YAML loader returns it.
DVT_DEFAULTS: dict[str, Any] = {
    "physics": {
        "update_rate_hz": 100.0,
        "thermal": {
            "chamber_time_constant_s": 30.0,
            "case_time_constant_s": 5.0,
            "theta_jc": 15.0,
            "theta_ca": 5.0,
        },
        "chamber": {
            "ramp_rate_c_per_min": 10.0,
            "stability_window_c": 0.5,
            "stability_time_s": 30.0,
            "ambient_c": 25.0,
        },
    },
    "dut": {
        "model": "ldo",
        "parameters": {
            "nominal_output_voltage": 3.3,
            "tempco_ppm_per_c": 50.0,
            "quiescent_current_ua": 50.0,
            "quiescent_current_tempco": 0.003,
            "dropout_voltage": 0.3,
        },
    },
    "bench": {"psu_voltage": 5.0, "load_current_a": 0.1, "tempco_sweep_c": [-40, 0, 25, 85, 125]},
}


def test_defaults_equal_dvt_defaults():
    assert BenchParams.from_mapping(DVT_DEFAULTS) == BenchParams()
    assert BenchParams.from_mapping({}) == BenchParams()


def test_defaults_equal_the_design_defaults_file():
    """tests/data/dvt_defaults.yaml is the design's copy; the literal above must agree."""
    data = yaml.safe_load(DESIGN_DEFAULTS.read_text(encoding="utf-8"))
    assert data == DVT_DEFAULTS
    assert BenchParams.from_mapping(data) == BenchParams()


def test_the_shipped_bench_profile_has_the_design_values():
    """The package's dvt_bench profile is a copy of the design defaults, value for value."""
    shipped = Path(simulators.devices.dvt_bench.__file__).parent / "profile.yaml"
    assert yaml.safe_load(shipped.read_text(encoding="utf-8")) == DVT_DEFAULTS


def test_mapping_values_reach_the_fields():
    data = copy.deepcopy(DVT_DEFAULTS)
    data["physics"]["thermal"]["theta_jc"] = 12
    data["physics"]["chamber"]["ambient_c"] = 22.5
    data["dut"]["parameters"]["dropout_voltage"] = 0.2
    data["bench"]["tempco_sweep_c"] = [0, 50]
    params = BenchParams.from_mapping(data)
    assert params.thermal.theta_jc_c_per_w == 12.0
    assert params.chamber.ambient_c == 22.5
    assert params.ldo.dropout_voltage_v == 0.2
    assert params.tempco_sweep_c == (0.0, 50.0)
    assert ThermalParams.from_mapping({"theta_ca": 7}).theta_ca_c_per_w == 7.0
    assert LdoParams.from_mapping({}) == LdoParams()
    assert ChamberParams.from_mapping({"stability_time_s": 10}).stability_time_s == 10.0


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ((), "extra"),
        (("physics",), "tick_rate"),
        (("physics", "thermal"), "theta_xx"),
        (("physics", "chamber"), "humidity"),
        (("dut",), "serial"),
        (("dut", "parameters"), "psrr"),
        (("bench",), "dmm"),
    ],
)
def test_unknown_key_is_named(section, key):
    data = copy.deepcopy(DVT_DEFAULTS)
    target = data
    for name in section:
        target = target[name]
    target[key] = 1.0
    dotted = ".".join((*section, key))
    with pytest.raises(ValueError, match=rf"unknown parameter '{dotted}'"):
        BenchParams.from_mapping(data)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("physics", "update_rate_hz"), "fast", "physics.update_rate_hz must be a number"),
        (("physics", "thermal", "theta_jc"), True, "physics.thermal.theta_jc must be a number"),
        (("physics", "thermal"), [1, 2], "physics.thermal must be a mapping"),
        (("physics", "thermal", "case_time_constant_s"), 0, "physics.thermal: case_time_const"),
        (("physics", "chamber", "ambient_c"), -300, "physics.chamber: ambient_c must be"),
        (("physics", "update_rate_hz"), -1, "update_rate_hz must be a finite number > 0"),
        (("dut", "model"), "opamp", "dut.model: only 'ldo'"),
        (("dut", "parameters", "quiescent_current_ua"), -5, "dut.parameters: quiescent"),
        (("bench", "psu_voltage"), math.nan, "psu_voltage_v must be a finite number >= 0"),
        (("bench", "tempco_sweep_c"), "25,85", "bench.tempco_sweep_c must be a list"),
        (("bench", "tempco_sweep_c"), [25, "x"], r"bench.tempco_sweep_c.1 must be a number"),
        (("bench", "tempco_sweep_c"), [25], "at least two temperatures"),
        (("bench", "tempco_sweep_c"), [25, -500], "tempco_sweep_c entry"),
    ],
)
def test_bad_values_are_refused_with_the_key(path, value, message):
    data = copy.deepcopy(DVT_DEFAULTS)
    target = data
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = value
    with pytest.raises(ValueError, match=message):
        BenchParams.from_mapping(data)


def test_root_must_be_a_mapping_with_string_keys():
    with pytest.raises(ValueError, match="parameters must be a mapping"):
        BenchParams.from_mapping([])
    with pytest.raises(ValueError, match="non-string key 1"):
        BenchParams.from_mapping({1: {}})


@pytest.mark.parametrize(
    ("factory", "field", "value"),
    [
        (ThermalParams, "chamber_time_constant_s", -1.0),
        (ThermalParams, "theta_jc_c_per_w", -0.1),
        (ThermalParams, "theta_ca_c_per_w", math.inf),
        (ChamberParams, "ramp_rate_c_per_min", 0.0),
        (ChamberParams, "stability_window_c", 0.0),
        (ChamberParams, "stability_time_s", -1.0),
        (LdoParams, "nominal_output_voltage_v", 0.0),
        (LdoParams, "tempco_ppm_per_c", math.nan),
        (LdoParams, "quiescent_current_tempco_per_c", math.inf),
        (LdoParams, "dropout_voltage_v", -0.1),
        (BenchParams, "load_current_a", -0.1),
    ],
)
def test_direct_construction_validates(factory, field, value):
    with pytest.raises(ValueError, match=field):
        factory(**{field: value})
