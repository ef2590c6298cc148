"""``mfg-ctl spc --csv``: a quality engineer's CSV in, the published figures out."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl.analytics.spc import analyse
from mfg_ctl.cli.spc import read_column
from tests.controller.cli.support import Ctl
from tests.controller.spc.reference import example

FLOW = example("imr_examples", "nist_6322_flowrate")["data"]
RINGS = example("xbar_r_examples", "qcc_pistonrings")["subgroups_phase1"]
WriteCsv = Callable[..., Path]


def _column(name: str, values: list[float]) -> str:
    return name + "\n" + "".join(f"{value}\n" for value in values)


def _rings_csv(groups: list[list[float]]) -> str:
    rows = [f"{index},{value}" for index, group in enumerate(groups) for value in group]
    return "sample,diameter\n" + "\n".join(rows) + "\n"


def test_individuals_summary(ctl: Ctl, write_csv: WriteCsv) -> None:
    path = write_csv(_column("flow", FLOW))
    result = ctl("spc", "--csv", path, "--column", "flow", "--lsl", 40, "--usl", 60)
    assert (result.status, result.err) == (0, "")
    assert result.lines[:2] == [
        "I-MR chart of 'flow': 10 points",
        "  centre 50.81, UCL 55.80241, LCL 45.81759",
    ]
    assert "beyond the limits (0-based): none" in result.lines
    assert "rules (Western Electric): none fired" in result.lines
    assert result.lines[-1] == "classification: trending"
    # Cpl = (50.81 - 40)/(3 * 1.877778/1.128379) = 2.165286
    assert (
        "capability (sigma within): Cp 2.00304, Cpk 1.840794, Cpu 1.840794, Cpl 2.165286, "
        "Cpm 1.801025"
    ) in result.lines


def test_individuals_json_is_the_library_analysis(ctl: Ctl, write_csv: WriteCsv) -> None:
    path = write_csv("run,flow\n" + "".join(f"{i},{v}\n" for i, v in enumerate(FLOW)))
    result = ctl(
        "spc", "--csv", path, "--column", "flow", "--usl", 60, "--rules", "nelson", "--json"
    )
    assert result.status == 0
    document = json.loads(result.out)
    expected = analyse(values=FLOW, usl=60.0, rule_set="nelson").to_dict()
    assert document == json.loads(json.dumps(expected))
    assert (document["chart"], document["center"]) == ("imr", 50.81)
    assert round(document["mr_bar"], 4) == 1.8778
    assert document["signals"]["nelson_1"] == []
    assert document["forecast"]["side"] == "upper"


def test_subgroups_by_size_make_an_xbar_r_chart(ctl: Ctl, write_csv: WriteCsv) -> None:
    path = write_csv(_rings_csv(RINGS))
    result = ctl("spc", "--csv", path, "--column", "diameter", "--subgroup-size", 5, "--json")
    document = json.loads(result.out)
    assert (document["chart"], document["subgroup_size"], document["points"]) == ("xbar-r", 5, 25)
    assert round(document["center"], 5) == 74.00118
    assert document["r_bar"] == pytest.approx(0.02276)
    assert document["classification"] == "in control"


def test_subgroups_by_label_make_an_xbar_s_chart(ctl: Ctl, write_csv: WriteCsv) -> None:
    path = write_csv(_rings_csv(RINGS))
    result = ctl(
        "spc", "--csv", path, "--column", "diameter", "--subgroup-column", "sample",
        "--chart", "xbar-s", "--json",
    )
    document = json.loads(result.out)
    assert document["chart"] == "xbar-s"
    assert document["s_bar"] == pytest.approx(0.009240037, abs=5e-10)


def test_unequal_subgroups_xbar_s_yes_xbar_r_no(ctl: Ctl, write_csv: WriteCsv) -> None:
    groups = [group[: 3 + index % 3] for index, group in enumerate(RINGS)]
    path = write_csv(_rings_csv(groups))
    refused = ctl("spc", "--csv", path, "--column", "diameter", "--subgroup-column", "sample")
    assert (refused.status, refused.out) == (2, "")
    assert refused.err.startswith(f"error: {path} column 'diameter': subgroups of unequal size")
    assert refused.err.endswith("use an X-bar/S chart\n")
    assert refused.err.count("\n") == 1
    accepted = ctl(
        "spc", "--csv", path, "--column", "diameter", "--subgroup-column", "sample",
        "--chart", "xbar-s",
    )
    assert accepted.status == 0
    assert "(per subgroup)" in accepted.lines[1]


def test_nelson_rule_3_length_is_an_option(ctl: Ctl, write_csv: WriteCsv) -> None:
    values = [0.0, 1.0, -1.0, 0.5, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, -0.3, 0.2]
    path = write_csv(_column("x", values))
    six = json.loads(ctl("spc", "--csv", path, "--column", "x", "--rules", "nelson", "--json").out)
    seven = json.loads(
        ctl("spc", "--csv", path, "--column", "x", "--rules", "nelson", "--trend-points", 7,
            "--json").out
    )
    assert (six["signals"]["nelson_3"], six["nelson_3_points"]) == ([9], 6)
    assert (seven["signals"]["nelson_3"], seven["nelson_3_points"]) == ([], 7)


def test_a_byte_order_mark_and_blank_lines_are_fine(ctl: Ctl, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfflow\r\n" + b"".join(f"{v}\r\n\r\n".encode() for v in FLOW))
    result = ctl("spc", "--csv", path, "--column", "flow", "--json")
    assert result.status == 0
    assert json.loads(result.out)["points"] == 10


def test_two_points_chart_but_neither_trend_nor_forecast(ctl: Ctl, write_csv: WriteCsv) -> None:
    path = write_csv(_column("x", [1.0, 2.0]))
    result = ctl("spc", "--csv", path, "--column", "x", "--usl", 5)
    assert result.status == 0
    assert not any(line.startswith("trend:") for line in result.lines)
    assert "runs to failure: no forecast: a trend needs at least 3 points, not 2" in result.lines
    document = json.loads(ctl("spc", "--csv", path, "--column", "x", "--usl", 5, "--json").out)
    assert (document["trend"], document["forecast"]["runs"]) == (None, None)


def test_rules_none_says_so(ctl: Ctl) -> None:
    data = Path(__file__).parent / "data" / "viscosity.csv"
    result = ctl("spc", "--csv", data, "--column", "viscosity", "--rules", "none")
    assert "rules: none asked for (only the limits are checked)" in result.lines
    assert result.lines[-1] == "classification: out of control"


def test_constant_data_says_so(ctl: Ctl, write_csv: WriteCsv) -> None:
    path = write_csv(_column("x", [5.0] * 8))
    result = ctl("spc", "--csv", path, "--column", "x", "--lsl", 4, "--usl", 6, "--json")
    assert (result.status, result.out) == (2, "")
    assert result.err == (
        f"error: {path} column 'x': constant data: sigma within is 0, so the control limits "
        "and the capability indices are undefined\n"
    )


BAD_CELLS = [
    ("x\n1.0\n2.0\nabc\n", "line 4, column 'x': 'abc' is not a number"),
    ("x\n1.0\nnan\n2.0\n", "line 3, column 'x': 'nan' is not a finite number"),
    ("x\n1.0\n-inf\n", "line 3, column 'x': '-inf' is not a finite number"),
    ("a,x\n1,1.0\n2,\n", "line 3, column 'x': the cell is empty; every row needs a number"),
    ("a,x\n1,1.0\n2\n", "line 3, column 'x': the cell is empty"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CELLS)
def test_bad_cells_name_their_line_and_column(
    ctl: Ctl, write_csv: WriteCsv, text: str, message: str
) -> None:
    path = write_csv(text)
    result = ctl("spc", "--csv", path, "--column", "x")
    assert (result.status, result.out) == (2, "")
    assert result.err.startswith(f"error: {path} {message}")
    assert result.err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("x\n1.0\n", [], "column 'x': 1 values given: this chart needs at least 2"),
        ("x,y\n1,2\n", ["--column", "z"], "has no column 'z'; its columns: 'x', 'y'"),
        ("", [], "is empty: it needs a header line naming the columns, then values"),
        ("x\n1\n2\n3\n4\n5\n", ["--subgroup-size", 2],
         "5 values do not split into subgroups of 2 (1 left over)"),
        ("x\n1\n2\n3\n", ["--subgroup-size", 2, "--subgroup-column", "x"],
         "give --subgroup-size or --subgroup-column, not both"),
        ("x\n1\n2\n3\n", ["--chart", "xbar-s"], "an xbar-s chart needs subgroups"),
        ("x\n1\n2\n3\n", ["--subgroup-size", 3, "--chart", "imr"], "takes individual values"),
        ("x\n1\n2\n3\n", ["--lsl", "nan"], "--lsl must be a finite number, not nan"),
        ("x\n1\n2\n3\n", ["--lsl", 3, "--usl", 2], "LSL 3.0 is not below USL 2.0"),
        ("x\n1\n2\n3\n", ["--target", 2], "a target needs specification limits"),
        ("x\n1\n2\n3\n", ["--subgroup-size", 3], "1 subgroups given: this chart needs at least 2"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    ctl: Ctl, write_csv: WriteCsv, text: str, options: list[object], message: str
) -> None:
    path = write_csv(text)
    column = [] if "--column" in options else ["--column", "x"]
    result = ctl("spc", "--csv", path, *column, *options)
    assert (result.status, result.out) == (2, "")
    assert result.err.startswith("error: ")
    assert message in result.err, result.err
    assert result.err.count("\n") == 1


def test_unreadable_files_are_one_line(ctl: Ctl, tmp_path: Path) -> None:
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"x\n\xff\xfe\x00\n")
    for path, reason in (
        (tmp_path / "missing.csv", "No such file or directory"),
        (tmp_path, "Is a directory"),
        (binary, "it is not UTF-8 text"),
    ):
        result = ctl("spc", "--csv", path, "--column", "x")
        assert (result.status, result.out) == (2, "")
        assert result.err == f"error: cannot read {path}: {reason}\n"


def test_the_doc_data_files_hold_the_reference_data() -> None:
    """doc/spc.rst charts tests/controller/spc/data/*.csv: they are the published data."""
    data = Path(__file__).parent / "data"
    viscosity = example("imr_examples", "qcc_viscosity_xbar_one")["data_phase1"]
    for name, column, expected in (("flow", "flow", FLOW), ("viscosity", "viscosity", viscosity)):
        assert read_column(data / f"{name}.csv", column) == (expected, [])
    values, labels = read_column(data / "pistonrings.csv", "diameter", "sample")
    assert values == [value for group in RINGS for value in group]
    assert labels == [str(index // 5 + 1) for index in range(125)]
