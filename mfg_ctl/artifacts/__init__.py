"""A batch's artifact files: events (JSONL, CSV), the coverage matrix, the qualification report.

A batch run with ``--artifacts DIR`` writes ``DIR/<run_id>/``: ``events.jsonl``
and ``events.csv`` (one row per step attempt), ``results_summary.json``,
``coverage_matrix.csv`` and ``qualification_report.html``. This package holds
the formats and the safe writing; the batch observer gathers the data and calls
it. The qualification report is :mod:`mfg_ctl.artifacts.html` (imported when a
folder is written: it brings the report templates).
"""

from mfg_ctl.artifacts.coverage import (
    CoverageCell,
    CoverageMatrix,
    PlanStep,
    RequirementRow,
    coverage_csv,
    coverage_matrix,
    plan_steps,
)
from mfg_ctl.artifacts.files import (
    ArtifactError,
    append_text,
    attempt_rows_csv,
    attempt_rows_jsonl,
    check_writable,
    read_attempt_rows,
    write_atomic,
)

__all__ = [
    "ArtifactError",
    "CoverageCell",
    "CoverageMatrix",
    "PlanStep",
    "RequirementRow",
    "append_text",
    "attempt_rows_csv",
    "attempt_rows_jsonl",
    "check_writable",
    "coverage_csv",
    "coverage_matrix",
    "plan_steps",
    "read_attempt_rows",
    "write_atomic",
]
