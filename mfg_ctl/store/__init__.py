"""The run store: every run, step and device recorded as the events arrive.

>>> from mfg_ctl.store import RunStore, default_url
>>> store = RunStore("sqlite://")  # in memory; the CLI uses RunStore(default_url())
>>> store.runs()
[]
>>> store.close()
"""

from mfg_ctl.store.models import (
    STATUSES,
    AmbiguousRunId,
    RunNotFound,
    RunSummary,
    StoredRun,
    StoredStep,
    StoreError,
    plan_hash,
)
from mfg_ctl.store.store import RunStore, default_url

__all__ = [
    "STATUSES",
    "AmbiguousRunId",
    "RunNotFound",
    "RunStore",
    "RunSummary",
    "StoreError",
    "StoredRun",
    "StoredStep",
    "default_url",
    "plan_hash",
]
