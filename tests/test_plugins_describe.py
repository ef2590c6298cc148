"""What ``discos-simulator list`` shows of a plugin: plain-text descriptions and its types."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import ClassVar
from unittest.mock import Mock

import pytest

from simulators import plugins
from simulators.common import BaseSystem, MultiTypeSystem


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("``-t custom`` (the default)", "-t custom (the default)"),
        ("a :class:`MultiTypeSystem` subclass", "a MultiTypeSystem subclass"),
        ("see :class:`~simulators.common.Reply`", "see Reply"),
        ("see :meth:`simulators.client.Client.custom`", "see simulators.client.Client.custom"),
        ("in :doc:`the station reference <reference_station>`", "in the station reference"),
        (":py:func:`approach` never overshoots", "approach never overshoots"),
        ("a `link <https://example.invalid>`_ and `another`__", "a link and another"),
        ("``$system_fault:drift,dc_voltage,1%``", "$system_fault:drift,dc_voltage,1%"),
        ("plain text: 5 V, 3.3 A", "plain text: 5 V, 3.3 A"),
    ],
)
def test_plain_text_strips_restructuredtext_markup(text, plain):
    assert plugins.plain_text(text) == plain


def test_describe_is_plain_text():
    module = ModuleType("m", "A ``DUT`` behind a :class:`~x.Bench`.\n\nMore ``text``.")
    assert plugins.describe(module) == "A DUT behind a Bench."


def test_types_of_a_multi_type_system_in_declaration_order_with_its_default():
    assert plugins.types(plugins.load("dut")) == (
        ["clean", "factory-flaky", "markov-flaky"],
        "clean",
    )
    assert plugins.types(plugins.load("station")) == (["custom", "modbus-tcp"], "custom")


def test_a_plugin_without_types_has_none():
    assert plugins.types(plugins.load("dvt_bench")) is None
    assert plugins.types(ModuleType("no_system")) is None

    class Typed(MultiTypeSystem):
        systems: ClassVar[dict[str, Callable[..., BaseSystem]]] = {"b": Mock(), "a": Mock()}
        default = "a"

    module = ModuleType("typed")
    module.System = Typed  # type: ignore[attr-defined]
    assert plugins.types(module) == (["b", "a"], "a")
    for factory in Typed.systems.values():
        factory.assert_not_called()  # type: ignore[attr-defined]  # nothing is built to find out
