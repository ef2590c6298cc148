"""Which Alembic revision a run store is at, and bringing it to the latest.

The revision is kept in :data:`VERSION_TABLE` (not Alembic's default name, so
a PostgreSQL database shared with another Alembic-managed application keeps
both apart). Reading it needs no Alembic; migrating imports it, which only
``mfg-ctl db``, a new store and an out-of-date one pay for. Each revision also
sets ``mfg_ctl_schema.version``, the number an older mfg-ctl checks before it
writes, so a store upgraded by a newer mfg-ctl is refused by an older one.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import String, column, inspect, select, table
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "BASELINE",
    "HEAD",
    "VERSION_TABLE",
    "Revision",
    "current_revision",
    "known_revisions",
    "stamp",
    "upgrade",
    "upgrade_sql",
]

#: Where the store's revision is kept.
VERSION_TABLE = "mfg_ctl_alembic_version"
#: Schema 4, the store as it was when Alembic took over.
BASELINE = "0004"
#: The latest revision: what this mfg-ctl reads and writes (a test checks Alembic agrees).
HEAD = "0005"
#: The migration scripts: ``env.py`` and ``versions/``.
SCRIPTS = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class Revision:
    """One revision of the schema: its id and what it changes (its docstring's first line)."""

    id: str
    doc: str


def current_revision(conn: Connection) -> str | None:
    """The store's revision; None for an empty database or one made before Alembic."""
    if VERSION_TABLE not in inspect(conn).get_table_names():
        return None
    version_num = column("version_num", String)
    found = conn.execute(select(version_num).select_from(table(VERSION_TABLE))).scalars().all()
    return found[0] if len(found) == 1 else None


def known_revisions() -> list[Revision]:
    """Every revision this mfg-ctl knows, oldest first."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - only when migrating

    scripts = ScriptDirectory(str(SCRIPTS))
    found = [
        Revision(script.revision, (script.doc or "").strip().splitlines()[0])
        for script in scripts.walk_revisions()
    ]
    return found[::-1]


def _run(conn: Connection, how: str, revision: str) -> None:
    from alembic import command  # noqa: PLC0415 - only when migrating

    getattr(command, how)(_config(conn), revision)


def _config(
    conn: Connection | None = None, url: str | None = None, out: io.StringIO | None = None
) -> Config:
    """Alembic's settings for our scripts, handing ``env.py`` the connection or the URL."""
    from alembic.config import Config  # noqa: PLC0415 - only when migrating

    config = Config(output_buffer=out)
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    config.attributes["url"] = url
    return config


def stamp(conn: Connection, revision: str = HEAD) -> None:
    """Record ``revision`` as the store's, changing nothing else (a store made at it)."""
    _run(conn, "stamp", revision)


def upgrade(conn: Connection, revision: str = HEAD) -> None:
    """Run every migration from the store's revision to ``revision``, in ``conn``'s transaction."""
    _run(conn, "upgrade", revision)


def upgrade_sql(url: str, start: str | None) -> str:
    """The SQL that would bring a store at ``start`` (None: an empty database) to the latest
    revision, in ``url``'s dialect; nothing is run."""
    from alembic import command  # noqa: PLC0415 - only when migrating

    out = io.StringIO()
    command.upgrade(_config(url=url, out=out), f"{start}:{HEAD}" if start else HEAD, sql=True)
    return out.getvalue()
