"""A :class:`~mfg_ctl.report.document.ReportDocument` as Markdown (GitHub-flavoured tables).

What a batch's ``--md-out`` writes: the header, then each section's blocks as
text, lists and tables. Figures are named, not embedded (Markdown cannot hold
an image); the HTML and PDF reports have them. Every text from data is escaped,
so a step named ``|`` or ``<script>`` cannot break a table or inject markup.

>>> from mfg_ctl.report.document import Paragraph, ReportDocument, Section
>>> document = ReportDocument("batch", "Batch B1", "PASS", (("Plan", "demo"),),
...     (Section("about", "About", (Paragraph("all *good*"),)),), generator="mfg-ctl")
>>> print(render_document_markdown(document))
# Batch B1: PASS
<BLANKLINE>
- **Plan**: demo
<BLANKLINE>
## About
<BLANKLINE>
all \\*good\\*
<BLANKLINE>
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mfg_ctl.report.document import (
    Block,
    BulletList,
    KeyValues,
    KpiTiles,
    Paragraph,
    ReportDocument,
    Subheading,
    Table,
)

__all__ = ["render_document_markdown"]

#: Markdown's special characters, backslash-escaped wherever data is written.
_SPECIAL = re.compile(r"([\\`*_\[\]#|<>&])")


def _text(value: str) -> str:
    """``value`` escaped, on one line (a table cell or list item cannot hold a newline)."""
    return _SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(_text(header) for header in table.headers) + " |"]
    lines.append(
        "|"
        + "|".join("---:" if i in table.numeric else "---" for i in range(len(table.headers)))
        + "|"
    )
    lines += [
        "| " + " | ".join(_text(cell.text) for cell in row.cells) + " |" for row in table.rows
    ]
    if table.caption:
        lines += ["", _text(table.caption)]
    return lines


def _pairs(pairs: Sequence[tuple[str, str]]) -> list[str]:
    return [f"- **{_text(label)}**: {_text(value)}" for label, value in pairs]


def _block(block: Block) -> list[str]:
    """The lines of one block (without the blank line after it)."""
    if isinstance(block, Paragraph):
        return [f"*{_text(block.text)}*" if block.note else _text(block.text)]
    if isinstance(block, Subheading):
        return [f"### {_text(block.text)}"]
    if isinstance(block, KeyValues | KpiTiles):
        pairs = (
            block.pairs
            if isinstance(block, KeyValues)
            else [(t.label, t.value) for t in block.tiles]
        )
        return _pairs(pairs)
    if isinstance(block, BulletList):
        return [f"- {_text(item)}" for item in block.items]
    if isinstance(block, Table):
        return _table(block)
    return [f"*Figure: {_text(block.title)}* ({_text(block.alt)}; in the HTML and PDF reports)"]


def render_document_markdown(document: ReportDocument) -> str:
    """The whole document as Markdown, ending with one newline."""
    title = _text(document.title)
    lines = [f"# {title}: {_text(document.verdict)}" if document.verdict else f"# {title}", ""]
    lines += _pairs(document.header)
    lines.append("")
    for section in document.sections:
        lines += [f"## {_text(section.title)}", ""]
        for block in section.blocks:
            lines += [*_block(block), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
