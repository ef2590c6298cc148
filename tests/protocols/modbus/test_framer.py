"""The factory picks a framing by name; everything else is behind the abstraction."""

from __future__ import annotations

import pytest

from simulators.protocols.modbus import (
    DEFAULT_FRAMING,
    FRAMINGS,
    ClientFramer,
    CustomClientFramer,
    CustomServerFramer,
    MbapClientFramer,
    MbapServerFramer,
    ServerFramer,
    client_framer,
    server_framer,
)


def test_custom_is_the_default():
    assert DEFAULT_FRAMING == "custom" == FRAMINGS[0]
    assert isinstance(server_framer(), CustomServerFramer)
    assert isinstance(client_framer(), CustomClientFramer)


def test_modbus_tcp_by_name():
    assert isinstance(server_framer("modbus-tcp"), MbapServerFramer)
    assert isinstance(client_framer("modbus-tcp"), MbapClientFramer)


@pytest.mark.parametrize("name", FRAMINGS)
def test_each_call_gives_a_fresh_framer_with_its_name(name):
    first, second = server_framer(name), server_framer(name)
    assert first is not second
    assert isinstance(first, ServerFramer)
    assert isinstance(client_framer(name), ClientFramer)
    assert first.name == client_framer(name).name == name


@pytest.mark.parametrize("name", ["rtu", "", "Custom", "modbus_tcp"])
def test_unknown_name_says_what_exists(name):
    with pytest.raises(ValueError, match="choose one of: custom, modbus-tcp"):
        server_framer(name)
    with pytest.raises(ValueError, match="unknown Modbus framing"):
        client_framer(name)
