"""The published SPC examples of tests/data/spc_reference.yaml, and qcc's rounded constants.

Where a source printed its result from constants rounded to 3 decimals, a test reproduces
its digits with that source's constant (:data:`QCC_D2`) and checks our exact constants
against the same figure at a tolerance the rounding explains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PATH = Path(__file__).resolve().parents[2] / "data" / "spc_reference.yaml"
REFERENCE: dict[str, Any] = yaml.safe_load(PATH.read_text(encoding="utf-8"))
#: qcc's d2 table is rounded to 3 decimals (the reference file's constants discrepancies).
QCC_D2 = {2: 1.128, 4: 2.059, 5: 2.326}
#: The file's advice for figures computed with 3-4 digit textbook constants.
TEXTBOOK_REL = 1e-3


def example(section: str, example_id: str) -> dict[str, Any]:
    """One example of a section (``imr_examples``, ``xbar_r_examples``, ...) by its id."""
    (found,) = [item for item in REFERENCE[section] if item["id"] == example_id]
    return dict(found)


def digits(value: float) -> int:
    """How many decimals a published figure shows (``74.0143`` -> 4)."""
    text = repr(float(value))
    return 0 if "e" in text else len(text.split(".")[1].rstrip("0"))


def as_printed(value: float, like: float) -> float:
    """``value`` rounded to the decimals ``like`` was printed with."""
    return round(value, digits(like))
