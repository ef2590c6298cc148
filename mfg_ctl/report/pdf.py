"""A :class:`~mfg_ctl.report.document.ReportDocument` as PDF: WeasyPrint over the HTML page.

The page of :func:`~mfg_ctl.report.html.render_html` plus a print stylesheet
(``templates/print.css``): A4, a running header (logo, company, plan, batch,
station, date), ``page N of M`` below, a table of contents with page numbers
for long reports, tables that repeat their headings across pages, figures kept
whole. The bytes depend on the document only: its creation date is the
document's own date and the file carries no random identifier, so the same
run gives the same PDF. Nothing is fetched: only ``data:`` URIs are read.

WeasyPrint (the ``reports`` extra) and the Pango library it loads are
optional; without them :func:`render_pdf` raises a one-line
:class:`~mfg_ctl.report.document.ReportError` saying what to install.
"""

from __future__ import annotations

from typing import Any

from mfg_ctl.report.branding import Branding
from mfg_ctl.report.document import ReportDocument, ReportError
from mfg_ctl.report.html import render_html, template_text

__all__ = ["INSTALL_PANGO", "INSTALL_WEASYPRINT", "render_pdf"]

#: What to install when WeasyPrint or Pango is missing (the one-line ReportError says it).
INSTALL_WEASYPRINT = "PDF reports need WeasyPrint: pip install 'simulators[reports]'"
INSTALL_PANGO = (
    "PDF reports need the Pango library: apt-get install libpango-1.0-0 libpangoft2-1.0-0"
)


def _weasyprint() -> Any:
    """The weasyprint module, or ReportError naming what to install."""
    try:
        import weasyprint  # type: ignore[import-untyped]  # noqa: PLC0415 - optional, heavy
    except ImportError:
        raise ReportError(INSTALL_WEASYPRINT) from None
    except OSError:  # cffi could not load Pango (or one of its libraries)
        raise ReportError(INSTALL_PANGO) from None
    return weasyprint


def render_pdf(document: ReportDocument, branding: Branding | None = None) -> bytes:
    """The PDF of ``document``, branded with ``branding`` (default: none)."""
    weasyprint = _weasyprint()
    page = render_html(document, branding)
    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    html = weasyprint.HTML(string=page, base_url="", url_fetcher=fetcher)
    stylesheet = weasyprint.CSS(string=template_text("print.css"), url_fetcher=fetcher)
    pdf: bytes = html.write_pdf(stylesheets=[stylesheet], pdf_identifier=False)
    return pdf
