"""What ``/tempco/<run>`` shows: a stored TempCo run's curve, temperatures, points and figure.

The figure is computed as the run's report computes it
(:func:`~mfg_ctl.report.compose.tempco_figures`, from the sweep readings the store
kept), so the page, ``mfg-ctl report`` and the PDF agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import abort

from mfg_ctl.report.compose import TempcoFigures, tempco_figures
from mfg_ctl.report.model import RunReport
from mfg_ctl.run.events import SweepReading
from mfg_ctl.store import AmbiguousRunId, RunNotFound, StoredRun, StoreError
from mfg_ctl.tempco import TempcoPoint
from mfg_ctl.web.charts import (
    chart_words,
    tempco_curve_uri,
    temperatures_uri,
)
from mfg_ctl.web.state import messages, state
from mfg_ctl.wording import clip

__all__ = ["TempcoRun", "tempco_json", "tempco_run", "tempco_view"]


@dataclass(frozen=True)
class TempcoRun:
    """A stored run with a judged sweep: the run, its raw readings and its TempCo figures."""

    run: StoredRun
    readings: tuple[SweepReading, ...]
    found: TempcoFigures

    @property
    def delta(self) -> float:
        """Measured minus expected, ppm/C."""
        return self.found.ppm_per_c - self.found.expected_ppm

    @property
    def within(self) -> bool:
        """The coefficient lies within the tolerance of the expected one (as the report says)."""
        return abs(self.delta) <= self.found.tolerance_ppm


def tempco_run(reference: str) -> TempcoRun:
    """The TempCo run named by an id or a unique prefix; 404 for none, or a run without a sweep."""
    text = messages()
    store = state().store
    try:
        run = store.get(reference)
        readings = store.sweep_readings(run.run_id)
    except RunNotFound:
        abort(404, description=text("dash.tempco.no_run", run=clip(reference)))
    except AmbiguousRunId as error:
        abort(404, description=str(error))
    except StoreError as error:
        abort(503, description=str(error))
    try:
        found = tempco_figures(RunReport.from_stored(run, readings)) if readings else None
    except ValueError:  # a fit through 0 V: no relative coefficient
        found = None
    if found is None:
        abort(404, description=text("dash.tempco.no_sweep", run=run.run_id[:12]))
    return TempcoRun(run, readings, found)


def _dut(point: TempcoPoint) -> float | None:
    """The DUT case temperature of a point (its readings share it), if a probe read it."""
    return next((r.dut_c for r in point.readings if r.dut_c is not None), None)


def _points(points: Sequence[TempcoPoint]) -> list[dict[str, Any]]:
    return [
        {
            "setpoint_c": point.setpoint_c,
            "chamber_c": point.temperature_c,
            "dut_c": _dut(point),
            "vout_v": point.vout_v,
            "readings": len(point.readings),
        }
        for point in points
    ]


def tempco_json(swept: TempcoRun) -> dict[str, Any]:
    """The figure, its limit, the points and the raw readings as JSON values."""
    found, run = swept.found, swept.run
    return {
        "run_id": run.run_id,
        "plan": run.plan_name,
        "sn": run.sn,
        "status": run.status,
        "step": found.step.name,
        "step_verdict": found.step.verdict,
        "ppm_per_c": found.ppm_per_c,
        "expected_ppm_per_c": found.expected_ppm,
        "tolerance_ppm_per_c": found.tolerance_ppm,
        "delta_ppm_per_c": swept.delta,
        "within": swept.within,
        "r_squared": found.fit.r_squared,
        "points": _points(found.points),
        "readings": [
            {
                "elapsed_s": reading.elapsed_s,
                "setpoint_c": reading.setpoint_c,
                "chamber_c": reading.chamber_c,
                "dut_c": reading.dut_c,
                "vout_v": reading.vout_v,
            }
            for reading in swept.readings
        ],
    }


def tempco_view(swept: TempcoRun) -> dict[str, Any]:
    """The page: the JSON figures, and the two charts drawn in the page's language."""
    words = chart_words(messages())
    return {
        "swept": swept,
        "figures": tempco_json(swept),
        "curve": tempco_curve_uri(swept.found, swept.readings, words),
        "temperatures": temperatures_uri(swept.readings, words),
    }
