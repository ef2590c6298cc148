"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}

#: The schema version an older mfg-ctl reads from mfg_ctl_schema after this revision.
SCHEMA_VERSION = None  # set it: the previous revision's plus one


def upgrade() -> None:
    """${message}"""
    ${upgrades if upgrades else "pass"}
    op.execute(sa.text("UPDATE mfg_ctl_schema SET version = :version").bindparams(version=SCHEMA_VERSION))


def downgrade() -> None:
    """Back to the previous revision."""
    ${downgrades if downgrades else "pass"}
    op.execute(sa.text("UPDATE mfg_ctl_schema SET version = :version").bindparams(version=SCHEMA_VERSION - 1))
