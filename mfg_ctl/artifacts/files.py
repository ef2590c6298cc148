"""Writing a batch's artifact files so a reader never sees half a file, and reading events back.

``events.jsonl`` holds one JSON object per step attempt, keys in
:data:`~mfg_ctl.analytics.records.ATTEMPT_FIELDS` order; ``events.csv`` holds
the same rows as CSV. Whole files are replaced atomically
(:func:`write_atomic`, synced to disk); the event files grow by appends
(:func:`append_text`), each handed to the kernel before the call returns but
not synced: a unit's rows then survive the process being killed (``kill -9``,
which is what ``--resume`` recovers from), and a batch does not wait for the
disk once per unit. A power cut can lose the last appends; ``--resume`` drops
rows the store lacks and tests those units again. Every failure is one
:class:`ArtifactError` line naming the file and what to do.

>>> row = dict.fromkeys(ATTEMPT_FIELDS, None) | {"value": 4.98, "requirements": ("R1", "R2")}
>>> attempt_rows_csv([row], header=False)
',,,,,,,,,,,,,,,4.98,,,,,,R1;R2,,\\n'
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any, cast

from mfg_ctl.analytics.records import ATTEMPT_FIELDS, check_row
from mfg_ctl.wording import clip

__all__ = [
    "ArtifactError",
    "append_text",
    "attempt_rows_csv",
    "attempt_rows_jsonl",
    "attempt_rows_texts",
    "check_writable",
    "csv_text",
    "read_attempt_rows",
    "read_run_folder",
    "replace_file",
    "write_atomic",
]

#: Characters no encoding can fail on are written as escapes (a lone surrogate from a bad SN).
_ENCODING_ERRORS = "backslashreplace"
_ADVICE = "choose another --artifacts folder"


class ArtifactError(Exception):
    """An artifact file cannot be written or read; one line naming the file and what to do."""


#: Types written as they are: JSON and CSV show them alike (``type(v) in``: no float here).
_PLAIN_TYPES = frozenset({str, int, bool, type(None)})
#: Every field a row must have.
_FIELD_SET = frozenset(ATTEMPT_FIELDS)
#: Where the requirement ids are in a row's values.
_REQUIREMENTS = ATTEMPT_FIELDS.index("requirements")
#: A row's values in ATTEMPT_FIELDS order, in one C call.
_ROW_VALUES = itemgetter(*ATTEMPT_FIELDS)
#: Made once: ``json.dumps`` with options builds a new encoder per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def _json_value(value: Any) -> Any:
    """A value that is not of a plain type, as JSON shows it."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # NaN and infinities are no JSON numbers
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _requirement_ids(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.split(";") if part)
    return tuple(str(part) for part in value)


def _json_values(row: Mapping[str, Any]) -> list[Any]:
    """A row's values in ATTEMPT_FIELDS order, as JSON shows them; ValueError if one lacks.

    Called for every attempt of every unit of a batch, so the common case (a
    plain value) takes no function call.
    """
    try:
        raw = _ROW_VALUES(row)
    except KeyError:
        missing = [field for field in ATTEMPT_FIELDS if field not in row]
        raise ValueError(f"an attempt row lacks {', '.join(missing)}") from None
    values = [value if type(value) in _PLAIN_TYPES else _json_value(value) for value in raw]
    values[_REQUIREMENTS] = list(_requirement_ids(raw[_REQUIREMENTS]))
    return values


def _jsonl_line(values: list[Any]) -> str:
    return _ENCODER.encode(dict(zip(ATTEMPT_FIELDS, values, strict=True))) + "\n"


def _csv_cells(values: list[Any]) -> list[str]:
    cells = ["" if value is None else str(value) for value in values]
    cells[_REQUIREMENTS] = ";".join(values[_REQUIREMENTS])
    return cells


def csv_text(header: Sequence[str], cells: Iterable[Sequence[str]]) -> str:
    """CSV as the artifact files are written: ``header`` (unless empty), then one line per row.

    Other typed tables (:mod:`mfg_ctl.report.tables`) write their CSV here too,
    so every CSV ``mfg-ctl`` writes reads the same way.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(header)
    writer.writerows(cells)
    return buffer.getvalue()


def _csv_text(cells: Iterable[list[str]], header: bool) -> str:
    return csv_text(ATTEMPT_FIELDS if header else (), cells)


def attempt_rows_jsonl(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as JSON Lines: keys in ATTEMPT_FIELDS order, requirements a list, None null."""
    return "".join(_jsonl_line(_json_values(row)) for row in rows)


def attempt_rows_csv(rows: Iterable[Mapping[str, Any]], header: bool) -> str:
    """The rows as CSV in ATTEMPT_FIELDS columns (requirements joined by ``;``, None empty)."""
    return _csv_text((_csv_cells(_json_values(row)) for row in rows), header)


def attempt_rows_texts(rows: Iterable[Mapping[str, Any]], header: bool) -> tuple[str, str]:
    """The rows as JSON Lines and as CSV at once, each value converted only once.

    The same texts as :func:`attempt_rows_jsonl` and :func:`attempt_rows_csv`,
    for a batch writing both files once per unit.
    """
    converted = [_json_values(row) for row in rows]
    jsonl = "".join(_jsonl_line(values) for values in converted)
    return jsonl, _csv_text((_csv_cells(values) for values in converted), header)


def _cannot(verb: str, path: Path, error: OSError) -> ArtifactError:
    """``cannot write DIR/x: No space left on device; free space or choose another ...``."""
    reason = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        advice = f"free space or {_ADVICE}"
    elif error.errno in {errno.EACCES, errno.EPERM, errno.EROFS}:
        advice = f"make it writable or {_ADVICE}"
    elif error.errno in {errno.ENOTDIR, errno.EEXIST}:
        advice = f"a file is in the way of a folder: {_ADVICE}"
    elif error.errno == errno.EISDIR:
        advice = f"a folder is in the way of the file: {_ADVICE}"
    else:
        advice = _ADVICE
    return ArtifactError(f"cannot {verb} {path}: {reason}; {advice}")


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) at once: a reader sees the old file or the new one."""
    try:
        replace_file(path, text)
    except OSError as error:
        raise _cannot("write", path, error) from None


def replace_file(path: Path, content: str | bytes) -> None:
    """Replace ``path`` with ``content`` (text as UTF-8) at once, synced; OSError as raised.

    The content goes to a temporary file beside ``path``, renamed over it once
    complete: a failure leaves the old file (or none), never part of the new one.
    A symbolic link keeps pointing where it did (the file it names is replaced);
    something that is not a file (``/dev/stdout``, a pipe, ``/dev/null``) is
    written to as it is, never replaced.
    """
    data = content.encode("utf-8", _ENCODING_ERRORS) if isinstance(content, str) else content
    if path.exists() and not path.is_file():
        with path.open("wb") as stream:
            stream.write(data)
        return
    path = path.resolve() if path.is_symlink() else path
    temp_name: str | None = None
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
            os.fchmod(temp.fileno(), 0o644)
        os.replace(temp_name, path)
        temp_name = None
        _sync_folder(path.parent)
    finally:
        if temp_name is not None:
            Path(temp_name).unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable; file systems that cannot sync a folder are let be."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def append_text(path: Path, text: str) -> None:
    """Append ``text`` (UTF-8) to ``path``, creating it, in one write handed to the kernel.

    Not synced to disk (see the module's docstring): a killed process loses
    nothing appended, and a batch does not wait for the disk once per unit.
    """
    try:
        with path.open("ab", buffering=0) as target:
            target.write(text.encode("utf-8", _ENCODING_ERRORS))
    except OSError as error:
        raise _cannot("write", path, error) from None


def check_writable(folder: Path) -> None:
    """ArtifactError unless files can be created in ``folder`` (created if need be); leaves nothing.

    Folders this check had to create are removed again, so refusing a batch
    leaves the disk as it was.
    """
    if folder.exists() and not folder.is_dir():
        raise ArtifactError(f"cannot write in {folder}: it is a file, not a folder; {_ADVICE}")
    created = [parent for parent in (folder, *folder.parents) if not parent.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(prefix=".mfg-ctl-check.", dir=folder) as probe:
            probe.write(b"x")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        raise _cannot("write in", folder, error) from None
    finally:
        for made in created:  # deepest first
            try:
                made.rmdir()
            except OSError:
                break


def read_run_folder(folder: Path) -> list[dict[str, Any]]:
    """The attempt rows of a run folder's ``events.jsonl``; ArtifactError if it has none."""
    if not folder.is_dir():
        raise ArtifactError(f"{folder} is not a directory: give a batch's run directory")
    path = folder / "events.jsonl"
    if not path.exists():
        raise ArtifactError(f"no events.jsonl in {folder}: is it a batch's run directory?")
    return read_attempt_rows(path)


def read_attempt_rows(path: Path) -> list[dict[str, Any]]:
    """The attempt rows of an ``events.jsonl``; ArtifactError ``FILE:LINE: what is wrong``."""
    rows = []
    try:
        with path.open("r", encoding="utf-8-sig", newline="\n") as source:
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                rows.append(_parse_line(path, number, line))
    except UnicodeDecodeError as error:
        raise ArtifactError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start}); "
            "is this an events.jsonl written by mfg-ctl?"
        ) from None
    except OSError as error:
        raise ArtifactError(
            f"cannot read {path}: {error.strerror or error}; check the path"
        ) from None
    return rows


def _parse_line(path: Path, number: int, line: str) -> dict[str, Any]:
    where = f"{path}:{number}"
    try:
        row = json.loads(line)
    except RecursionError:
        raise ArtifactError(f"{where}: JSON nested too deep") from None
    except json.JSONDecodeError as error:
        if not line.endswith("\n"):
            raise ArtifactError(
                f"{where}: the last line is cut short (was the run stopped while writing?); "
                "delete that line to read the rest"
            ) from None
        raise ArtifactError(
            f"{where}: not JSON ({error.msg} at column {error.colno}): "
            f"{clip(line.strip())}"
        ) from None
    problem = check_row(row)
    if problem:
        raise ArtifactError(f"{where}: {problem}")
    return cast(dict[str, Any], row)  # _row_problem found it a dict
