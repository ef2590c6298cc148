"""The serial numbers of a batch: from ``--sns A,B,C`` or an SN file, each checked, none twice.

An SN file holds one serial number per line; blank lines and lines starting
with ``#`` are skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from mfg_ctl.identity import IdentityError, check_sn
from mfg_ctl.wording import clip

__all__ = ["MAX_UNITS", "BatchError", "parse_sns", "read_sn_file", "unit_seed"]

#: The most units one batch may test.
MAX_UNITS = 100_000
#: The largest SN file read.
MAX_SN_FILE = 8 << 20


class BatchError(Exception):
    """A batch cannot start as asked; the message is one line saying why and what to do."""


def _checked(sns: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """``(where, sn)`` pairs checked: usable, not twice, not too many; BatchError if not."""
    seen: dict[str, str] = {}
    for where, sn in sns:
        try:
            check_sn(sn)
        except IdentityError as error:
            raise BatchError(f"{where}: {error}") from None
        if sn in seen:
            raise BatchError(
                f"{where}: serial number {clip(sn)} is listed twice (also {seen[sn]}); "
                "test each unit once per batch"
            )
        seen[sn] = where
        if len(seen) > MAX_UNITS:
            raise BatchError(f"more than {MAX_UNITS} serial numbers: split the batch")
    if not seen:
        raise BatchError("no serial numbers to test: give --sns SN1,SN2,... or --sn-file FILE")
    return tuple(seen)


def parse_sns(text: str) -> tuple[str, ...]:
    """The serial numbers of ``--sns``: comma-separated, spaces around each ignored."""
    parts = [part.strip() for part in text.split(",")]
    if parts == [""]:
        raise BatchError("--sns is empty: give SN1,SN2,...")
    return _checked((f"--sns item {place}", sn) for place, sn in enumerate(parts, start=1))


def read_sn_file(path: Path) -> tuple[str, ...]:
    """The serial numbers of an SN file; BatchError naming the file (and line) if unusable."""
    try:
        if path.stat().st_size > MAX_SN_FILE:
            raise BatchError(f"{path} is larger than {MAX_SN_FILE >> 20} MiB: split the batch")
        data = path.read_bytes()
    except FileNotFoundError:
        raise BatchError(f"{path}: no such SN file") from None
    except IsADirectoryError:
        raise BatchError(f"{path} is a folder, not an SN file") from None
    except OSError as error:
        raise BatchError(f"cannot read {path}: {error.strerror}") from None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise BatchError(
            f"{path}:{line}: not ASCII; serial numbers are printable ASCII"
        ) from None
    lines = (
        (f"{path}:{number}", line.strip("\r").strip())
        for number, line in enumerate(text.split("\n"), start=1)
    )
    try:
        return _checked(
            (where, sn) for where, sn in lines if sn and not sn.startswith("#")
        )
    except BatchError as error:
        if str(error).startswith("no serial numbers"):
            raise BatchError(
                f"{path} lists no serial numbers: write one per line (# starts a comment)"
            ) from None
        raise


def unit_seed(seed: int, sn: str) -> int:
    """The seed of one simulated unit: fixed by the batch's ``--seed`` and the serial number."""
    digest = hashlib.sha256(f"{seed}:{sn}".encode()).digest()
    return int.from_bytes(digest[:4], "big")
