"""Validation and mapping helpers shared by the parameter dataclasses.

Parameters arrive as plain nested mappings (typically loaded from YAML by a
caller); these helpers turn one section into keyword arguments and reject what
is not physical, with a message that names the offending key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from typing import TypeVar

T = TypeVar("T")

ABSOLUTE_ZERO_C = -273.15


def require_finite(name: str, value: float) -> float:
    """Return ``value`` if it is a finite number, else raise ValueError."""
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return value


def require_positive(name: str, value: float) -> float:
    """Return ``value`` if it is finite and > 0, else raise ValueError."""
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


def require_non_negative(name: str, value: float) -> float:
    """Return ``value`` if it is finite and >= 0, else raise ValueError."""
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


def require_temperature_c(name: str, value: float) -> float:
    """Return ``value`` if it is a finite temperature above absolute zero (degC)."""
    if not (math.isfinite(value) and value > ABSOLUTE_ZERO_C):
        raise ValueError(f"{name} must be a finite temperature above -273.15 C, got {value!r}")
    return value


def join(path: str, key: str) -> str:
    """Dotted name of ``key`` inside the section at ``path``."""
    return f"{path}.{key}" if path else key


def as_section(path: str, value: object) -> Mapping[str, object]:
    """Return ``value`` as a mapping with string keys, else raise ValueError."""
    if not isinstance(value, Mapping):
        raise ValueError(f"{path or 'parameters'} must be a mapping, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise ValueError(f"{path or 'parameters'} has a non-string key {key!r}")
    return value


def as_number(path: str, value: object) -> float:
    """Return ``value`` as a float if it is a real number (not a bool), else raise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{path} must be a number, got {value!r}")
    return float(value)


def check_keys(path: str, section: Mapping[str, object], known: Collection[str]) -> None:
    """Raise ValueError naming the first key of ``section`` not in ``known``."""
    for key in section:
        if key not in known:
            raise ValueError(
                f"unknown parameter {join(path, key)!r}; expected one of: {', '.join(known)}"
            )


def build(factory: Callable[..., T], path: str, kwargs: Mapping[str, object]) -> T:
    """Call ``factory(**kwargs)``, prefixing any validation error with ``path``."""
    try:
        return factory(**kwargs)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}" if path else str(exc)) from exc


def numbers_from_mapping(
    factory: Callable[..., T], data: object, path: str, keys: Mapping[str, str]
) -> T:
    """Build ``factory`` from a flat section of numbers; ``keys`` maps mapping key -> field."""
    section = as_section(path, data)
    check_keys(path, section, keys)
    return build(factory, path, take_numbers(section, path, keys))


def take_numbers(
    section: Mapping[str, object], path: str, keys: Mapping[str, str]
) -> dict[str, float]:
    """Keyword arguments for the keys of ``keys`` present in ``section``, as floats."""
    return {
        field: as_number(join(path, key), section[key])
        for key, field in keys.items()
        if key in section
    }
