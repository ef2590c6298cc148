"""How error lines speak of what a user gave: types in words, values clipped, unsafe text named.

Every echo of a user's value goes through :func:`clip`, so a 254 MB value (a
YAML alias bomb, a pasted file) never becomes a 254 MB "one-line" error.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CUSTOM_PREFIX",
    "ECHO_LIMIT",
    "clip",
    "clip_text",
    "control_character",
    "describe_type",
]


def describe_type(value: Any) -> str:
    """What a YAML value is, in words, for error messages."""
    words = {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}
    if value is None:
        return "nothing"
    return words.get(type(value), "a number" if isinstance(value, int | float) else "a value")


#: The most characters of a user's value an error line echoes.
ECHO_LIMIT = 60


def clip_text(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters (marked with ``...``): errors never echo floods."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clip(value: Any, limit: int = ECHO_LIMIT) -> str:
    """The ``repr`` of a user's value for an error line, at most ``limit`` characters.

    Containers are not rendered whole first: a YAML alias bomb must not cost
    time or memory to describe.
    """
    if isinstance(value, dict | list | tuple | set):
        return (
            f"{describe_type(value)} of {len(value)}"
            if len(value) > 4
            else clip_text(_short_repr(value, limit), limit)
        )
    if isinstance(value, str | bytes) and len(value) > limit:
        return clip_text(repr(value[: limit + 1]), limit)
    return clip_text(repr(value), limit)


def _short_repr(value: Any, limit: int) -> str:
    """repr of a small container whose items are clipped, never more than ~limit per item."""
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{clip(k, limit)}: {clip(v, limit)}" for k, v in value.items()) + "}"
        )
    items = ", ".join(clip(item, limit) for item in value)
    return f"[{items}]" if isinstance(value, list) else f"({items})"


#: What opens a simulator's custom command ($system_NAME:ARGS%) on any connection.
CUSTOM_PREFIX = "$system_"


def control_character(text: str) -> str | None:
    """The first control character in ``text`` (as its repr), or None."""
    found = next((c for c in text if ord(c) < 32 or ord(c) == 127), None)
    return None if found is None else repr(found)
