"""A noisy drift on a Modbus register: integer readings, the wire, mfg-ctl, 30 bring-up runs."""

from __future__ import annotations

import math
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from mfg_ctl.cli.main import main
from mfg_ctl.store import RunStore
from simulators import plugins
from simulators.devicekit import Values
from simulators.devices._modbus.model import RegisterModel
from simulators.launcher import Simulator
from simulators.profiles import resolve_profile

ROOT = Path(__file__).resolve().parents[2]
BRINGUP = "plans/station_bringup.yaml"
WAIT = 30.0  # seconds: the bound on every socket wait
DMM_DEFAULT = 4980  # the dmm's dc_voltage at power-on (input register 100)
FAULT = ("drift", "dc_voltage", "2", "3", "42")  # issue 11's drifting station
RUNS = 30


def dmm_reads(model: RegisterModel, count: int) -> list[int]:
    return [model.read("input", 100, 1)[0] for _ in range(count)]


def test_a_register_rounds_after_the_noise_is_added() -> None:
    """The register reads the rounded float reading the same fault gives, read by read."""
    dmm = RegisterModel(resolve_profile("dmm"))
    dmm.values.fault("drift", "dc_voltage", "0.3", "0.4", "5")
    floats = Values({"dc_voltage": lambda: float(DMM_DEFAULT)})
    floats.fault("drift", "dc_voltage", "0.3", "0.4", "5")
    expected = [round(floats.report("dc_voltage")) for _ in range(200)]
    reads = dmm_reads(dmm, 200)
    assert reads == expected
    assert all(isinstance(value, int) for value in reads)
    # Rounding the drift or the noise before adding them would lose this spread.
    assert reads != [round(DMM_DEFAULT + 0.3 * i) for i in range(1, 201)]


def test_a_noisy_register_is_clamped_to_its_16_bits() -> None:
    dmm = RegisterModel(resolve_profile("dmm"))
    dmm.values.set_text("dc_voltage", "2")
    dmm.values.fault("drift", "dc_voltage", "0", "10", "1")
    reads = dmm_reads(dmm, 200)
    assert min(reads) == 0
    assert max(reads) > 10
    assert all(0 <= value <= 0xFFFF for value in reads)


def test_clearing_leaves_a_register_where_the_drift_took_it_without_the_noise() -> None:
    dmm = RegisterModel(resolve_profile("dmm"))
    dmm.values.fault("drift", "dc_voltage", "2", "3", "42")
    reads = dmm_reads(dmm, 25)
    assert reads != [DMM_DEFAULT + 2 * i for i in range(1, 26)]  # noisy
    dmm.values.clear_faults()
    assert dmm_reads(dmm, 3) == [DMM_DEFAULT + 2 * 25] * 3


def test_the_same_session_replays_on_a_fresh_device_and_after_reset() -> None:
    first, second = RegisterModel(resolve_profile("dmm")), RegisterModel(resolve_profile("dmm"))
    for dmm in (first, second):
        dmm.values.fault(*FAULT)
    reads = dmm_reads(first, 40)
    assert reads == dmm_reads(second, 40)
    first.reset()
    first.values.fault(*FAULT)
    assert dmm_reads(first, 40) == reads
    first.values.fault("drift", "dc_voltage", "2", "3", "43")
    first.reset()
    first.values.fault("drift", "dc_voltage", "2", "3", "43")
    assert dmm_reads(first, 40) != reads


def test_a_profile_can_start_with_a_noisy_drift() -> None:
    profile = resolve_profile("dmm")
    dmm = RegisterModel(profile.model_copy(update={"faults": [",".join(FAULT)]}))
    assert dmm.values.describe_faults() == "drift dc_voltage +2 per read, noise sigma 3 seed 42"
    reads = dmm_reads(dmm, 10)
    dmm.reset()
    assert dmm_reads(dmm, 10) == reads  # reset replays the start-up fault from its seed


# -- over the wire, and through mfg-ctl ---------------------------------------------------


def netcat(port: int, payload: bytes) -> str:
    """What ``printf PAYLOAD | nc -N 127.0.0.1 PORT`` prints."""
    with socket.create_connection(("127.0.0.1", port), WAIT) as sock:
        sock.settimeout(WAIT)
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    return received.decode()


@pytest.fixture
def station(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, int]]:
    """The reference station on ephemeral ports: its station file and the dmm's port."""
    monkeypatch.setenv("MFG_CTL_DB", str(tmp_path / "runs.db"))
    monkeypatch.setenv("DISCOS_SIMULATORS_RUNTIME_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)
    module = plugins.load("station")
    simulator = Simulator("station", module, system_type="custom", ephemeral=True)
    simulator.start()
    try:
        names = [entry.kwargs["profile"] for entry in plugins.entries(module)]
        ports = {name: a.port for name, a in zip(names, simulator.addresses, strict=True)}
        lines = ["framing: custom", "devices:"]
        lines += [f"  {name}: {{host: 127.0.0.1, port: {port}}}" for name, port in ports.items()]
        path = tmp_path / "station.yaml"
        path.write_text("\n".join(lines) + "\n")
        yield path, ports["dmm"]
    finally:
        simulator.stop()


def test_netcat_sets_a_noisy_drift_and_a_bad_one_is_one_error_line(
    station: tuple[Path, int],
) -> None:
    _, port = station
    assert netcat(port, b"$system_fault:drift,dc_voltage,2,3,42%") == "ok\n"
    assert netcat(port, b"$system_faults%") == (
        "drift dc_voltage +2 per read, noise sigma 3 seed 42\n"
    )
    assert netcat(port, b"$system_fault:drift,dc_voltage,2,-3%") == (
        "error: fault: sigma must be >= 0, got '-3'\n"
    )
    assert netcat(port, b"$system_clear_faults%") == "ok\n"
    assert netcat(port, b"$system_faults%") == "none\n"


def test_simulate_fault_passes_a_noisy_drift_through(
    station: tuple[Path, int], capsys: pytest.CaptureFixture[str]
) -> None:
    path, port = station
    assert main(["simulate-fault", "dmm", *FAULT, "--station", str(path)]) == 0
    assert capsys.readouterr().out == "ok\n"
    assert netcat(port, b"$system_faults%") == (
        "drift dc_voltage +2 per read, noise sigma 3 seed 42\n"
    )
    bad_seed = ["drift", "dc_voltage", "2", "3", "4.5"]
    assert main(["simulate-fault", "dmm", *bad_seed, "--station", str(path)]) != 0
    assert capsys.readouterr().out == "error: fault: seed must be an integer, got '4.5'\n"


def test_thirty_bring_up_runs_record_a_dc_voltage_rising_two_per_run(
    station: tuple[Path, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = station
    db = f"sqlite:///{tmp_path / 'runs.db'}"
    assert main(["simulate-fault", "dmm", *FAULT, "--station", str(path)]) == 0
    capsys.readouterr()
    run_ids = []
    for _ in range(RUNS):
        main(["run", BRINGUP, "--station", str(path), "--db", db])
        match = re.search(r"run ([0-9a-f]{8}) recorded", capsys.readouterr().err)
        assert match, "a run was not recorded"
        run_ids.append(match[1])
    with RunStore(db) as store:
        steps = [store.get(run_id).steps for run_id in run_ids]
    measured = [
        step.measured for run in steps for step in run if step.name == "check_dmm_dc_voltage"
    ]
    readings = [float(value) for value in measured if value is not None]
    assert len(readings) == RUNS
    runs = [float(number) for number in range(1, RUNS + 1)]
    slope, intercept, residual_sd = least_squares(runs, readings)
    # The slope's standard error is sigma / sqrt(Sxx); five of them is a generous bound.
    mean_run = sum(runs) / RUNS
    slope_se = 3.0 / math.sqrt(sum((run - mean_run) ** 2 for run in runs))
    assert abs(slope - 2.0) < 5 * slope_se
    assert abs(intercept - DMM_DEFAULT) < 5 * 3.0 / math.sqrt(RUNS) + 5 * slope_se * mean_run
    assert 1.5 < residual_sd < 4.5  # the readings are noisy, sigma 3 (rounded to integers)


def least_squares(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Slope, intercept and residual standard deviation of the straight-line fit."""
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = mean_y - slope * mean_x
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
    return slope, intercept, math.sqrt(sum(r * r for r in residuals) / (len(xs) - 2))
