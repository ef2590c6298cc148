"""The coupled bench: self-heating steady state, supply, sub-stepping, TempCo sweep."""

import math

import pytest

from simulators.physics import MAX_SUBSTEPS_PER_TICK, BenchModel, BenchParams, plan_substeps
from simulators.physics.thermal import Chamber

THETA_TOTAL = 15.0 + 5.0  # C/W, junction to chamber air


def ldo_dissipation(vin: float, load: float, tj: float) -> float:
    """The brief's formulas, written independently of the model."""
    vout = 3.3 * (1 + 50e-6 * (tj - 25.0))
    iq = 50e-6 * (1 + 0.003 * (tj - 25.0))
    return (vin - vout) * load + vin * iq


def steady_junction(air_c: float, vin: float = 5.0, load: float = 0.1) -> tuple[float, float]:
    """Solve Tj = air + P(Tj) * (theta_ca + theta_jc) by fixed-point iteration."""
    tj = air_c
    for _ in range(50):
        tj = air_c + ldo_dissipation(vin, load, tj) * THETA_TOTAL
    return tj, ldo_dissipation(vin, load, tj)


def powered_bench(params: BenchParams | None = None) -> BenchModel:
    bench = BenchModel(params)
    bench.psu_output_on = True
    return bench


def settle(bench: BenchModel, timeout_s: float = 3600.0) -> None:
    """Tick in 10 s steps until the chamber reports stable."""
    start = bench.time_s
    while not bench.chamber_stable:
        assert bench.time_s - start < timeout_s, "chamber never became stable"
        bench.tick(10.0)


@pytest.mark.parametrize("air_c", [25.0, 85.0])
def test_steady_state_junction_includes_self_heating(air_c):
    bench = powered_bench()
    bench.chamber_setpoint_c = air_c
    settle(bench)
    bench.tick(2000.0)  # let the air and the case settle completely
    tj, power = steady_junction(bench.chamber_air_c)
    assert bench.chamber_air_c == pytest.approx(air_c, abs=1e-9)
    assert bench.dissipation_w == pytest.approx(power, abs=1e-12)
    assert bench.junction_c == pytest.approx(tj, abs=1e-9)
    assert bench.case_c == pytest.approx(air_c + power * 5.0, abs=1e-9)
    assert bench.junction_c - air_c == pytest.approx(3.4, abs=0.02)  # ~0.17 W * 20 C/W


def test_case_lags_the_chamber_with_its_time_constant():
    bench = powered_bench()
    bench.tick(100.0)
    start = bench.case_c
    # Switch the load off: P drops to Vin * Iq and the case relaxes with tau = 5 s.
    bench.load_current_a = 0.0
    target = 25.0 + bench.dissipation_w * 5.0
    bench.tick(5.0)
    assert bench.case_c == pytest.approx(target + (start - target) * math.exp(-1.0), abs=1e-6)


def test_supply_off_at_power_up_then_on():
    bench = BenchModel()
    assert not bench.psu_output_on
    assert (bench.psu_measured_voltage_v, bench.psu_measured_current_a) == (0.0, 0.0)
    assert (bench.dut_output_voltage_v, bench.dut_load_current_a, bench.dissipation_w) == (0, 0, 0)
    bench.psu_output_on = True
    assert bench.psu_measured_voltage_v == 5.0
    assert bench.dut_output_voltage_v == pytest.approx(3.3, abs=1e-3)
    assert bench.dut_load_current_a == 0.1
    assert bench.psu_measured_current_a == pytest.approx(0.1 + 50e-6, rel=1e-3)
    assert bench.psu_measured_current_a == bench.dut_operating_point.input_current_a
    assert not bench.psu_in_current_limit


def test_supply_settings_reach_the_dut():
    bench = powered_bench()
    bench.psu_voltage_setpoint_v = 3.4
    assert bench.psu_voltage_setpoint_v == 3.4
    assert bench.dut_output_voltage_v == pytest.approx(3.1)
    assert bench.dut_operating_point.in_dropout
    bench.psu_voltage_setpoint_v = 0.1
    assert bench.dut_output_voltage_v == 0.0
    assert bench.dut_load_current_a == 0.0
    with pytest.raises(ValueError, match="supply voltage"):
        bench.psu_voltage_setpoint_v = -1.0


def test_current_limit_caps_the_reading_and_flags_it():
    bench = powered_bench()
    bench.psu_current_limit_a = 0.05
    assert bench.psu_current_limit_a == 0.05
    assert (bench.psu_in_current_limit, bench.psu_measured_current_a) == (True, 0.05)
    bench.load_current_a = 0.01
    assert bench.load_current_a == 0.01
    assert not bench.psu_in_current_limit
    assert bench.psu_measured_current_a == pytest.approx(0.01 + 50e-6, rel=1e-3)
    with pytest.raises(ValueError, match="current limit"):
        bench.psu_current_limit_a = -1.0


def test_chamber_controls_pass_through():
    bench = BenchModel()
    bench.chamber_ramp_rate_c_per_min = 5.0
    bench.chamber_setpoint_c = 85.0
    assert (bench.chamber_setpoint_c, bench.chamber_ramp_rate_c_per_min) == (85.0, 5.0)
    assert not bench.chamber_stable
    bench.tick(60.0)
    assert bench.chamber_air_c == pytest.approx(30.0)
    assert bench.time_s == 60.0


def test_substep_plan_is_bounded():
    count, length = plan_substeps(0.3, 100.0)
    assert count == 30
    assert length == pytest.approx(0.01)
    count, length = plan_substeps(1e9, 100.0)
    assert count == MAX_SUBSTEPS_PER_TICK
    assert length == pytest.approx(1e9 / MAX_SUBSTEPS_PER_TICK)


def test_one_long_jump_costs_bounded_work(monkeypatch):
    """Ten minutes of simulated time in one request: a bounded number of sub-steps.

    A simulated clock at 500x jumps minutes between two queries when the
    machine is busy; at 100 Hz that was 60,000 sub-steps inside one request.
    """
    bench = powered_bench()
    bench.chamber_setpoint_c = 125.0
    calls: list[float] = []
    original = Chamber.tick

    def counted(self: Chamber, dt_s: float) -> None:
        calls.append(dt_s)
        original(self, dt_s)

    monkeypatch.setattr(Chamber, "tick", counted)
    bench.tick(600.0)
    assert 0 < len(calls) <= MAX_SUBSTEPS_PER_TICK
    assert sum(calls) == pytest.approx(600.0)


def test_a_long_jump_lands_where_many_short_ticks_do():
    jumped, stepped = powered_bench(), powered_bench()
    for bench in (jumped, stepped):
        bench.chamber_setpoint_c = 85.0
    jumped.tick(600.0)
    for _ in range(600):
        stepped.tick(1.0)
    assert jumped.chamber_air_c == pytest.approx(stepped.chamber_air_c, abs=1e-9)
    assert jumped.case_c == pytest.approx(stepped.case_c, abs=1e-3)
    assert jumped.dut_output_voltage_v == pytest.approx(stepped.dut_output_voltage_v, abs=1e-8)


def test_huge_tick_is_bounded_and_lands_on_the_steady_state():
    bench = powered_bench()
    bench.chamber_setpoint_c = 125.0
    bench.tick(1e7)
    tj, _ = steady_junction(125.0)
    assert bench.junction_c == pytest.approx(tj, abs=1e-9)
    assert bench.chamber_stable


def test_long_substeps_stay_close_to_fine_ones():
    fine, coarse = powered_bench(), powered_bench(BenchParams(update_rate_hz=0.1))
    for bench in (fine, coarse):
        bench.chamber_setpoint_c = 85.0
    for t in (100.0, 400.0, 500.0):
        fine.tick(t - fine.time_s)
        coarse.tick(t - coarse.time_s)
        assert coarse.chamber_air_c == pytest.approx(fine.chamber_air_c, abs=1e-9)
        assert coarse.case_c == pytest.approx(fine.case_c, abs=0.01)


@pytest.mark.parametrize("dt_s", [-1.0, math.nan, math.inf])
def test_bad_tick_is_refused(dt_s):
    bench = BenchModel()
    with pytest.raises(ValueError, match="dt_s"):
        bench.tick(dt_s)


def test_zero_tick_changes_nothing():
    bench = powered_bench()
    before = (bench.junction_c, bench.case_c, bench.time_s)
    bench.tick(0.0)
    assert (bench.junction_c, bench.case_c, bench.time_s) == before


def test_tempco_characterisation_recovers_50_ppm_per_c():
    params = BenchParams()
    bench = powered_bench(params)
    bench.psu_voltage_setpoint_v = params.psu_voltage_v
    bench.load_current_a = params.load_current_a
    temperatures, voltages = [], []
    for setpoint in params.tempco_sweep_c:
        bench.chamber_setpoint_c = setpoint
        settle(bench)
        temperatures.append(bench.chamber_air_c)
        voltages.append(bench.dut_output_voltage_v)
    n = len(temperatures)
    mean_t, mean_v = sum(temperatures) / n, sum(voltages) / n
    slope = sum((t - mean_t) * (v - mean_v) for t, v in zip(temperatures, voltages, strict=True))
    slope /= sum((t - mean_t) ** 2 for t in temperatures)
    v25 = voltages[params.tempco_sweep_c.index(25.0)]
    assert slope / v25 * 1e6 == pytest.approx(50.0, abs=1.0)
