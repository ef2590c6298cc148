"""``mfg-ctl export --readings``: a TempCo sweep's raw readings as CSV and Parquet, typed."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from mfg_ctl.report.tables import READING_COLUMNS
from tests.controller.cli.support import BRINGUP, Ctl, run_id_of

POINTS, PER_POINT = (-20.0, 25.0, 70.0), 3


def swept(ctl: Ctl, tmp_path: Path) -> str:
    """Run a three-point simulated sweep; its run id."""
    report = tmp_path / "sweep.json"
    temperatures = ",".join(f"{t:g}" for t in POINTS)
    result = ctl("tempco", "--temperatures", temperatures, "--readings", PER_POINT,
                 "--json-out", report)
    assert result.status in (0, 1), result.err
    return run_id_of(report)


def test_the_readings_of_a_sweep_export_as_typed_parquet_and_the_same_csv(
    ctl: Ctl, tmp_path: Path
) -> None:
    run_id = swept(ctl, tmp_path)
    csv_out, parquet_out = tmp_path / "readings.csv", tmp_path / "readings.parquet"
    result = ctl("export", "--run-id", run_id[:8], "--readings", "--csv", csv_out,
                 "--parquet", parquet_out)
    assert result.status == 0, result.err
    count = len(POINTS) * PER_POINT
    assert result.err.startswith(f"wrote {count} sweep reading(s) of 1 run(s) to ")
    table = pq.read_table(parquet_out)
    assert table.column_names == list(READING_COLUMNS)
    assert table.schema.field("at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("vout_v").type == pa.float64()
    assert table.schema.field("seq").type == pa.int64()
    frame = pd.read_parquet(parquet_out)
    assert len(frame) == count
    assert list(frame["setpoint_c"]) == [t for t in POINTS for _ in range(PER_POINT)]
    assert list(frame["seq"]) == list(range(count))
    assert frame["elapsed_s"].is_monotonic_increasing
    assert frame["at"].is_monotonic_increasing
    assert frame["vout_v"].between(3.2, 3.4).all()
    hot = frame[frame["setpoint_c"] == POINTS[-1]]
    assert (hot["dut_c"] > hot["chamber_c"]).all()  # the DUT heats its own case
    rows = list(csv.DictReader(io.StringIO(csv_out.read_text())))
    assert [float(row["vout_v"]) for row in rows] == list(frame["vout_v"])
    assert {row["run_id"] for row in rows} == {run_id}


def test_runs_without_a_sweep_have_no_readings_to_export(ctl: Ctl, tmp_path: Path) -> None:
    report = tmp_path / "run.json"
    assert ctl("run", BRINGUP, "--json-out", report).status == 0
    out = tmp_path / "readings.csv"
    result = ctl("export", "--run-id", run_id_of(report), "--readings", "--csv", out)
    assert result.status == 2
    assert result.err == (
        "error: none of the 1 run(s) recorded sweep readings (mfg-ctl tempco does)\n"
    )
    assert not out.exists()


def test_a_chamber_without_a_product_probe_gives_null_dut_temperatures(
    ctl: Ctl, tmp_path: Path
) -> None:
    report, parquet_out = tmp_path / "sweep.json", tmp_path / "readings.parquet"
    result = ctl("tempco", "--temperatures", "0,50", "--readings", 2, "--no-dut-probe",
                 "--json-out", report)
    assert result.status == 0, result.err
    assert ctl("export", "--run-id", run_id_of(report), "--readings", "--parquet",
               parquet_out).status == 0
    frame = pd.read_parquet(parquet_out)
    assert frame["dut_c"].isna().all()
    assert frame["chamber_c"].notna().all()
    assert len(frame) == 4
