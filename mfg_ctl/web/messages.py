"""Every text the web UI shows, from one catalogue per language (``catalogue/<lang>/*.yaml``).

A language is a folder; each feature keeps its texts in a file of its own
(``core.yaml``, ``history.yaml``...), merged into one catalogue where a key
may appear only once. Templates call ``t("key", name=value)``; an entry is a
:meth:`str.format` template. English is complete by definition; another
language must have exactly the same keys with the same ``{placeholders}``
(a test checks), so a line in another country translates the UI by adding
one folder.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from mfg_ctl.safe_yaml import read_yaml

__all__ = ["DEFAULT_LANGUAGE", "Catalogue", "catalogue", "languages", "placeholders"]

DEFAULT_LANGUAGE = "en"


@cache
def languages() -> tuple[str, ...]:
    """The languages shipped, English first."""
    found = sorted(
        entry.name
        for entry in resources.files("mfg_ctl.web").joinpath("catalogue").iterdir()
        if entry.is_dir() and not entry.name.startswith("_")
    )
    return (DEFAULT_LANGUAGE, *[name for name in found if name != DEFAULT_LANGUAGE])


def placeholders(text: str) -> frozenset[str]:
    """The ``{names}`` a catalogue entry fills in."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name)


@dataclass(frozen=True)
class Catalogue:
    """One language's messages by key."""

    language: str
    messages: dict[str, str]

    def __call__(self, key: str, **values: Any) -> str:
        """The message ``key`` with ``values`` filled in; an unknown key raises KeyError."""
        text = self.messages[key]
        return text.format(**values) if values else text


@cache
def catalogue(language: str) -> Catalogue:
    """The catalogue of a shipped ``language`` (ValueError for any other)."""
    if language not in languages():
        raise ValueError(f"no messages for language {language!r}: shipped {languages()}")
    merged: dict[str, str] = {}
    folder = resources.files("mfg_ctl.web").joinpath("catalogue", language)
    for entry in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if not entry.name.endswith(".yaml"):
            continue
        source = f"catalogue/{language}/{entry.name}"
        loaded = read_yaml(entry.read_text("utf-8"), source, ValueError)
        if not isinstance(loaded, dict):
            raise ValueError(f"{source} is not a mapping")
        for key, value in loaded.items():
            if str(key) in merged:
                raise ValueError(f"{source}: {key} is already in another file of {language}")
            merged[str(key)] = str(value)
    return Catalogue(language, merged)
