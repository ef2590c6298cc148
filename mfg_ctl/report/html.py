"""A :class:`~mfg_ctl.report.document.ReportDocument` as one self-contained HTML page.

One Jinja2 template (``templates/report.html.j2``, shipped in the package)
serves every kind of report. Every value is autoescaped (a step named
``<script>`` shows as text); CSS classes come from the model's fixed statuses;
the style is inline and every image (figures, the logo) is a ``data:`` URI.
There is no script and no link to anything outside the page: it opens the
same from a USB stick, an e-mail or an archive in ten years. Jinja2 is
imported when a page is rendered, so starting ``mfg-ctl`` never pays for it.
"""

from __future__ import annotations

import base64
import functools
from importlib import resources
from typing import TYPE_CHECKING

from mfg_ctl.report.branding import Branding
from mfg_ctl.report.document import Cell, Figure, ReportDocument, Table

if TYPE_CHECKING:
    import jinja2

__all__ = ["data_uri", "render_html", "template_text"]

#: Documents with more sections than this get a table of contents.
TOC_FROM_SECTIONS = 4


def template_text(name: str) -> str:
    """The text of one of the package's template files (``report.css``, ``print.css``, ...)."""
    return resources.files("mfg_ctl.report").joinpath("templates", name).read_text("utf-8")


def data_uri(data: bytes, mime: str) -> str:
    """``data:MIME;base64,...``: an image carried inside the page."""
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _figure_uri(figure: Figure) -> str:
    return data_uri(figure.data, figure.mime)


def _kind(block: object) -> str:
    return type(block).__name__


def _cell_class(table: Table, cell: Cell, column: int) -> str:
    """``num fail``: how a cell aligns (numeric column) and its colour."""
    classes = ["num"] if column in table.numeric else []
    if cell.status:
        classes.append(cell.status)
    return " ".join(classes)


@functools.cache
def _template() -> jinja2.Template:
    import jinja2  # noqa: PLC0415 - only a report needs it: the CLI starts faster

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("mfg_ctl.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["kind"] = _kind
    environment.filters["data_uri"] = _figure_uri
    environment.globals["cell_class"] = _cell_class
    return environment.get_template("report.html.j2")


def render_html(document: ReportDocument, branding: Branding | None = None) -> str:
    """The page of ``document``, branded with ``branding`` (default: none)."""
    from markupsafe import Markup  # noqa: PLC0415 - comes with Jinja2, imported with it

    brand = branding if branding is not None else Branding()
    logo = None
    if brand.logo is not None and brand.logo_mime is not None:
        logo = data_uri(brand.logo, brand.logo_mime)
    return _template().render(
        doc=document,
        branding=brand,
        logo_uri=logo,
        toc=len(document.sections) > TOC_FROM_SECTIONS,
        css=Markup(template_text("report.css")),  # noqa: S704 - the package's own file
    )
