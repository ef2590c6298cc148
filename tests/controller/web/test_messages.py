"""The message catalogue: every language complete, every key a template uses present, German.

This is the catalogue test of the whole UI: it reads every file of every
shipped language, so the feature files each part of the UI adds are held to
the same rules (same keys per file as English, same ``{placeholders}``).
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from mfg_ctl.safe_yaml import read_yaml
from mfg_ctl.web import messages as messages_module
from mfg_ctl.web.messages import DEFAULT_LANGUAGE, catalogue, languages, placeholders
from tests.controller.web.support import ROOT, make_app

WEB = ROOT / "mfg_ctl" / "web"
CATALOGUE = WEB / "catalogue"
#: A ``t("key"`` or ``t('key'`` call in a template (not ``.get(`` or ``format(``).
T_CALL = re.compile(r"""(?<![\w.])t\(\s*(["'])([^"']+)\1""")


def keys_by_file(language: str) -> dict[str, set[str]]:
    """The keys of each catalogue file of ``language``, read straight from the files."""
    found = {}
    for path in sorted((CATALOGUE / language).glob("*.yaml")):
        loaded = read_yaml(path.read_text("utf-8"), str(path), ValueError)
        assert isinstance(loaded, dict), f"{path} is not a mapping"
        found[path.name] = {str(key) for key in loaded}
    return found


def test_more_than_english_is_shipped() -> None:
    assert languages()[0] == DEFAULT_LANGUAGE
    assert "de" in languages()


@pytest.mark.parametrize("language", [name for name in languages() if name != DEFAULT_LANGUAGE])
def test_every_language_has_exactly_the_english_keys_and_placeholders(language: str) -> None:
    english, other = catalogue(DEFAULT_LANGUAGE), catalogue(language)
    assert sorted(set(english.messages) - set(other.messages)) == [], "missing in " + language
    assert sorted(set(other.messages) - set(english.messages)) == [], "only in " + language
    differing = [
        key
        for key, text in english.messages.items()
        if placeholders(text) != placeholders(other.messages[key])
    ]
    assert differing == []
    assert keys_by_file(language) == keys_by_file(DEFAULT_LANGUAGE)  # file by file


@pytest.mark.parametrize("language", languages())
def test_every_entry_formats_with_its_placeholders(language: str) -> None:
    for key, text in catalogue(language).messages.items():
        values = dict.fromkeys(placeholders(text), "x")
        assert isinstance(catalogue(language)(key, **values), str), key


def test_every_key_a_template_uses_is_in_the_catalogue() -> None:
    known = set(catalogue(DEFAULT_LANGUAGE).messages)
    used: dict[str, str] = {}
    for template in sorted((WEB / "templates").rglob("*.html")):
        for match in T_CALL.finditer(template.read_text("utf-8")):
            key = match.group(2)
            if key.endswith((".", "_")):  # "verdict." ~ name: a prefix some keys must have
                assert any(k.startswith(key) for k in known), (key, template.name)
            else:
                used.setdefault(key, template.name)
    assert "plans.title" in used  # the scan finds calls
    assert {key: where for key, where in used.items() if key not in known} == {}


def test_the_scan_sees_both_quotes_and_ignores_other_calls() -> None:
    text = """{{ t("a.b") }} {{ t('c.d', n=1) }} {{ view.get("e") }} {{ format("f") }}"""
    assert [m.group(2) for m in T_CALL.finditer(text)] == ["a.b", "c.d"]


def test_a_key_in_two_files_of_a_language_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "catalogue" / "en").mkdir(parents=True)
    (tmp_path / "catalogue" / "en" / "a_core.yaml").write_text("nav.plans: Plans\n")
    (tmp_path / "catalogue" / "en" / "b_history.yaml").write_text("nav.plans: Runs\n")
    monkeypatch.setattr(messages_module, "resources", SimpleNamespace(files=lambda _: tmp_path))
    with pytest.raises(ValueError, match=r"catalogue/en/b_history\.yaml: nav\.plans"):
        catalogue.__wrapped__("en")


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no messages for language 'xx'"):
        catalogue("xx")


def test_a_german_page_is_german(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    german = catalogue("de")
    asked = client.get("/?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in asked
    assert f"<h1>{german('plans.title')}</h1>" in asked
    assert german("plans.title") != catalogue("en")("plans.title")
    remembered = client.get("/").get_data(as_text=True)  # the session keeps the choice
    assert f"<h1>{german('plans.title')}</h1>" in remembered


def test_the_browsers_language_is_honoured(tmp_path: Path) -> None:
    client = make_app(tmp_path).test_client()
    page = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert '<html lang="de">' in page.get_data(as_text=True)
    missing = client.get("/no/such/page", headers={"Accept-Language": "de"})
    assert catalogue("de")("error.not_found") in missing.get_data(as_text=True)
    english = make_app(tmp_path).test_client().get("/", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in english.get_data(as_text=True)


def test_the_server_language_wins_over_the_browsers(tmp_path: Path) -> None:
    client = make_app(tmp_path, language="de").test_client()
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="de">' in page
