"""A wrong Modbus framing is named in the first failing step, not after every retry's timeout.

Our simulators stay silent to frames of the other framing (they drop them as
bad frames), so the client probes once in the other framing, finds the device
answers there, and the run stops at once like an unreachable device (exit 3).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl.clients import FramingMismatchError, ModbusRegisters, TransientError
from mfg_ctl.stations import Endpoint
from simulators import plugins
from simulators.client import Client
from simulators.launcher import Simulator
from tests.controller.cli.support import BRINGUP, Ctl, Served, shown_store

OTHER = {"custom": "modbus-tcp", "modbus-tcp": "custom"}


@pytest.mark.parametrize("served_as", ["modbus-tcp", "custom"])
def test_the_first_step_says_which_framing_the_device_speaks(
    ctl: Ctl,
    serve_station: Callable[[str], Served],
    tmp_path: Path,
    isolated: Path,
    served_as: str,
) -> None:
    served = serve_station(served_as)
    told = OTHER[served_as]
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(served.path.read_text().replace(f"framing: {served_as}", f"framing: {told}"))
    result = ctl("run", BRINGUP, "--station", wrong, "--json-out", tmp_path / "r.json")
    assert result.status == 3
    port = served.ports["power_supply"]
    detail = (
        f"no answer in the {told} framing from 127.0.0.1:{port}; the device may speak "
        f"{served_as} (it answered a {served_as} request): --framing {served_as}, or framing: "
        f"{served_as} in the station file"
    )
    assert result.lines[0] == "Plan: station_bringup [ABORTED]"
    assert result.lines[1] == f"1 ERROR set_supply_voltage: {detail}"
    assert result.lines[2].endswith(
        "; aborted after 1 step(s); first failure: 1 set_supply_voltage"
    )
    step = json.loads((tmp_path / "r.json").read_text())["steps"][0]
    assert step["attempts"] == 1  # no retry spent on a device that cannot understand us
    run_id = json.loads((tmp_path / "r.json").read_text())["run_id"][:8]
    assert result.err.splitlines()[-1] == (
        f"error: power_supply: {detail}; run {run_id} recorded in {shown_store(isolated)}"
    )

    fixed = ctl("run", BRINGUP, "--station", wrong, "--framing", served_as)
    assert fixed.status == 0


@pytest.mark.parametrize("served_as", ["modbus-tcp", "custom"])
def test_the_client_probes_once_and_raises_the_mismatch(served_as: str) -> None:
    told = OTHER[served_as]
    module = plugins.load("dmm")
    with Simulator("dmm", module, system_type=served_as, ephemeral=True) as dmm:
        endpoint = Endpoint("127.0.0.1", dmm.addresses[0].port, told)  # type: ignore[arg-type]
        client = ModbusRegisters(endpoint)
        try:
            with pytest.raises(FramingMismatchError, match=f"may speak {served_as}"):
                client.read("input", 100, 0.5)
        finally:
            client.close()


def test_a_slow_device_in_the_right_framing_is_not_a_mismatch() -> None:
    """The probe in the other framing gets no answer either: an ordinary timeout, retried."""
    module = plugins.load("dmm")
    with Simulator("dmm", module, system_type="custom", ephemeral=True) as dmm:
        with Client("127.0.0.1", dmm.addresses[0].port, timeout=5.0) as injector:
            assert injector.custom("fault", "delay", 2000) == "ok"
        client = ModbusRegisters(Endpoint("127.0.0.1", dmm.addresses[0].port, "custom"))
        try:
            with pytest.raises(TransientError, match="no response from"):
                client.read("input", 100, 0.2)
        finally:
            client.close()
