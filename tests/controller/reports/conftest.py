"""The CLI fixtures of tests/controller/cli: a private store, ``ctl`` and served stations."""

from tests.controller.cli.conftest import ctl, isolated, serve_station, station

__all__ = ["ctl", "isolated", "serve_station", "station"]
