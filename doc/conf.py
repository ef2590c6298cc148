"""Sphinx configuration for the simulators documentation."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

project = "simulators"
author = "The simulators developers"
copyright = "2026, The simulators developers"  # noqa: A001 - Sphinx's name

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "sphinx_rtd_theme",
]
html_theme = "sphinx_rtd_theme"
exclude_patterns = ["_build"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
nitpicky = False
# Docstring examples pulled in by autodoc run too, in one namespace per page.
doctest_global_setup = """
from simulators import plugins
from simulators.client import Client
from simulators.commands import *
from simulators.common import *
from simulators.launcher import Simulator
from simulators.utils import *
from mfg_ctl.tempco import *
from mfg_ctl.drivers import *
from datetime import UTC, datetime, timedelta, timezone
"""
