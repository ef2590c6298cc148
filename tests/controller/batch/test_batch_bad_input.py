"""``mfg-ctl batch`` refuses bad input with one line and exit 2, and writes nothing.

Nothing means: no run folder (nor the ``--artifacts`` folder itself), no batch
row and no run row in the store.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.controller.batch.support import PLAN, batch_args, nothing_stored, query, sns
from tests.controller.cli.support import Ctl

NEW = ["--plan", PLAN, "--batch-id", "B1", "--station-id", "ST1", "--stage", "EVT"]


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def station_file(path: Path, slots: int) -> Path:
    """A station of ``slots`` dut slots (nothing listens: the batch must refuse before)."""
    lines = ["station_id: ST1", "slots:"]
    lines += [
        f"  - dut: {{host: 127.0.0.1, port: {20000 + place}, protocol: line}}"
        for place in range(slots)
    ]
    return write(path, "\n".join(lines) + "\n")


# (test id, options after `batch`, a word the error line must contain)
CASES: list[tuple[str, list[object], str]] = [
    ("duplicate-sn", [*NEW, "--sns", "SN1,SN2,SN1"], "listed twice"),
    ("empty-sns", [*NEW, "--sns", ""], "empty"),
    ("non-printable-sn", [*NEW, "--sns", "SN1,S\x07N2"], "printable"),
    ("long-sn", [*NEW, "--sns", "S" * 65], "longer than 64"),
    ("empty-item", [*NEW, "--sns", "SN1,,SN2"], "empty serial number"),
    ("stage-with-spaces", [*NEW[:-1], "E VT", "--sns", "SN1"], "stage"),
    ("parallel-zero", [*NEW, "--sns", "SN1", "--parallel", 0], "--parallel 0"),
    ("parallel-too-many", [*NEW, "--sns", "SN1", "--parallel", 65], "--parallel 65"),
    ("missing-plan", [*NEW[2:], "--sns", "SN1"], "--plan is missing"),
    ("missing-batch-id", [*NEW[:2], *NEW[4:], "--sns", "SN1"], "--batch-id is missing"),
    ("missing-stage", [*NEW[:-2], "--sns", "SN1"], "--stage is missing"),
    ("no-units", NEW, "--sns"),
    ("both-sns-and-file", [*NEW, "--sns", "SN1", "--sn-file", "sns.txt"], "one of them"),
    ("batch-id-with-space", [*NEW[:2], "--batch-id", "B 1", *NEW[4:], "--sns", "SN1"], "batch id"),
    ("missing-plan-file", ["--plan", "nope.yaml", *NEW[2:], "--sns", "SN1"], "nope.yaml"),
    ("resume-unknown", ["--resume", "B404"], "no batch 'B404'"),
    ("resume-with-plan", ["--resume", "B1", "--plan", PLAN], "--resume"),
]


@pytest.mark.parametrize(
    ("options", "word"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_options_are_one_line_and_write_nothing(
    ctl: Ctl, tmp_path: Path, isolated: Path, options: list[object], word: str
) -> None:
    root = tmp_path / "runs"
    where = [] if "--resume" in options else ["--artifacts", root]  # --resume takes no folder
    result = ctl("batch", *options, *where)
    assert result.status == 2, result.err
    assert word in one_error_line(result.err)
    assert not root.exists()
    assert nothing_stored(isolated)


@pytest.mark.parametrize(
    ("name", "text", "word"),
    [
        ("empty.txt", "", "lists no serial numbers"),
        ("comments.txt", "# only a comment\n\n", "lists no serial numbers"),
        ("twice.txt", "SN1\nSN2\nSN1\n", "twice.txt:3"),
        ("binary.txt", "SN1\n\xff\xfe\n", "not ASCII"),
        ("long.txt", "SN1\n" + "X" * 65 + "\n", "longer than 64"),
    ],
)
def test_bad_sn_files_are_one_line_and_write_nothing(
    ctl: Ctl, tmp_path: Path, isolated: Path, *, name: str, text: str, word: str
) -> None:
    sn_file = tmp_path / name
    sn_file.write_bytes(text.encode("latin-1"))
    root = tmp_path / "runs"
    result = ctl("batch", *NEW, "--sn-file", sn_file, "--artifacts", root)
    assert result.status == 2, result.err
    assert word in one_error_line(result.err)
    assert not root.exists()
    assert nothing_stored(isolated)


def test_a_missing_sn_file_is_one_line(ctl: Ctl, tmp_path: Path, isolated: Path) -> None:
    result = ctl("batch", *NEW, "--sn-file", tmp_path / "none.txt", "--artifacts", tmp_path / "r")
    assert result.status == 2
    assert "no such SN file" in one_error_line(result.err)
    assert nothing_stored(isolated)


def test_an_unwritable_artifacts_folder_is_refused(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    blocker = write(tmp_path / "a-file", "not a folder\n")
    result = ctl("batch", *NEW, "--sns", "SN1", "--artifacts", blocker / "runs")
    assert result.status == 2
    assert "--artifacts" in one_error_line(result.err)
    assert blocker.read_text() == "not a folder\n"
    assert nothing_stored(isolated)
    result = ctl("batch", *NEW, "--sns", "SN1", "--artifacts", blocker)
    assert result.status == 2
    assert "a-file" in one_error_line(result.err)
    assert nothing_stored(isolated)


def test_a_station_with_fewer_slots_than_parallel_is_refused(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    station = station_file(tmp_path / "two.yaml", 2)
    root = tmp_path / "runs"
    result = ctl("batch", *NEW, "--sns", sns(4), "--station", station, "--parallel", 3,
                 "--artifacts", root)
    assert result.status == 2
    assert "2 slot(s), fewer than --parallel 3" in one_error_line(result.err)
    assert not root.exists()
    assert nothing_stored(isolated)


@pytest.mark.parametrize("option", [["--dut-profile", "factory-flaky"], ["--seed", "3"]])
def test_dut_behaviour_options_are_refused_with_a_station(
    ctl: Ctl, tmp_path: Path, isolated: Path, option: list[str]
) -> None:
    station = station_file(tmp_path / "one.yaml", 1)
    root = tmp_path / "runs"
    result = ctl("batch", *NEW, "--sns", "SN1", "--station", station, *option,
                 "--artifacts", root)
    assert result.status == 2
    assert option[0] in one_error_line(result.err)
    assert not root.exists()
    assert nothing_stored(isolated)


def test_an_existing_batch_id_needs_resume(ctl: Ctl, tmp_path: Path, isolated: Path) -> None:
    root = tmp_path / "runs"
    first = ctl(*batch_args(isolated, root, "B1", sns(2)))
    assert first.status == 0, first.err
    folders = sorted(root.iterdir())
    runs_before = query(isolated, "SELECT id FROM test_runs ORDER BY id")
    again = ctl(*batch_args(isolated, root, "B1", sns(3)))
    assert again.status == 2
    assert "--resume B1" in one_error_line(again.err)
    assert sorted(root.iterdir()) == folders
    assert query(isolated, "SELECT id FROM test_runs ORDER BY id") == runs_before
    assert query(isolated, "SELECT id, status FROM batches") == [("B1", "finished")]
    finished = ctl("batch", "--resume", "B1", "--db", isolated)
    assert finished.status == 0
    assert finished.out == "batch B1: all 2 units already have a recorded run\n"
