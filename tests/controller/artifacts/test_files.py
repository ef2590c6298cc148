"""events.jsonl and events.csv: their text, the round trip into runs, safe writing, clear errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from pathlib import Path

import pytest

from mfg_ctl.analytics.records import ATTEMPT_FIELDS, runs_from_rows
from mfg_ctl.artifacts.files import (
    ArtifactError,
    append_text,
    attempt_rows_csv,
    attempt_rows_jsonl,
    check_writable,
    read_attempt_rows,
    replace_file,
    write_atomic,
)
from tests.controller.artifacts.support import attempt_row

ROWS = [
    attempt_row("r1", 1, requirements=("REQ-A", "REQ-B")),
    attempt_row("r1", 2, attempt=1, status="fail", value=5.2, error_code="E-LIMIT",
                run_status="failed", reason='measured 5.2, "too high"'),
    attempt_row("r1", 2, attempt=2, status="pass", value=5.0, run_status="failed"),
    attempt_row("r1", 3, attempt=0, status="skipped", value=None, low=None, high=None,
                run_status="failed", requirements=[]),
    attempt_row("r2", 1, sn="SN,\n2", value=float("nan"), status="error",
                error_code="E-TIMEOUT", run_status="error"),
]


def test_jsonl_has_one_object_per_line_in_field_order():
    lines = attempt_rows_jsonl(ROWS).splitlines(keepends=True)
    assert len(lines) == len(ROWS)
    assert all(line.endswith("\n") for line in lines)
    first = json.loads(lines[0])
    assert tuple(first) == ATTEMPT_FIELDS
    assert first["requirements"] == ["REQ-A", "REQ-B"]
    assert first["value"] == 4.98
    assert first["error_code"] is None
    assert '"value": 4.98' in lines[0]
    assert json.loads(lines[4])["value"] is None  # NaN is no JSON number


def test_rows_missing_a_field_are_refused():
    row = attempt_row()
    del row["sn"]
    with pytest.raises(ValueError, match="lacks sn"):
        attempt_rows_jsonl([row])


def test_csv_text_header_empty_cells_and_joined_requirements():
    text = attempt_rows_csv(ROWS[:1], header=True)
    header, line = text.split("\n")[:2]
    assert header == ",".join(ATTEMPT_FIELDS)
    assert ",4.98,4.94,5.06,V,,,REQ-A;REQ-B," in line
    assert text.endswith("\n")
    assert attempt_rows_csv(ROWS[:1], header=False) == text.split("\n", 1)[1]


def test_jsonl_round_trip_into_runs(tmp_path):
    path = tmp_path / "events.jsonl"
    append_text(path, attempt_rows_jsonl(ROWS[:2]))
    append_text(path, attempt_rows_jsonl(ROWS[2:]))
    runs = runs_from_rows(read_attempt_rows(path))
    assert [run.run_id for run in runs] == ["r1", "r2"]
    first, second = runs
    assert [(s.index, s.status, s.attempts) for s in first.steps] == [
        (1, "pass", 1),
        (2, "pass", 2),
        (3, "skipped", 0),
    ]
    assert first.steps[1].error_codes == ("E-LIMIT",)
    assert first.steps[0].requirements == ("REQ-A", "REQ-B")
    assert first.retried
    assert second.sn == "SN,\n2"
    assert second.status == "error"


def test_csv_round_trip_into_runs():
    text = attempt_rows_csv(ROWS, header=True)
    runs = runs_from_rows(list(csv.DictReader(io.StringIO(text, newline=""))))
    assert [(s.index, s.status, s.attempts) for s in runs[0].steps] == [
        (1, "pass", 1),
        (2, "pass", 2),
        (3, "skipped", 0),
    ]
    assert runs[0].steps[0].requirements == ("REQ-A", "REQ-B")
    assert runs[1].sn == "SN,\n2"
    assert runs[1].steps[0].error_codes == ("E-TIMEOUT",)


def test_atomic_write_replaces_the_file_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "results_summary.json"
    write_atomic(path, "old\n")
    write_atomic(path, "new \u00b5V\n")
    assert path.read_text(encoding="utf-8") == "new \u00b5V\n"
    assert [entry.name for entry in tmp_path.iterdir()] == ["results_summary.json"]


def test_a_failed_atomic_write_keeps_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "qualification_report.html"
    write_atomic(path, "old")

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ArtifactError) as caught:
        write_atomic(path, "new")
    assert str(caught.value) == (
        f"cannot write {path}: No space left on device; "
        "free space or choose another --artifacts folder"
    )
    assert path.read_text(encoding="utf-8") == "old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["qualification_report.html"]


def test_writing_under_a_file_is_one_clear_error(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ArtifactError, match=r"^cannot write .*not_a_folder/events.csv: Not a"):
        write_atomic(blocker / "events.csv", "text")
    with pytest.raises(ArtifactError, match=r"choose another --artifacts folder$"):
        append_text(blocker / "events.jsonl", "text")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_append_to_a_full_device_says_so():
    with pytest.raises(ArtifactError, match="No space left on device; free space or choose"):
        append_text(Path("/dev/full"), "x" * 10)


def test_check_writable_accepts_a_folder_and_leaves_nothing(tmp_path):
    check_writable(tmp_path)
    assert list(tmp_path.iterdir()) == []
    check_writable(tmp_path / "new" / "deeper")  # could be created: accepted, not left behind
    assert list(tmp_path.iterdir()) == []


def test_check_writable_refuses_a_file_and_a_path_under_a_file(tmp_path):
    blocker = tmp_path / "artifacts"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ArtifactError, match="it is a file, not a folder; choose another"):
        check_writable(blocker)
    with pytest.raises(ArtifactError, match=r"cannot write in .*artifacts/sub: Not a directory"):
        check_writable(blocker / "sub")
    assert [entry.name for entry in tmp_path.iterdir()] == ["artifacts"]


def read_error(tmp_path: Path, bad_line: str) -> str:
    """The error reading a good row, a blank line, then ``bad_line`` (line 3)."""
    path = tmp_path / "events.jsonl"
    path.write_text(attempt_rows_jsonl([attempt_row()]) + "\n" + bad_line, encoding="utf-8")
    with pytest.raises(ArtifactError) as caught:
        read_attempt_rows(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:3: ")
    assert "\n" not in message
    return message[len(f"{path}:3: "):]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json\n", r"^not JSON \(.*\): '\{not json'$"),
        ("[1, 2]\n", r"^expected a JSON object, found a list"),
        ('{"run_id": "r"}\n', r"^missing 23 of the 24 fields of a step attempt \(batch_id, "),
        ('{"run_id": "r1", "batch', r"^the last line is cut short .*delete that line"),
    ],
)
def test_lines_that_are_no_rows_name_file_and_line(tmp_path, line, message):
    assert re.search(message, read_error(tmp_path, line))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("step_index", -1, "step_index must be a whole number, not -1"),
        ("attempt", True, "attempt must be a whole number, not True"),
        ("status", "maybe", "status 'maybe' is not one of pass, fail, error, skipped"),
        ("run_status", "done", "run_status 'done' is not one of passed, "),
        ("run_started", "yesterday", "run_started 'yesterday' is not an ISO 8601 time"),
        ("requirements", 7, "requirements must be a list of requirement ids, not a number"),
    ],
)
def test_bad_fields_name_file_line_and_field(tmp_path, field, value, message):
    line = json.dumps(attempt_row(**{field: value})) + "\n"
    assert read_error(tmp_path, line).startswith(message)


def test_missing_and_undecodable_files_are_one_line(tmp_path):
    with pytest.raises(ArtifactError, match=r"^cannot read .*nothing.jsonl: No such file"):
        read_attempt_rows(tmp_path / "nothing.jsonl")
    binary = tmp_path / "events.jsonl"
    binary.write_bytes(b"\xff\xfe\x00junk\n")
    with pytest.raises(ArtifactError, match="not UTF-8 text"):
        read_attempt_rows(binary)


def test_written_files_are_readable_by_others(tmp_path):
    path = tmp_path / "coverage_matrix.csv"
    write_atomic(path, "a\n")
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_a_folder_where_the_file_belongs_is_one_clear_error(tmp_path):
    (tmp_path / "events.csv").mkdir()
    with pytest.raises(ArtifactError, match="a folder is in the way of the file: choose another"):
        write_atomic(tmp_path / "events.csv", "text")
    assert [entry.name for entry in tmp_path.iterdir()] == ["events.csv"]


def test_replace_file_writes_through_what_is_not_a_file_and_keeps_links(tmp_path: Path) -> None:
    """``--csv /dev/stdout`` or a fifo is written to, never replaced by a file; a link to a
    file keeps being a link to the new content."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        replace_file(fifo, "through\n")
        assert os.read(reader, 100) == b"through\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    target, link = tmp_path / "report.csv", tmp_path / "latest.csv"
    target.write_text("old\n")
    link.symlink_to(target)
    replace_file(link, "new\n")
    assert link.is_symlink()
    assert target.read_text() == "new\n"
