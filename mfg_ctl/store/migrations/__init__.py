"""The run store's Alembic migrations: ``env.py`` and one module per revision in ``versions/``.

Used through :mod:`mfg_ctl.store.revisions` (``mfg-ctl db upgrade``, and every
opening of an SQLite store); ``alembic.ini`` here serves developers writing a
new revision (see ``doc/store.rst``).
"""
