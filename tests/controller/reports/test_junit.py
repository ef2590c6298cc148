"""The JUnit XML renderer: schema-valid, every verdict mapped, escaped and deterministic."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import xmlschema

from mfg_ctl.report.junit import render_junit
from tests.controller.reports.support import SCHEMA, STARTED, every_verdict, parsed, properties


def test_one_testsuite_per_run_with_the_units_identity() -> None:
    root = parsed(render_junit(every_verdict()))
    (suite,) = root.findall("testsuite")
    assert suite.attrib["name"] == "bringup"
    assert suite.attrib["timestamp"] == "2026-03-04T05:06:07+00:00"
    assert properties(suite) == {
        "sn": "SN0042",
        "batch_id": "B7",
        "station_id": "ST1",
        "stage": "EVT",
        "operator": "ana",
        "plan_version": "1.2",
        "run_id": "0123456789abcdef",
        "plan_path": "plans/bringup.yaml",
        "verdict": "fail",
    }


def test_totals_on_the_suite_and_the_root() -> None:
    root = parsed(render_junit(every_verdict()))
    expected = {"tests": "4", "failures": "1", "errors": "1", "skipped": "1"}
    suite = root.find("testsuite")
    assert suite is not None
    for element in (root, suite):
        assert {key: element.attrib[key] for key in expected} == expected
        assert float(element.attrib["time"]) == pytest.approx(1.75)


def test_one_testcase_per_step_named_by_number_and_step() -> None:
    cases = parsed(render_junit(every_verdict())).findall("testsuite/testcase")
    names = [case.attrib["name"] for case in cases]
    assert names == ["01 set_psu", "02 check_dmm", "03 read_tc", "04 park"]
    assert {case.attrib["classname"] for case in cases} == {"bringup"}
    assert [float(case.attrib["time"]) for case in cases] == [0.25, 0.5, 1.0, 0.0]


def test_each_verdict_has_its_junit_outcome() -> None:
    passed, failed, errored, skipped = parsed(render_junit(every_verdict())).iter("testcase")
    assert [child.tag for child in passed] == ["properties", "system-out"]
    failure = failed.find("failure")
    assert failure is not None
    assert failure.attrib["message"] == "measured 4000, expected 5000 +/- 50 (delta 1000)"
    error = errored.find("error")
    assert error is not None
    assert (error.attrib["message"], error.attrib["type"]) == ("no reply within 0.2 s", "timeout")
    assert skipped.find("skipped") is not None
    assert failed.find("error") is None
    assert errored.find("failure") is None


def test_measured_value_limits_and_attempts_are_properties() -> None:
    cases = parsed(render_junit(every_verdict())).findall("testsuite/testcase")
    check = properties(cases[1])
    assert (check["measured"], check["expected"]) == ("4000", "5000")
    assert (check["low"], check["high"]) == ("4950", "5050")
    assert (check["attempts"], check["requirements"]) == ("2", "REQ-1 REQ-2")
    assert (check["device"], check["register"]) == ("dmm", "dc_voltage")
    assert "measured" not in properties(cases[0])
    assert properties(cases[3])["teardown"] == "true"


def test_markup_in_names_and_details_is_escaped() -> None:
    report = every_verdict()
    hostile = 'got <b>&"x"</b> \u00b5V'
    step = dataclasses.replace(report.steps[1], name="check<&>", detail=hostile)
    report = dataclasses.replace(report, plan_name='plan "<x>"', steps=(step,))
    root = parsed(render_junit(report))
    case = root.find("testsuite/testcase")
    assert case is not None
    assert case.attrib["name"] == "02 check<&>"
    assert case.attrib["classname"] == 'plan "<x>"'
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib["message"] == hostile
    assert case.findtext("system-out") == hostile


def test_the_same_run_always_renders_the_same_text() -> None:
    first = render_junit(every_verdict())
    assert render_junit(every_verdict()) == first
    later = dataclasses.replace(every_verdict(), started_at=STARTED.replace(hour=9))
    assert render_junit(later) != first


def test_an_aborted_run_says_so_in_system_err() -> None:
    report = dataclasses.replace(every_verdict(), verdict="aborted", step_count=9)
    suite = parsed(render_junit(report)).find("testsuite")
    assert suite is not None
    assert suite.findtext("system-err") == "run aborted: 4 of 9 step(s) reported"
    assert properties(suite)["verdict"] == "aborted"


def test_a_run_without_a_unit_names_no_empty_properties() -> None:
    report = dataclasses.replace(every_verdict(), identity=dataclasses.replace(
        every_verdict().identity, sn="", batch_id="", station_id="", stage="", operator=""))
    suite = parsed(render_junit(report)).find("testsuite")
    assert suite is not None
    assert not {"sn", "batch_id", "station_id", "stage", "operator"} & set(properties(suite))
    assert "hostname" not in suite.attrib


def test_several_runs_sum_into_the_root() -> None:
    root = parsed(render_junit(every_verdict(), every_verdict()))
    assert len(root.findall("testsuite")) == 2
    assert (root.attrib["tests"], root.attrib["failures"]) == ("8", "2")


def test_the_schema_is_not_vacuous() -> None:
    """The XSD rejects what CI servers reject, so a valid file above means something."""
    broken = render_junit(every_verdict()).replace('classname="bringup" ', "", 1)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate(broken)
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        SCHEMA.validate(render_junit(every_verdict()).replace('tests="4"', 'tests="four"', 1))


def test_a_real_junit_consumer_reads_it(tmp_path: Path) -> None:
    junitparser = pytest.importorskip("junitparser")
    path = tmp_path / "run.xml"
    path.write_text(render_junit(every_verdict()))
    (suite,) = junitparser.JUnitXml.fromfile(str(path))
    assert (suite.name, suite.tests, suite.failures, suite.errors) == ("bringup", 4, 1, 1)
    outcomes = [[type(result).__name__ for result in case.result] for case in suite]
    assert outcomes == [[], ["Failure"], ["Error"], ["Skipped"]]
