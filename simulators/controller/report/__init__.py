"""Station reports: the console text of doc/reference_station.rst, JSON and Markdown exports."""

from simulators.controller.report.model import RunReport, StepLine
from simulators.controller.report.render import render_json, render_markdown, render_text

__all__ = ["RunReport", "StepLine", "render_json", "render_markdown", "render_text"]
