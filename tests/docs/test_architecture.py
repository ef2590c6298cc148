"""doc/architecture.rst's two paths name files and functions that exist where it says.

Each numbered item of "One request" and "One plan step" names files
(``simulators/host.py``) and what runs there (``Work.step``, ``feed``): every
file must exist, every module must import, and every name must be defined
(``def``/``class``/assignment) in a file that item or an earlier one names.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "doc" / "architecture.rst"
LITERAL = re.compile(r"``([^`]+)``")
NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$")
#: Words the paths quote that are not code names: examples of data and of the contract's calls.
NOT_NAMES = {"system_*", "run"}


def items(section: str) -> list[str]:
    text = PAGE.read_text()
    body = text.split(f"\n{section}\n", 1)[1].split("\n\n\n", 1)[0]
    body = re.split(r"\n[A-Z][^\n]*\n-{3,}\n", body)[0]
    pieces = re.split(r"\n(?=\d+\. )", body)
    return [" ".join(item.split()) for item in pieces if item[:1].isdigit()]


def files_in(item: str) -> list[Path]:
    found = []
    for literal in LITERAL.findall(item):
        word = literal.split(maxsplit=1)[0]
        if word.endswith((".py", "/")) and "/" in word:
            found.append(ROOT / word)
    return found


def defined(name: str, files: list[Path]) -> bool:
    last = name.rsplit(".", 1)[-1]
    pattern = re.compile(rf"^\s*(def|class) {last}\b|^\s*{last}\s*[:=]", re.MULTILINE)
    sources = [p for f in files for p in ([f] if f.is_file() else sorted(f.rglob("*.py")))]
    return any(pattern.search(source.read_text()) for source in sources)


@pytest.mark.parametrize("section", ["One request", "One plan step"])
def test_every_file_and_name_of_a_path_exists(section: str) -> None:
    steps = items(section)
    assert len(steps) >= 6, f"{section}: {len(steps)} numbered items"
    seen: list[Path] = []
    for item in steps:
        files = files_in(item)
        for path in files:
            assert path.exists(), f"{section}: {path.relative_to(ROOT)} does not exist"
        seen.extend(files)
        for literal in LITERAL.findall(item):
            word = literal.split("(")[0]
            if word.startswith(("simulators.", "mfg_ctl.")):
                importlib.import_module(word.rsplit(".", 1)[0] if word[0].islower() else word)
            elif NAME.match(word) and word not in NOT_NAMES and not word.endswith(".py"):
                assert defined(word, seen or files), f"{section}: {word!r} is not in {item[:60]}"


def test_the_page_is_in_the_table_of_contents() -> None:
    assert "\n   architecture\n" in (ROOT / "doc" / "index.rst").read_text()
