"""The unit-identity options of ``mfg-ctl run`` (``--sn``, ``--batch-id``, ...) and their checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from mfg_ctl.cli.support import fail
from mfg_ctl.identity import IdentityError, unit_identity
from mfg_ctl.run.events import UnitIdentity

__all__ = ["identity_filter_options", "identity_of", "identity_options"]

F = TypeVar("F", bound=Callable[..., Any])


def identity_options(command: F) -> F:
    """Add ``--sn --batch-id --station-id --stage --operator`` to a command."""
    for option in reversed(
        (
            click.option("--sn", help="serial number of the unit under test"),
            click.option("--batch-id", help="the batch the unit belongs to"),
            click.option(
                "--station-id",
                help="this test station (default: the station file's station_id, "
                "else $MFG_CTL_STATION_ID)",
            ),
            click.option(
                "--stage", help="build stage: EVT, DVT, PVT, MP or your own label (default: "
                "$MFG_CTL_STAGE)"
            ),
            click.option(
                "--operator", help="who runs the test (default: $MFG_CTL_OPERATOR, else the login)"
            ),
        )
    ):
        command = option(command)
    return command


def identity_filter_options(command: F) -> F:
    """Add ``--sn --batch-id --station-id --stage`` filters to a listing command."""
    for option in reversed(
        (
            click.option("--sn", help="only runs of this serial number"),
            click.option("--batch-id", help="only runs of this batch"),
            click.option("--station-id", help="only runs on this station"),
            click.option("--stage", help="only runs in this build stage"),
        )
    ):
        command = option(command)
    return command


def check_filters(sn: str | None, batch_id: str | None, station_id: str | None,
                  stage: str | None) -> None:
    """Exit 2 when a filter of a listing could never match: not a usable value."""
    try:
        unit_identity(
            sn=sn, batch_id=batch_id, station_id=station_id, stage=stage, operator="", environ={}
        )
    except IdentityError as error:
        fail(str(error))


def identity_of(
    *,
    sn: str | None,
    batch_id: str | None,
    station_id: str | None,
    stage: str | None,
    operator: str | None,
    station_default: str = "",
) -> UnitIdentity:
    """The run's identity from the options, the station file and the environment; exit 2 if bad."""
    try:
        return unit_identity(
            sn=sn,
            batch_id=batch_id,
            station_id=station_id,
            stage=stage,
            operator=operator,
            station_default=station_default,
        )
    except IdentityError as error:
        fail(str(error))
