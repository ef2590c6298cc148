"""The requirement traceability matrix: statuses, counts, and coverage_matrix.csv's exact text."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from mfg_ctl.artifacts import PlanStep, coverage_csv, coverage_matrix, plan_steps
from mfg_ctl.plan import parse_plan
from mfg_ctl.requirements import parse_requirements
from tests.controller.artifacts.support import unit_run
from tests.controller.plan.support import READ_VOLTAGE, SET_VOLTAGE, plan_of, step

REQUIREMENTS = parse_requirements(
    """
requirements:
  - {id: REQ-A, title: "Output on, \\"quoted\\", with a comma", method: test}
  - {id: REQ-B, title: Voltage in range}
  - {id: REQ-C, title: Emissions, method: analysis}
  - {id: REQ-D, title: Temperature}
""",
    Path("traceability/req.yaml"),
)
STEPS = [
    PlanStep(1, "power_on", ("REQ-A",)),
    PlanStep(2, "check_vout", ("REQ-B", "REQ-A")),
    PlanStep(3, "check_temp", ("REQ-D",)),
]


def statuses(matrix):
    return {row.id: row.status for row in matrix.rows}


def test_every_requirement_status_from_runs():
    runs = [
        unit_run("r1", (1, "pass"), (2, "pass"), (3, "skipped")),
        unit_run("r2", (1, "pass"), (2, "fail"), status="failed"),  # ended early: no step 3
    ]
    matrix = coverage_matrix(REQUIREMENTS, STEPS, runs)
    assert statuses(matrix) == {
        "REQ-A": "fail",  # step 2 failed in r2, step 1 passed: a failure wins
        "REQ-B": "fail",
        "REQ-C": "not covered",  # no step names it
        "REQ-D": "not run",  # skipped in r1, absent from r2
    }
    assert [row.id for row in matrix.rows] == ["REQ-A", "REQ-B", "REQ-C", "REQ-D"]


def test_passing_requirement_and_error_counts_as_fail():
    runs = [unit_run("r1", (1, "pass"), (2, "pass"), (3, "error"), status="error")]
    matrix = coverage_matrix(REQUIREMENTS, STEPS, runs)
    assert statuses(matrix) == {
        "REQ-A": "pass",
        "REQ-B": "pass",
        "REQ-C": "not covered",
        "REQ-D": "fail",
    }


def test_a_requirement_passes_when_some_covering_step_never_ran():
    runs = [unit_run("r1", (1, "pass"), (2, "skipped"))]
    assert statuses(coverage_matrix(REQUIREMENTS, STEPS, runs))["REQ-A"] == "pass"


def test_cell_counts_pass_fail_and_not_run_per_step():
    runs = [
        unit_run("r1", (1, "pass"), (2, "pass")),
        unit_run("r2", (1, "pass"), (2, "error")),
        unit_run("r3", (1, "fail")),
    ]
    matrix = coverage_matrix(REQUIREMENTS, STEPS, runs)
    req_a = matrix.rows[0]
    first, second, third = req_a.cells
    assert third is None  # step 3 does not cover REQ-A
    assert first is not None
    assert second is not None
    assert (first.passed, first.failed, first.not_run) == (2, 1, 0)
    assert (second.passed, second.failed, second.not_run) == (1, 1, 1)
    assert matrix.to_dict()["requirements"][0]["cells"] == [
        {"step_index": 1, "status": "fail", "pass": 2, "fail": 1, "not_run": 0},
        {"step_index": 2, "status": "fail", "pass": 1, "fail": 1, "not_run": 1},
    ]


def test_no_runs_leaves_covered_requirements_not_run():
    matrix = coverage_matrix(REQUIREMENTS, STEPS, [])
    assert statuses(matrix) == {
        "REQ-A": "not run",
        "REQ-B": "not run",
        "REQ-C": "not covered",
        "REQ-D": "not run",
    }
    assert matrix.status_counts() == {"fail": 0, "not covered": 1, "not run": 3, "pass": 0}


def test_without_a_requirements_file_the_named_ids_are_listed_untitled():
    steps = [PlanStep(1, "a", ("REQ-Z", "REQ-Y")), PlanStep(2, "b", ("REQ-Y", "REQ-X"))]
    matrix = coverage_matrix(None, steps, [unit_run("r1", (1, "pass"), (2, "fail"))])
    assert [(row.id, row.title, row.method, row.status) for row in matrix.rows] == [
        ("REQ-Z", "", "", "pass"),
        ("REQ-Y", "", "", "fail"),
        ("REQ-X", "", "", "fail"),
    ]


def test_a_plan_without_requirements_gives_an_empty_matrix():
    matrix = coverage_matrix(None, [PlanStep(1, "a")], [unit_run("r1", (1, "pass"))])
    assert matrix.rows == ()
    assert coverage_csv(matrix) == "requirement,title,method,status,1 a\n"


def test_csv_exact_text_for_one_run():
    runs = [unit_run("r1", (1, "pass"), (2, "fail"), status="failed")]
    text = coverage_csv(coverage_matrix(REQUIREMENTS, STEPS, runs))
    assert text == (
        "requirement,title,method,status,1 power_on,2 check_vout,3 check_temp\n"
        'REQ-A,"Output on, ""quoted"", with a comma",test,fail,pass,fail,\n'
        "REQ-B,Voltage in range,,fail,,fail,\n"
        "REQ-C,Emissions,analysis,not covered,,,\n"
        "REQ-D,Temperature,,not run,,,not run\n"
    )


def test_csv_counts_for_several_runs():
    runs = [
        unit_run("r1", (1, "pass"), (2, "pass"), (3, "pass")),
        unit_run("r2", (1, "pass"), (2, "fail")),
    ]
    table = list(csv.reader(io.StringIO(coverage_csv(coverage_matrix(REQUIREMENTS, STEPS, runs)))))
    assert table[1] == [
        "REQ-A",
        'Output on, "quoted", with a comma',
        "test",
        "fail",
        "pass 2 / fail 0 / not run 0",
        "pass 1 / fail 1 / not run 0",
        "",
    ]
    assert table[4][-1] == "pass 1 / fail 0 / not run 1"


def test_plan_steps_number_every_step_teardown_last(tmp_path):
    (tmp_path / "req.yaml").write_text(
        "requirements:\n  - {id: REQ-V, title: Voltage}\n  - {id: REQ-X, title: Unverified}\n",
        encoding="utf-8",
    )
    text = plan_of(
        step(SET_VOLTAGE, requirements=["REQ-V"]),
        step(READ_VOLTAGE, requirements=["REQ-V"]),
        requirements="req.yaml",
        teardown=[step(SET_VOLTAGE, name="off", write=0)],
    )
    plan = parse_plan(text, tmp_path / "plan.yaml")
    steps = plan_steps(plan)
    assert steps == (
        PlanStep(1, "set_v", ("REQ-V",)),
        PlanStep(2, "read_v", ("REQ-V",)),
        PlanStep(3, "off", ()),
    )
    matrix = coverage_matrix(plan.requirements, steps, [unit_run("r1", (1, "pass"), (2, "fail"))])
    assert statuses(matrix) == {"REQ-V": "fail", "REQ-X": "not covered"}
