"""Schema 4, the baseline: the run store as it was when Alembic took over.

Run on an empty database it creates the schema-4 tables from their frozen
definitions (:mod:`mfg_ctl.store.schema4`). A store made before Alembic is
brought here by :mod:`mfg_ctl.store.legacy` and stamped, not run through this.

Revision ID: 0004
Revises:
"""

from __future__ import annotations

from alembic import op

from mfg_ctl.store.schema4 import METADATA, schema_info

revision = "0004"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the schema-4 tables."""
    METADATA.create_all(op.get_bind())
    op.execute(schema_info.insert().values(id=1, version=4))


def downgrade() -> None:
    """Not offered: below the baseline there is no run store, only its data lost."""
    raise NotImplementedError("the baseline revision is not downgraded; restore a backup instead")
