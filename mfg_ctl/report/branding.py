"""Branding of the HTML and PDF reports: company name, logo and chart resolution, from settings.

The settings file is ``$MFG_CTL_SETTINGS`` if set, else
``$XDG_CONFIG_HOME/mfg-ctl/settings.yaml`` (``~/.config/mfg-ctl/settings.yaml``);
no file means the defaults. Its ``reports`` part::

    reports:
      company: ACME Power
      logo: logo.png        # relative to the settings file; PNG, JPEG or SVG, at most 2 MB
      chart_dpi: 150        # 50..600

A bad file raises :class:`~mfg_ctl.report.document.ReportError` with one
line naming the file and the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mfg_ctl.report.document import ReportError
from mfg_ctl.safe_yaml import read_text_file, read_yaml
from mfg_ctl.wording import clip

__all__ = ["MAX_LOGO_BYTES", "Branding", "load_branding", "settings_path"]

#: The largest logo file accepted (it is embedded in every report).
MAX_LOGO_BYTES = 2 * 1024 * 1024
#: Where the settings file is named, and where it is by default below the config home.
SETTINGS_VARIABLE = "MFG_CTL_SETTINGS"
_DEFAULT_RELATIVE = Path("mfg-ctl") / "settings.yaml"

LogoMime = Literal["image/png", "image/jpeg", "image/svg+xml"]


@dataclass(frozen=True)
class Branding:
    """What a report shows of the company; the defaults show none."""

    company: str = ""
    logo: bytes | None = field(default=None, repr=False)
    logo_mime: LogoMime | None = None
    chart_dpi: int = 110


class _Reports(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    company: str = Field(default="", max_length=200)
    logo: str | None = None
    chart_dpi: int = Field(default=110, ge=50, le=600, strict=True)


class _Settings(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)  # other tools' parts are theirs

    reports: _Reports = _Reports()


def settings_path(environ: Mapping[str, str] | None = None) -> Path:
    """The settings file that applies (it may not exist)."""
    env = os.environ if environ is None else environ
    if chosen := env.get(SETTINGS_VARIABLE, "").strip():
        return Path(chosen)
    config_home = env.get("XDG_CONFIG_HOME", "").strip()
    base = Path(config_home) if config_home else Path.home() / ".config"
    return base / _DEFAULT_RELATIVE


def load_branding(path: Path | None = None) -> Branding:
    """The branding of ``path`` (default: :func:`settings_path`); defaults if there is no file."""
    source = settings_path() if path is None else path
    if not source.exists():
        return Branding()
    data = read_yaml(read_text_file(source, "settings file", ReportError), str(source), ReportError)
    if data is None:
        return Branding()
    if not isinstance(data, dict):
        raise ReportError(f"{source}: settings are a mapping (reports: {{company: ...}})")
    try:
        reports = _Settings.model_validate(data).reports
    except ValidationError as error:
        raise ReportError(f"{source}: {_error_line(error)}") from None
    logo, mime = (None, None) if reports.logo is None else _read_logo(source, reports.logo)
    return Branding(reports.company, logo, mime, reports.chart_dpi)


def _error_line(error: ValidationError) -> str:
    detail = error.errors()[0]
    where = ".".join(str(part) for part in detail["loc"])
    if detail["type"] == "extra_forbidden":
        known = ", ".join(_Reports.model_fields)
        return f"{where}: unknown key; reports takes {known}"
    given: Any = detail.get("input")
    if where.endswith("chart_dpi"):
        return f"{where}: {clip(given)} is not allowed; give a whole number from 50 to 600"
    if where == "reports":
        return "reports: give a mapping (reports: {company: ..., logo: ..., chart_dpi: ...})"
    return f"{where}: {clip(given)} is not allowed: {detail['msg']}"


def _read_logo(settings: Path, name: str) -> tuple[bytes, LogoMime]:
    logo = Path(name).expanduser()
    if not logo.is_absolute():
        logo = settings.parent / logo
    fix = "give reports.logo a PNG, JPEG or SVG file (at most 2 MB), relative to the settings file"
    try:
        size = logo.stat().st_size
        if size > MAX_LOGO_BYTES:
            raise ReportError(f"{settings}: logo {logo} is {size} bytes; {fix}")
        data = logo.read_bytes()
    except OSError as failure:
        raise ReportError(f"{settings}: logo {logo}: {failure.strerror}; {fix}") from None
    mime = _image_mime(data)
    if mime is None:
        raise ReportError(f"{settings}: logo {logo} is not an image; {fix}")
    return data, mime


def _image_mime(data: bytes) -> LogoMime | None:
    """The image type of ``data`` by its first bytes (None: not PNG, JPEG or SVG)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<svg", b"<?xml")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml"
    return None
