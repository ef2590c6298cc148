"""Branding from the settings file: where it is, what it takes, one line when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfg_ctl.report.branding import MAX_LOGO_BYTES, Branding, load_branding, settings_path
from mfg_ctl.report.document import ReportError

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 24
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 24
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>\n'


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Path:
    """The settings file named by $MFG_CTL_SETTINGS (not written yet)."""
    path: Path = tmp_path / "conf" / "settings.yaml"
    path.parent.mkdir()
    monkeypatch.setenv("MFG_CTL_SETTINGS", str(path))
    return path


def refused(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReportError) as raised:
        load_branding()
    message = str(raised.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_the_settings_file_is_named_by_the_environment_else_the_config_home(tmp_path):
    assert settings_path({"MFG_CTL_SETTINGS": "/etc/mfg.yaml"}) == Path("/etc/mfg.yaml")
    assert settings_path({"XDG_CONFIG_HOME": str(tmp_path)}) == (
        tmp_path / "mfg-ctl" / "settings.yaml"
    )
    assert settings_path({"HOME": str(tmp_path)}).parts[-3:] == (
        ".config",
        "mfg-ctl",
        "settings.yaml",
    )


def test_no_settings_file_means_the_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("MFG_CTL_SETTINGS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert load_branding() == Branding()
    assert Branding().chart_dpi == 110


def test_company_logo_and_dpi_are_read(settings):
    (settings.parent / "logo.png").write_bytes(PNG)
    settings.write_text(
        "reports:\n  company: ACME Power\n  logo: logo.png\n  chart_dpi: 300\n", encoding="utf-8"
    )
    branding = load_branding()
    assert branding == Branding("ACME Power", PNG, "image/png", 300)


def test_the_default_file_under_xdg_config_home_is_read(tmp_path, monkeypatch):
    monkeypatch.delenv("MFG_CTL_SETTINGS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = tmp_path / "mfg-ctl" / "settings.yaml"
    path.parent.mkdir()
    path.write_text("reports: {company: Bench 3}\n", encoding="utf-8")
    assert load_branding().company == "Bench 3"


@pytest.mark.parametrize(("data", "mime"), [(JPEG, "image/jpeg"), (SVG, "image/svg+xml")])
def test_jpeg_and_svg_logos_are_recognised(settings, data, mime):
    logo = settings.parent / "brand" / "logo.img"
    logo.parent.mkdir()
    logo.write_bytes(data)
    settings.write_text("reports:\n  logo: brand/logo.img\n", encoding="utf-8")
    branding = load_branding()
    assert (branding.logo, branding.logo_mime) == (data, mime)


def test_other_parts_of_the_settings_are_left_to_their_tools(settings):
    settings.write_text("store: {url: x}\nreports: {company: A}\n", encoding="utf-8")
    assert load_branding().company == "A"
    settings.write_text("", encoding="utf-8")
    assert load_branding() == Branding()


def test_an_unknown_key_names_the_known_ones(settings):
    message = refused(settings, "reports:\n  compagny: ACME\n")
    assert "reports.compagny: unknown key; reports takes company, logo, chart_dpi" in message


@pytest.mark.parametrize("dpi", ["10", "601", "high", "true", "150.5"])
def test_chart_dpi_outside_50_to_600_is_refused(settings, dpi):
    message = refused(settings, f"reports:\n  chart_dpi: {dpi}\n")
    assert "give a whole number from 50 to 600" in message


def test_a_missing_logo_says_how_to_fix_it(settings):
    message = refused(settings, "reports:\n  logo: nowhere.png\n")
    assert "nowhere.png" in message
    assert "give reports.logo a PNG, JPEG or SVG file" in message


def test_a_logo_that_is_not_an_image_is_refused(settings):
    (settings.parent / "logo.png").write_text("not a picture", encoding="utf-8")
    message = refused(settings, "reports:\n  logo: logo.png\n")
    assert "is not an image" in message


def test_a_logo_over_2_mb_is_refused(settings):
    (settings.parent / "big.png").write_bytes(PNG + b"\0" * MAX_LOGO_BYTES)
    message = refused(settings, "reports:\n  logo: big.png\n")
    assert "at most 2 MB" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reports: [1, 2]\n", "reports: give a mapping"),
        ("- reports\n", "settings are a mapping"),
        ("reports: {company: [1]}\n", "reports.company"),
        ("reports:\n  company: a\n  company: b\n", "appears twice"),
        ("reports: {company: 'x\n", "not valid YAML"),
    ],
)
def test_a_bad_file_is_one_line_naming_it(settings, text, expected):
    assert expected in refused(settings, text)


def test_an_unreadable_settings_file_is_one_line(settings):
    settings.mkdir()
    with pytest.raises(ReportError) as raised:
        load_branding()
    assert str(settings) in str(raised.value)
