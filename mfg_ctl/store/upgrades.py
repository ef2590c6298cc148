"""What ``mfg-ctl db`` asks of a run store: its revision, the upgrades waiting, and doing them.

Reading the state writes nothing (a store in use by stations can be looked at);
upgrading opens the store as a station would, allowed to migrate it, so the
same checks, locks and transaction apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from mfg_ctl.store.location import shown_location
from mfg_ctl.store.models import SchemaInfo, StoreError
from mfg_ctl.store.revisions import (
    BASELINE,
    HEAD,
    Revision,
    current_revision,
    known_revisions,
    upgrade_sql,
)
from mfg_ctl.store.schema import open_engine, open_hint
from mfg_ctl.store.store import RunStore

__all__ = ["RevisionState", "pending_sql", "revision_state", "upgrade_store"]


@dataclass(frozen=True)
class RevisionState:
    """Where a store stands: its revision (or pre-Alembic schema version) and what is waiting."""

    where: str
    revision: str | None  # None: empty, or made before Alembic
    schema_version: int | None  # mfg_ctl_schema's number; None when empty
    waiting: tuple[Revision, ...]  # oldest first

    @property
    def empty(self) -> bool:
        """Nothing there yet: upgrading creates the store."""
        return self.schema_version is None

    @property
    def latest(self) -> bool:
        """At this mfg-ctl's revision."""
        return self.revision == HEAD


def revision_state(url: str) -> RevisionState:
    """Read (never write) which revision the store at ``url`` is at; StoreError if unreadable."""
    engine = open_engine(url)
    where = shown_location(engine.url)
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        engine.dispose()
        raise StoreError(
            f"{where} lives only as long as one process: there is nothing to look at or "
            "upgrade; give a file path or a server URL"
        )
    try:
        with engine.connect() as conn:
            revision = current_revision(conn)
            version = None
            if SchemaInfo.__tablename__ in inspect(conn).get_table_names():
                version = conn.execute(select(SchemaInfo.version)).scalar_one_or_none()
    except SQLAlchemyError as exc:
        said = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise StoreError(
            f"cannot read the run store {where}: {said}; {open_hint(engine, said)}"
        ) from exc
    finally:
        engine.dispose()
    known = known_revisions()
    ids = [entry.id for entry in known]
    if revision is not None and revision not in ids:
        raise StoreError(
            f"{where} is at run-store revision {revision}, newer than this mfg-ctl's {HEAD}; "
            f"use the mfg-ctl that upgraded it"
        )
    after = ids.index(revision) + 1 if revision is not None else ids.index(BASELINE) + 1
    if version is None:
        after = 0
    return RevisionState(where, revision, version, tuple(known[after:]))


def upgrade_store(url: str) -> str | None:
    """Bring the store to the latest revision (creating it if empty); the revision it was at."""
    revision_state(url)  # refuses what cannot be upgraded before anything is written
    with RunStore(url, upgrade=True) as store:
        return store.opened_at


def pending_sql(url: str) -> str:
    """The SQL of the upgrades waiting for the store at ``url``, for a DBA to review; not run."""
    state = revision_state(url)
    if not state.empty and state.revision is None:
        raise StoreError(
            f"{state.where} was made before Alembic (schema {state.schema_version}); its SQL "
            f"cannot be written out: run mfg-ctl db upgrade without --sql"
        )
    return upgrade_sql(url, state.revision)
