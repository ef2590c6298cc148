"""What the report export tests share: the JUnit schema and a run with every verdict."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
import xmlschema

from mfg_ctl.report import RunReport, StepLine
from mfg_ctl.report.tables import ColumnType
from mfg_ctl.run.events import UnitIdentity

#: The JUnit XML shape CI servers accept, written for these tests.
JUNIT_XSD = Path(__file__).resolve().parents[2] / "data" / "junit.xsd"

SCHEMA = xmlschema.XMLSchema(JUNIT_XSD)

STARTED = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)

UNIT = UnitIdentity(sn="SN0042", batch_id="B7", station_id="ST1", stage="EVT", operator="ana")


def every_verdict() -> RunReport:
    """A failed run of four steps: one passes, one fails, one errors, one is skipped."""
    steps = (
        StepLine(1, "set_psu", "psu", "voltage_setpoint", "write", "pass", "wrote 1200",
                 duration_s=0.25),
        StepLine(2, "check_dmm", "dmm", "dc_voltage", "read", "fail",
                 "measured 4000, expected 5000 +/- 50 (delta 1000)", measured=4000.0,
                 expected=5000.0, low=4950.0, high=5050.0, attempts=2, duration_s=0.5,
                 requirements=("REQ-1", "REQ-2")),
        StepLine(3, "read_tc", "thermocouple", "temperature", "read", "error",
                 "no reply within 0.2 s", error_code="timeout", duration_s=1.0),
        StepLine(4, "park", "actuator", "position", "write", "skipped",
                 "skipped: an earlier step failed", teardown=True),
    )
    return RunReport(
        run_id="0123456789abcdef", plan_name="bringup", plan_path="plans/bringup.yaml",
        framing="custom", verdict="fail", started_at=STARTED, duration_s=1.75, step_count=4,
        steps=steps, first_failure="2 check_dmm", identity=UNIT, plan_version="1.2",
    )


def properties(element: ET.Element) -> dict[str, str]:
    """The ``<properties>`` of a testsuite or testcase, as a dict."""
    return {p.attrib["name"]: p.attrib["value"] for p in element.iterfind("properties/property")}


def parsed(xml_text: str) -> ET.Element:
    """The ``<testsuites>`` root, after checking the text against the JUnit schema."""
    SCHEMA.validate(xml_text)
    return ET.fromstring(xml_text)


def poppler(tool: str) -> str:
    """The path of a poppler tool; on CI (``make test`` installs poppler-utils) a missing one
    fails the test, elsewhere it skips it."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} (poppler-utils) is not installed: apt-get install poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def poppler_text(pdf: Path) -> str:
    """The text of a PDF file as ``pdftotext -layout`` extracts it."""
    done = subprocess.run(
        [poppler("pdftotext"), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


#: The Parquet (Arrow) type of each declared column type, as doc/controller.rst lists them:
#: written out here, not taken from the code under test.
ARROW_TYPES = {
    ColumnType.STRING: pa.string(),
    ColumnType.INT: pa.int64(),
    ColumnType.FLOAT: pa.float64(),
    ColumnType.BOOL: pa.bool_(),
    ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ColumnType.STRINGS: pa.list_(pa.string()),
}
