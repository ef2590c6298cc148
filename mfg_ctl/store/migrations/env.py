"""Alembic's entry point for the run store: migrate the connection mfg-ctl hands over.

:mod:`mfg_ctl.store.revisions` passes an open connection inside the store's
opening transaction (``config.attributes["connection"]``), so a migration and
the checks around it commit or roll back together. Run from the ``alembic``
command line (developers only), it opens ``$MFG_CTL_DB`` itself; offline
(``--sql``) it writes the SQL for the dialect of ``config.attributes["url"]``.
"""

from __future__ import annotations

from alembic import context

from mfg_ctl.store.location import default_url
from mfg_ctl.store.models import Base
from mfg_ctl.store.revisions import VERSION_TABLE
from mfg_ctl.store.schema import driver_url, open_engine


def _configure(**how: object) -> None:
    context.configure(
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        compare_type=True,
        **how,  # type: ignore[arg-type]
    )


def _run() -> None:
    config = context.config
    if context.is_offline_mode():
        _configure(
            url=driver_url(config.attributes.get("url") or default_url()), literal_binds=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        context.run_migrations()  # inside the caller's transaction
        return
    engine = open_engine(default_url())
    try:
        with engine.begin() as opened:
            _configure(connection=opened)
            context.run_migrations()
    finally:
        engine.dispose()


_run()
