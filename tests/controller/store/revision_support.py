"""What the schema-revision tests share: old stores from their dumps, and the schema's
differences from the models as Alembic's own comparison finds them."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mfg_ctl.store.models import Base
from mfg_ctl.store.revisions import VERSION_TABLE, upgrade
from mfg_ctl.store.schema import open_engine
from tests.controller.store.support import ROOT

__all__ = ["DUMPS", "at_revision", "differences", "old_store"]

DATA = ROOT / "tests" / "controller" / "data"
#: The dump of a store of each schema version before revisions, by version.
DUMPS = {version: DATA / f"runs_v{version}.sql" for version in (1, 2, 3, 4)}


def old_store(path: Path, version: int) -> Path:
    """An SQLite store as the mfg-ctl of schema ``version`` left it."""
    with sqlite3.connect(path) as conn:
        conn.executescript(DUMPS[version].read_text(encoding="utf-8"))
    return path


def differences(url: str) -> list[Any]:
    """How the database's tables, columns, types and indexes differ from the models'."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def at_revision(url: str, revision: str) -> None:
    """Build the store by running the migrations up to ``revision``, as an older mfg-ctl would."""
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            upgrade(conn, revision)
    finally:
        engine.dispose()
