"""Which unit a run tests: serial number, batch, station, stage and operator, checked.

A serial number is printable ASCII, at most 64 characters, without spaces at
its ends; a batch or station id is a name (letters, digits, ``_ . -``); a
stage is ``EVT``, ``DVT``, ``PVT``, ``MP`` or a label of your own without
spaces. What a command is not told comes from the station file
(``station_id:``) or the environment (:data:`ENVIRONMENT`).
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Mapping

from mfg_ctl.run.events import UnitIdentity
from mfg_ctl.wording import clip

__all__ = [
    "ENVIRONMENT",
    "MAX_SN",
    "STAGES",
    "IdentityError",
    "check_label",
    "check_operator",
    "check_sn",
    "check_stage",
    "unit_identity",
]

#: The usual build stages; any other label without spaces is accepted too.
STAGES = ("EVT", "DVT", "PVT", "MP")
MAX_SN = 64
MAX_LABEL = 64
MAX_OPERATOR = 128
#: Where defaults come from when a command is not told: one variable per field.
ENVIRONMENT = {
    "station_id": "MFG_CTL_STATION_ID",
    "stage": "MFG_CTL_STAGE",
    "operator": "MFG_CTL_OPERATOR",
}
_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class IdentityError(ValueError):
    """A serial number, batch, station, stage or operator is not usable; one line."""


def check_sn(sn: str) -> str:
    """``sn`` if it is a usable serial number, else IdentityError saying why."""
    if not sn:
        raise IdentityError("an empty serial number: give e.g. SN0001")
    if len(sn) > MAX_SN:
        raise IdentityError(f"serial number {clip(sn)} is longer than {MAX_SN} characters")
    if not all(" " <= char <= "~" for char in sn):
        raise IdentityError(
            f"serial number {clip(sn)} is not printable ASCII: use letters, digits and punctuation"
        )
    if sn != sn.strip():
        raise IdentityError(f"serial number {clip(sn)} starts or ends with a space: remove it")
    return sn


def check_label(value: str, what: str) -> str:
    """``value`` if it is a usable batch or station id (``what`` names it), else IdentityError."""
    if len(value) > MAX_LABEL or not _LABEL.fullmatch(value):
        raise IdentityError(
            f"{what} {clip(value)} is not usable: use at most {MAX_LABEL} letters, digits, "
            "_ . - and no spaces"
        )
    return value


def check_stage(stage: str) -> str:
    """``stage`` if it is EVT, DVT, PVT, MP or another label without spaces, else IdentityError."""
    if len(stage) > MAX_LABEL or not _LABEL.fullmatch(stage):
        raise IdentityError(
            f"stage {clip(stage)} is not usable: give {', '.join(STAGES)} or a label of your "
            "own without spaces"
        )
    return stage


def check_operator(operator: str) -> str:
    """``operator`` if printable and at most 128 characters, else IdentityError."""
    if len(operator) > MAX_OPERATOR or not operator.isprintable():
        raise IdentityError(
            f"operator {clip(operator)} is not usable: give a printable name of at most "
            f"{MAX_OPERATOR} characters"
        )
    return operator


def _login() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        return ""


def unit_identity(
    *,
    sn: str | None = None,
    batch_id: str | None = None,
    station_id: str | None = None,
    stage: str | None = None,
    operator: str | None = None,
    station_default: str = "",
    environ: Mapping[str, str] | None = None,
) -> UnitIdentity:
    """The identity of a run from what the command was told, the station file and the environment.

    ``station_id``: the option, else the station file's, else ``$MFG_CTL_STATION_ID``;
    ``stage``: the option, else ``$MFG_CTL_STAGE``; ``operator``: the option,
    else ``$MFG_CTL_OPERATOR``, else the login name. IdentityError on a bad value.
    """
    env = os.environ if environ is None else environ
    station = station_id or station_default or env.get(ENVIRONMENT["station_id"], "")
    staged = stage or env.get(ENVIRONMENT["stage"], "")
    who = operator if operator is not None else env.get(ENVIRONMENT["operator"]) or _login()
    return UnitIdentity(
        sn=check_sn(sn) if sn is not None else "",
        batch_id=check_label(batch_id, "batch id") if batch_id else "",
        station_id=check_label(station, "station id") if station else "",
        stage=check_stage(staged) if staged else "",
        operator=check_operator(who) if who else "",
    )
