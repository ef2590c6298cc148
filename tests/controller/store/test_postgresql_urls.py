"""PostgreSQL URLs: ``postgresql://`` means psycopg 3, and what goes wrong reaching a server
(no driver, no such database) is one line that names the URL without its password."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy.engine import make_url

from mfg_ctl.store import RunStore, StoreError
from mfg_ctl.store.schema import driver_url
from tests.controller.store.support import started


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://station@db/runs", "psycopg"),
        ("postgres://station@db/runs", "psycopg"),
        ("postgresql+psycopg://station@db/runs", "psycopg"),
        ("postgresql+psycopg2://station@db/runs", "psycopg2"),
        ("sqlite:////tmp/runs.db", "pysqlite"),
    ],
)
def test_a_plain_postgresql_url_selects_psycopg_3(given: str, driver: str) -> None:
    url = make_url(driver_url(given))
    assert url.get_driver_name() == driver
    assert (url.username, url.host, url.database) == (
        (None, None, "/tmp/runs.db") if driver == "pysqlite" else ("station", "db", "runs")
    )


def test_a_store_in_postgresql_is_shown_without_its_password(pg_url: str) -> None:
    with_password = make_url(pg_url).set(password="s3cret").render_as_string(hide_password=False)
    with RunStore(with_password) as store:  # trust authentication ignores the password
        store(started("r1"))
        assert store.where == make_url(pg_url).render_as_string(hide_password=False)
        assert "s3cret" not in store.url
        assert [run.run_id for run in store.runs()] == ["r1"]


def test_a_database_that_does_not_exist_is_one_line_saying_how_to_make_it(pg_url: str) -> None:
    missing = make_url(pg_url).set(database="no_such_database", password="s3cret")
    with pytest.raises(StoreError) as caught:
        RunStore(missing.render_as_string(hide_password=False))
    said = str(caught.value)
    assert "\n" not in said
    assert "s3cret" not in said
    assert 'database "no_such_database" does not exist' in said
    assert "(createdb no_such_database)" in said


def test_no_driver_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the pg extra were not installed
    with pytest.raises(StoreError, match=r"no module psycopg\); install the pg extra") as caught:
        RunStore("postgresql://station:s3cret@127.0.0.1/runs")
    assert "s3cret" not in str(caught.value)
