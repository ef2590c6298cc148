"""Station reports: the console text of doc/reference_station.rst, JSON and Markdown exports."""

from mfg_ctl.report.model import RunReport, StepLine
from mfg_ctl.report.render import render_json, render_markdown, render_text

__all__ = ["RunReport", "StepLine", "render_json", "render_markdown", "render_text"]
