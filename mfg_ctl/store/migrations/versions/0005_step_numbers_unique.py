"""Schema 5: a run's step numbers are unique; the history's indexes are part of the schema.

``ux_step_results_run_number`` makes the database itself refuse a step recorded
twice for one run, whichever station or process sends it; a store that already
holds such a pair is refused with the runs named, before anything changes.
``ix_test_runs_started_id`` and ``ix_test_runs_status_started`` (the history's
pages and status filter) were added on opening by the mfg-ctl of schema 4; a
store made before them gets them here.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mfg_ctl.store.models import FIX_HINT, StoreError

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

#: What an older mfg-ctl reads from mfg_ctl_schema.version after this revision.
SCHEMA_VERSION = 5
_SHOWN = 5  # runs named in the refusal


def _set_version(version: int) -> None:
    op.execute(sa.text("UPDATE mfg_ctl_schema SET version = :version").bindparams(version=version))


def upgrade() -> None:
    """Refuse repeated step numbers, then add the unique index and the history's two."""
    if not op.get_context().as_sql:
        repeated = (
            op.get_bind()
            .execute(
                sa.text(
                    "SELECT DISTINCT run_id FROM step_results GROUP BY run_id, number "
                    "HAVING count(*) > 1 ORDER BY run_id"
                )
            )
            .scalars()
            .all()
        )
        if repeated:
            shown = ", ".join(run_id[:8] for run_id in repeated[:_SHOWN])
            more = f" and {len(repeated) - _SHOWN} more" if len(repeated) > _SHOWN else ""
            raise StoreError(
                f"cannot upgrade the run store: {len(repeated)} run(s) hold a step number twice "
                f"({shown}{more}), left unchanged at schema 4: remove the repeated step rows "
                f"and upgrade again, or {FIX_HINT}"
            )
    op.create_index("ux_step_results_run_number", "step_results", ["run_id", "number"], unique=True)
    op.create_index(
        "ix_test_runs_started_id", "test_runs", ["started_at", "id"], if_not_exists=True
    )
    op.create_index(
        "ix_test_runs_status_started", "test_runs", ["status", "started_at"], if_not_exists=True
    )
    _set_version(SCHEMA_VERSION)


def downgrade() -> None:
    """Back to schema 4 (the mfg-ctl of schema 4 adds the history's indexes itself)."""
    op.drop_index("ix_test_runs_status_started", "test_runs")
    op.drop_index("ix_test_runs_started_id", "test_runs")
    op.drop_index("ux_step_results_run_number", "step_results")
    _set_version(SCHEMA_VERSION - 1)
