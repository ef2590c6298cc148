"""Value faults and the custom commands, injected from a second connection as netcat would."""

from __future__ import annotations

import pytest

from simulators.modbus_client import ModbusClient, ModbusDeviceError
from simulators.protocols.modbus import (
    FRAMINGS,
    ReadInputRegisters,
    client_framer,
)
from tests.devices.modbus_wire import (
    HOST,
    WAIT,
    custom_data,
    custom_read,
    inject,
    mbap,
    netcat,
    recv_exact,
    recv_until,
)

# -- faults, injected netcat-style from a second connection --------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
def test_drift_moves_one_register_and_leaves_the_others(port, ours, framing):
    dmm_port = port("dmm", framing)
    dmm = ours(dmm_port, framing)
    assert dmm.read_input(100) == [4980]  # a connection already open before the fault
    assert netcat(dmm_port, b"$system_fault:drift,dc_voltage,5%") == b"ok\n"
    assert [dmm.read_input(100)[0] for _ in range(3)] == [4985, 4990, 4995]
    assert dmm.read_input(101, 2) == [120, 1000]
    assert dmm.read_input(100, 3) == [5000, 120, 1000]
    assert dmm.read_input(101) == [120]
    assert dmm.read_input(102) == [1000]
    inject(dmm_port, "$system_fault:drift,101,-10%")  # by address, downwards
    assert dmm.read_input(100, 3) == [5005, 110, 1000]
    assert dmm.read_input(100, 3) == [5010, 100, 1000]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_stuck_keeps_the_value_and_ignores_writes(port, ours, framing):
    supply_port = port("power_supply", framing)
    supply = ours(supply_port, framing)
    supply.write_registers(0, [1200, 500, 1])
    inject(supply_port, "$system_fault:stuck,voltage_setpoint%")
    supply.write_register(0, 2000)  # accepted (no exception) ...
    assert supply.read_holding(0) == [1200]  # ... and ignored
    assert supply.read_input(100) == [1200]
    supply.write_registers(0, [2500, 300])  # the other register still takes writes
    assert supply.read_holding(0, 2) == [1200, 300]
    assert supply.read_input(101) == [300]
    with pytest.raises(ModbusDeviceError) as refused:
        supply.write_register(0, 3001)  # still validated
    assert refused.value.code == 3
    inject(supply_port, "$system_clear_faults%")
    assert supply.read_holding(0) == [1200]  # the ignored writes never landed
    supply.write_register(0, 2000)
    assert supply.read_input(100) == [2000]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_set_overwrites_a_reading_until_changed(port, ours, framing):
    dmm_port = port("dmm", framing)
    dmm = ours(dmm_port, framing)
    assert netcat(dmm_port, b"$system_set:dc_voltage,4000%") == b"ok\n"
    assert [dmm.read_input(100)[0] for _ in range(3)] == [4000, 4000, 4000]
    assert dmm.read_input(100, 3) == [4000, 120, 1000]
    inject(dmm_port, "$system_set:102,65535%")
    assert dmm.read_input(102) == [65535]
    inject(dmm_port, "$system_fault:drift,dc_voltage,5%")
    assert [dmm.read_input(100)[0] for _ in range(2)] == [4005, 4010]
    inject(dmm_port, "$system_set:dc_voltage,3000%")  # drifts on from the new value
    assert [dmm.read_input(100)[0] for _ in range(2)] == [3005, 3010]


def test_set_holds_a_derived_reading_against_its_inputs(port):
    supply_port = port("power_supply")
    inject(supply_port, "$system_set:voltage_readback,999%")
    with ModbusClient(HOST, supply_port, framing="modbus-tcp", timeout=WAIT) as supply:
        assert supply.read_input(100, 2) == [999, 0]  # the output is off
        supply.write_registers(0, [1200, 500, 1])
        assert supply.read_input(100, 2) == [999, 480]
        inject(supply_port, "$system_set:voltage_readback,1000%")
        assert supply.read_input(100) == [1000]
        inject(supply_port, "$system_reset%")
        assert supply.read_input(100) == [0]


def test_set_moves_a_stuck_register_and_it_stays_stuck(port, ours):
    dmm_port = port("dmm")
    dmm = ours(dmm_port)
    inject(dmm_port, "$system_fault:stuck,dc_voltage%")
    inject(dmm_port, "$system_set:dc_voltage,3000%")
    assert [dmm.read_input(100)[0] for _ in range(2)] == [3000, 3000]
    assert netcat(dmm_port, b"$system_faults%") == b"stuck dc_voltage\n"


def test_registers_lists_every_register_with_its_value(port, ours):
    supply_port = port("power_supply")
    ours(supply_port).write_registers(0, [1200, 500, 1])
    assert netcat(supply_port, b"$system_registers%").decode().splitlines() == [
        "holding 0 voltage_setpoint = 1200 (rw, 0-3000)",
        "holding 1 current_limit = 500 (rw, 0-1000)",
        "holding 2 output_enable = 1 (rw, 0/1)",
        "input 100 voltage_readback = 1200 (ro, 0-65535)",
        "input 101 current_readback = 480 (ro, 0-65535)",
    ]


def test_faults_lists_every_active_fault_one_per_line(port):
    dmm_port = port("dmm")
    assert netcat(dmm_port, b"$system_faults%") == b"none\n"
    for command in [
        "$system_fault:drift,dc_voltage,5%",
        "$system_fault:stuck,dc_current%",
        "$system_fault:delay,200,3%",
        "$system_fault:crc,2%",
        "$system_fault:drop,4%",
    ]:
        inject(dmm_port, command)
    assert netcat(dmm_port, b"$system_faults%").decode().splitlines() == [
        "drift dc_voltage +5 per read",
        "stuck dc_current",
        "delay 200 ms every 3rd response",
        "crc corrupt every 2nd response",
        "drop connection every 4th response",
    ]
    assert netcat(dmm_port, b"$system_clear_faults%") == b"ok\n"
    assert netcat(dmm_port, b"$system_faults%") == b"none\n"


@pytest.mark.parametrize("framing", FRAMINGS)
def test_clear_faults_stops_every_fault(port, ours, framing):
    dmm_port = port("dmm", framing)
    dmm = ours(dmm_port, framing)
    for command in ["drift,dc_voltage,5", "stuck,dc_current", "crc,1", "drop,1", "delay,2000"]:
        inject(dmm_port, f"$system_fault:{command}%")
    assert netcat(dmm_port, b"$system_clear_faults%") == b"ok\n"
    # answered at once, intact, on the same connection, and no longer drifting
    assert dmm.read_input(100, 3) == [4980, 120, 1000]
    assert dmm.read_input(100, 3) == [4980, 120, 1000]
    inject(dmm_port, "$system_set:dc_current,50%")
    assert dmm.read_input(101) == [50]  # no longer stuck


@pytest.mark.parametrize("framing", FRAMINGS)
def test_reset_restores_defaults_and_clears_faults(port, ours, framing):
    supply_port = port("power_supply", framing)
    supply = ours(supply_port, framing)
    supply.write_registers(0, [1200, 500, 1])
    inject(supply_port, "$system_set:voltage_readback,7%")
    inject(supply_port, "$system_fault:drift,current_readback,3%")
    inject(supply_port, "$system_fault:stuck,current_limit%")
    inject(supply_port, "$system_fault:crc,1%")
    assert netcat(supply_port, b"$system_reset%") == b"ok\n"
    assert netcat(supply_port, b"$system_faults%") == b"none\n"
    assert supply.read_holding(0, 3) == [0, 0, 0]
    assert supply.read_input(100, 2) == [0, 0]
    supply.write_registers(0, [1200, 500, 1])
    assert supply.read_input(100, 2) == [1200, 480]
    assert supply.read_input(100, 2) == [1200, 480]


@pytest.mark.parametrize(
    "command",
    [
        b"$system_fault:drift,nope,1%",
        b"$system_fault:melt%",
        b"$system_set:dc_voltage,x%",
        b"$system_set:dc_voltage,70000%",
        b"$system_set:dc_voltage,-1%",
        b"$system_set:nope,1%",
        b"$system_set:dc_voltage%",
        b"$system_fault:drift,dc_voltage%",
        b"$system_fault:drift,dc_voltage,abc%",
        b"$system_fault:drift,dc_voltage,inf%",
        b"$system_fault:stuck,dc_voltage,1%",
        b"$system_fault:stuck,999%",
        b"$system_fault:delay,-1%",
        b"$system_fault:delay,100,0%",
        b"$system_fault:delay,soon%",
        b"$system_fault:crc,0%",
        b"$system_fault:crc%",
        b"$system_fault:drop,x%",
        b"$system_fault%",
        b"$system_melt%",
    ],
)
def test_a_malformed_command_answers_one_error_line_and_changes_nothing(port, ours, command):
    dmm_port = port("dmm", "custom")
    dmm = ours(dmm_port, "custom")
    inject(dmm_port, "$system_fault:drift,resistance,1%")
    assert dmm.read_input(100, 3) == [4980, 120, 1001]
    answer = netcat(dmm_port, command)
    assert answer.startswith(b"error:")
    assert answer.endswith(b"\n")
    assert answer.count(b"\n") == 1
    assert netcat(dmm_port, b"$system_faults%") == b"drift resistance +1 per read\n"
    assert dmm.read_input(100, 3) == [4980, 120, 1002]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_commands_and_modbus_share_one_connection(port, raw, framing):
    """A custom command between two requests on the same socket is answered in between."""
    dmm_port = port("dmm", framing)
    sock = raw(dmm_port)
    framer = client_framer(framing)
    sock.sendall(
        framer.encode(ReadInputRegisters(1, 100, 1))
        + b"$system_set:dc_voltage,4100%"
        + framer.encode(ReadInputRegisters(1, 100, 1))
    )
    if framing == "custom":
        expected = custom_data(0x04, [4980]) + b"ok\n" + custom_data(0x04, [4100])
    else:
        expected = (
            mbap(1, bytes.fromhex("04 02 13 74")) + b"ok\n" + mbap(2, bytes.fromhex("04 02 10 04"))
        )
    assert recv_exact(sock, len(expected)) == expected


def test_an_erroneous_command_between_requests_leaves_the_framing_intact(port, raw):
    dmm_port = port("dmm", "custom")
    sock = raw(dmm_port)
    sock.sendall(custom_read(0x04, 100, 1) + b"$system_fault:melt%" + custom_read(0x04, 102, 1))
    first, last = custom_data(0x04, [4980]), custom_data(0x04, [1000])
    received = recv_until(sock, last)
    assert received.startswith(first + b"error:")
    assert received.endswith(b"\n" + last)
    assert received.count(b"\n") == 1
