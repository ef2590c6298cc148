"""The batch's progress line: ``units k/N: ...`` redrawn in place on a terminal; piped, silent."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from mfg_ctl.batch.progress import BatchProgress
from mfg_ctl.batch.runner import UnitDone
from mfg_ctl.run.events import RunFinished, Verdict


def unit(sn: str, verdict: Verdict) -> UnitDone:
    finished = RunFinished(f"run-{sn}", verdict, 1, 0, 0, 0.01, datetime.now(UTC))
    return UnitDone(sn, finished)


def test_a_live_progress_line_counts_units_as_they_are_recorded() -> None:
    stream = io.StringIO()
    progress = BatchProgress(3, stream, live=True)
    progress(unit("SN1", "pass"))
    progress(unit("SN2", "fail"))
    drawn = stream.getvalue().split("\r")[1:]
    assert drawn[0].startswith("units 1/3: 1 passed, 0 failed; ")
    assert drawn[1].startswith("units 2/3: 1 passed, 1 failed; ")
    assert "ETA" in drawn[1]
    progress(unit("SN3", "error"))
    assert stream.getvalue().split("\r")[-1].startswith("units 3/3: 1 passed, 2 failed; ")
    assert progress.line().endswith("ETA -")  # nothing left
    progress.close()
    assert stream.getvalue().endswith("\r")  # the line is wiped for the summary
    assert stream.getvalue().split("\r")[-2].strip() == ""


def test_piped_progress_writes_nothing() -> None:
    stream = io.StringIO()
    progress = BatchProgress(2, stream)  # a StringIO is no terminal
    progress(unit("SN1", "pass"))
    progress.close()
    assert stream.getvalue() == ""
    assert progress.done == 1
