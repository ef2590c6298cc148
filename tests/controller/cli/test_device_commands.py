"""``mfg-ctl devices``, ``simulate-fault`` and ``serve``."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from simulators.modbus_client import ModbusClient
from tests.controller.cli.support import (
    ROOT,
    WAIT,
    Ctl,
    Result,
    Served,
    closed_port,
    free_offset,
    write_station,
)

# -- devices -----------------------------------------------------------------------------


def test_devices_lists_the_four_profiles_and_their_registers(ctl: Ctl) -> None:
    result = ctl("devices")
    assert result.status == 0
    headers = [line.split(":")[0] for line in result.lines if not line.startswith(" ")]
    assert headers == ["actuator", "dmm", "power_supply", "thermocouple"]
    registers = {line.split()[2] for line in result.lines if line.startswith(" ")}
    assert registers == {
        "target_position",
        "position",
        "status",
        "dc_voltage",
        "dc_current",
        "resistance",
        "voltage_setpoint",
        "current_limit",
        "output_enable",
        "voltage_readback",
        "current_readback",
        "channel_0",
        "channel_1",
        "channel_2",
        "channel_3",
        "cold_junction",
    }
    assert re.search(r"^  holding +0  voltage_setpoint +rw  0-3000 +default 0", result.out, re.M)
    assert re.search(r"^  input +100  dc_voltage +ro .* default 4980", result.out, re.M)

    one = ctl("devices", "dmm")
    assert one.lines[0].startswith("dmm: ")
    assert len(one.lines) == 4

    nope = ctl("devices", "nope")
    assert nope.status == 2
    assert nope.err.startswith("error: no built-in profile 'nope'")
    assert nope.err.count("\n") == 1


# -- simulate-fault ----------------------------------------------------------------------


def test_simulate_fault_kinds_reach_a_running_device(ctl: Ctl, station: Served) -> None:
    def fault(*args: object) -> Result:
        return ctl("simulate-fault", "dmm", *args, "--station", station.path)

    assert fault("faults").out == "none\n"
    assert fault("drift", "dc_voltage", "-5").out == "ok\n"  # a negative step is an argument
    with ModbusClient("127.0.0.1", station.ports["dmm"], timeout=WAIT) as dmm:
        assert [dmm.read_input(100)[0] for _ in range(2)] == [4975, 4970]
    assert fault("stuck", "resistance").out == "ok\n"
    assert fault("delay", "10").out == "ok\n"
    assert fault("crc", "3").out == "ok\n"
    assert fault("drop", "4").out == "ok\n"
    assert fault("faults").lines == [
        "drift dc_voltage -5 per read",
        "stuck resistance",
        "delay 10 ms every response",
        "crc corrupt every 3rd response",
        "drop connection every 4th response",
    ]
    assert fault("clear_faults").out == "ok\n"
    assert fault("faults").out == "none\n"

    assert fault("set", "dc_current", "77").out == "ok\n"
    assert "input 101 dc_current = 77 (ro, 0-65535)" in fault("registers").lines
    assert fault("reset").out == "ok\n"
    registers = fault("registers")
    assert registers.status == 0
    assert registers.lines == [
        "input 100 dc_voltage = 4980 (ro, 0-65535)",
        "input 101 dc_current = 120 (ro, 0-65535)",
        "input 102 resistance = 1000 (ro, 0-65535)",
    ]


def test_simulate_fault_errors(ctl: Ctl, station: Served, tmp_path: Path) -> None:
    malformed = ctl("simulate-fault", "dmm", "drift", "nope", "1", "--station", station.path)
    assert malformed.status == 1
    assert malformed.out.startswith("error: ")
    assert malformed.out.count("\n") == 1
    assert "nope" in malformed.out
    assert ctl("simulate-fault", "dmm", "faults", "--station", station.path).out == "none\n"

    bad_value = ctl("simulate-fault", "dmm", "set", "dc_voltage", "lots", "--station", station.path)
    assert bad_value.status == 1
    assert bad_value.out.startswith("error: ")

    unknown = ctl("simulate-fault", "dmm", "explode", "--station", station.path)
    assert unknown.status == 2
    assert unknown.err.startswith("error: unknown fault 'explode'; choose one of: drift, ")

    no_device = ctl("simulate-fault", "scope", "reset", "--station", station.path)
    assert no_device.status == 2
    assert no_device.err.startswith(f"error: {station.path}: no device 'scope'")

    port = closed_port()
    nobody = write_station(tmp_path / "nobody.yaml", {"dmm": port})
    silent = ctl("simulate-fault", "dmm", "reset", "--station", nobody)
    assert silent.status == 3
    assert silent.err == f"error: cannot reach dmm at 127.0.0.1:{port}: Connection refused\n"

    broken = tmp_path / "broken.yaml"
    broken.write_text("devices: [\n")
    assert ctl("simulate-fault", "dmm", "reset", "--station", broken).status == 2


# -- serve -------------------------------------------------------------------------------


def test_serve_answers_modbus_until_sigint(tmp_path: Path) -> None:
    offset = free_offset()
    env = {
        **os.environ,
        "MFG_CTL_DB": str(tmp_path / "runs.db"),
        "DISCOS_SIMULATORS_RUNTIME_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from mfg_ctl.cli.main import main; sys.exit(main(sys.argv[1:]))",
            "serve",
            "--port-offset",
            str(offset),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(WAIT, process.kill)  # bounds the blocking reads below
    watchdog.start()
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        assert lines[0] == "serving the station (custom); Ctrl-C stops\n"
        assert [line.split() for line in lines[1:]] == [
            [f"127.0.0.1:{5020 + offset}", "power_supply"],
            [f"127.0.0.1:{5021 + offset}", "dmm"],
            [f"127.0.0.1:{5022 + offset}", "actuator"],
            [f"127.0.0.1:{5023 + offset}", "thermocouple"],
        ]
        with ModbusClient("127.0.0.1", 5021 + offset, timeout=WAIT) as dmm:
            assert dmm.read_input(100, 3) == [4980, 120, 1000]
        with ModbusClient("127.0.0.1", 5020 + offset, timeout=WAIT) as psu:
            psu.write_register(0, 1200)
            assert psu.read_holding(0) == [1200]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    assert out == "stopped\n"
    assert err == ""


def test_serve_on_a_busy_port_says_so(ctl: Ctl) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        offset = busy.getsockname()[1] - 5020  # the power supply's port is taken
        result = ctl("serve", "--port-offset", offset)
    assert result.status == 1
    assert result.err.startswith("error: ")
    assert result.err.count("\n") == 1


def test_serve_refuses_an_empty_host(ctl: Ctl) -> None:
    result = ctl("serve", "--host", "")
    assert (result.status, result.out) == (2, "")
    assert result.err.startswith("error: --host is empty: give an address such as 127.0.0.1")
    assert result.err.count("\n") == 1


def test_serve_on_every_interface_warns_that_custom_commands_are_open(ctl: Ctl) -> None:
    with socket.socket() as busy:  # the bind then fails: nothing is served to the network
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        offset = busy.getsockname()[1] - 5020
        result = ctl("serve", "--host", "0.0.0.0", "--port-offset", offset)
    assert result.status == 1
    warning, error = result.err.splitlines()
    assert warning.startswith("warning: serving on 0.0.0.0: custom commands ($system_*) are")
    assert error.startswith("error: ")
