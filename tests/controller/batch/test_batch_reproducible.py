"""The same batch (seed, serial numbers, profile) gives the same per-unit outcomes however run."""

from __future__ import annotations

from pathlib import Path

from tests.controller.batch.support import batch_args, read_rows, recount, run_folder, sns
from tests.controller.cli.support import Ctl


def outcomes(root: Path) -> tuple[dict[str, str], dict[str, list[str]]]:
    counted = recount(read_rows(run_folder(root)))
    return counted.status_by_sn, counted.codes_by_sn


def test_two_batches_with_the_same_seed_agree_unit_by_unit(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    units = sns(30)
    flaky = ("--dut-profile", "factory-flaky", "--seed", 11)
    first = ctl(*batch_args(isolated, tmp_path / "one", "B1", units, "--parallel", 1, *flaky))
    second = ctl(*batch_args(isolated, tmp_path / "two", "B2", units, "--parallel", 3, *flaky))
    assert first.status == second.status, (first.err, second.err)
    status_one, codes_one = outcomes(tmp_path / "one")
    status_two, codes_two = outcomes(tmp_path / "two")
    assert sorted(status_one) == units.split(",")
    assert status_one == status_two
    assert codes_one == codes_two
    assert any(codes_one.values())  # the profile did inject faults: the comparison means something
    other = ctl(*batch_args(isolated, tmp_path / "three", "B3", units, "--dut-profile",
                            "factory-flaky", "--seed", 12))
    assert other.status in (0, 1), other.err
    assert outcomes(tmp_path / "three")[1] != codes_one  # the seed does matter
