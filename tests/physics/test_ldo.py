"""LDO electrical behaviour: tempco, quiescent current, dropout, dissipation."""

import pytest

from simulators.physics import DutThermal, Ldo, LdoParams, ThermalParams


def make_ldo(vin: float = 5.0, load: float = 0.1, params: LdoParams | None = None) -> Ldo:
    ldo = Ldo(params)
    ldo.input_voltage_v = vin
    ldo.load_current_a = load
    return ldo


def test_output_voltage_follows_the_tempco():
    ldo = make_ldo()
    assert ldo.operating_point(25.0).output_voltage_v == pytest.approx(3.3, abs=1e-12)
    assert ldo.operating_point(125.0).output_voltage_v == pytest.approx(
        3.3 * (1 + 50e-6 * 100), abs=1e-12
    )
    assert ldo.operating_point(-40.0).output_voltage_v == pytest.approx(3.3 * (1 - 50e-6 * 65))


def test_quiescent_current_tempco_and_cold_clamp():
    ldo = make_ldo()
    assert ldo.operating_point(25.0).quiescent_current_a == pytest.approx(50e-6)
    assert ldo.operating_point(125.0).quiescent_current_a == pytest.approx(50e-6 * 1.3)
    steep = make_ldo(params=LdoParams(quiescent_current_tempco_per_c=0.02))
    assert steep.operating_point(-40.0).quiescent_current_a == 0.0


def test_dissipation_and_input_current():
    ldo = make_ldo()
    point = ldo.operating_point(85.0)
    vout = 3.3 * (1 + 50e-6 * 60)
    iq = 50e-6 * (1 + 0.003 * 60)
    assert point.dissipation_w == pytest.approx((5.0 - vout) * 0.1 + 5.0 * iq, abs=1e-15)
    assert point.input_current_a == pytest.approx(0.1 + iq, abs=1e-15)
    assert ldo.dissipation_w(85.0) == pytest.approx(point.dissipation_w, abs=1e-15)
    assert not point.in_dropout


def test_dropout_output_follows_the_input():
    point = make_ldo(vin=3.4).operating_point(25.0)
    assert point.output_voltage_v == pytest.approx(3.1)
    assert point.in_dropout
    assert point.load_current_a == 0.1
    assert point.dissipation_w == pytest.approx(0.3 * 0.1 + 3.4 * 50e-6)


def test_input_below_dropout_gives_zero_output_and_no_load_current():
    ldo = make_ldo(vin=0.2)
    point = ldo.operating_point(25.0)
    assert (point.output_voltage_v, point.load_current_a) == (0.0, 0.0)
    assert point.quiescent_current_a == pytest.approx(50e-6)
    assert point.dissipation_w == pytest.approx(0.2 * 50e-6)
    assert ldo.dissipation_w(25.0) == pytest.approx(point.dissipation_w)


def test_input_off_draws_nothing():
    ldo = make_ldo(vin=0.0)
    point = ldo.operating_point(25.0)
    assert point.input_current_a == 0.0
    assert point.dissipation_w == 0.0
    assert not point.in_dropout
    assert ldo.dissipation_w(25.0) == 0.0


@pytest.mark.parametrize(
    ("attribute", "value"), [("input_voltage_v", -1.0), ("load_current_a", -0.1)]
)
def test_negative_settings_are_refused(attribute, value):
    ldo = make_ldo()
    with pytest.raises(ValueError, match=r"\(V\)|\(A\)"):
        setattr(ldo, attribute, value)


def test_dut_thermal_self_heating():
    dut = DutThermal(ThermalParams(), initial_c=25.0)
    dut.dissipation_w = 0.2
    assert dut.junction_c == pytest.approx(25.0 + 0.2 * 15.0)
    dut.tick(1000.0, air_c=40.0)  # constant air: settles at air + P*theta_ca
    assert dut.case_c == pytest.approx(40.0 + 0.2 * 5.0)
    assert dut.junction_c == pytest.approx(40.0 + 0.2 * 20.0)
    with pytest.raises(ValueError, match="dissipation"):
        dut.dissipation_w = float("nan")
