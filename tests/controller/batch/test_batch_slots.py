"""A station of two slots, each its own DUT: ``--parallel 2`` tests units on both.

The two DUTs are served here on ephemeral ports; each stored run records the
device endpoint it used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators import plugins
from simulators.launcher import Simulator
from tests.controller.batch.support import PLAN, query, read_rows, run_folder, sns, stored_runs
from tests.controller.cli.support import Ctl

UNITS = 24


@pytest.fixture
def two_duts() -> Iterator[list[int]]:
    """Two dut simulators on ephemeral ports; their ports."""
    duts = [Simulator("dut", plugins.load("dut"), ephemeral=True) for _ in range(2)]
    try:
        for dut in duts:
            dut.start()
        yield [dut.addresses[0].port for dut in duts]
    finally:
        for dut in duts:
            dut.stop()


def two_slot_station(path: Path, ports: list[int]) -> Path:
    lines = ["station_id: ST2", "slots:"]
    lines += [f"  - dut: {{host: 127.0.0.1, port: {port}, protocol: line}}" for port in ports]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_both_slots_test_units(
    ctl: Ctl, tmp_path: Path, isolated: Path, two_duts: list[int]
) -> None:
    station = two_slot_station(tmp_path / "two-up.yaml", two_duts)
    root = tmp_path / "runs"
    result = ctl(
        "batch", "--plan", PLAN, "--batch-id", "B1", "--stage", "DVT", "--sns", sns(UNITS),
        "--station", station, "--parallel", 2, "--artifacts", root,
    )
    assert result.status == 0, result.err
    assert f"{UNITS} unit(s) on 2 slot(s)" in result.err.splitlines()[0]
    runs = stored_runs(isolated, "B1")
    assert sorted(runs.values()) == sns(UNITS).split(",")
    ports = query(
        isolated,
        "SELECT devices.port, COUNT(*) FROM devices JOIN test_runs ON devices.run_id = test_runs.id"
        " WHERE test_runs.batch_id = 'B1' GROUP BY devices.port",
    )
    assert sorted(port for port, _ in ports) == sorted(two_duts)  # each slot took units
    assert sum(count for _, count in ports) == UNITS
    rows = read_rows(run_folder(root))
    assert {row["station_id"] for row in rows} == {"ST2"}  # from the station file
    assert {row["run_id"] for row in rows} == set(runs)
