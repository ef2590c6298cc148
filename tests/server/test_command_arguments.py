"""What a custom-command argument may hold: no delimiter, no control character."""

from __future__ import annotations

import pytest

from simulators.client import Client
from simulators.commands import MAX_COMMAND, CommandSplitter, check_argument, encode
from simulators.launcher import Simulator


@pytest.mark.parametrize(
    ("argument", "culprit"),
    [
        ("4000%$system_stop", "'%'"),
        ("$system_stop", "'$'"),
        ("60000%", "'%'"),
        ("two\nlines", "'\\n'"),
        ("tab\there", "'\\t'"),
        ("nul\x00", "'\\x00'"),
        ("del\x7f", "'\\x7f'"),
    ],
)
def test_an_argument_with_a_delimiter_or_control_character_is_refused(
    argument: str, culprit: str
) -> None:
    with pytest.raises(ValueError, match="custom-command argument") as raised:
        check_argument(argument)
    message = str(raised.value)
    assert repr(argument) in message  # names the argument
    assert f"contains {culprit}" in message  # and what is wrong with it
    with pytest.raises(ValueError, match="not allowed in an argument"):
        encode("fault", "delay", argument)


@pytest.mark.parametrize("argument", ["dc_voltage", "1e308", "-0.5", "a:b", "ümlaut", "", " x "])
def test_ordinary_arguments_pass_and_arrive_unchanged(argument: str) -> None:
    check_argument(argument)
    [command] = CommandSplitter().feed(encode("fault", "drift", argument))
    assert command.args == ("drift", argument)  # type: ignore[union-attr]


def test_a_bad_name_or_an_oversized_command_is_refused() -> None:
    with pytest.raises(ValueError, match="must be letters, digits and '_'"):
        encode("stop%")
    with pytest.raises(ValueError, match=f"the limit is {MAX_COMMAND}"):
        encode("echo", "x" * MAX_COMMAND)


def test_the_client_refuses_to_smuggle_a_stop(fake: Simulator) -> None:
    address = fake.addresses[0]
    with Client(address.host, address.port) as client:
        with pytest.raises(ValueError, match="4000%"):
            client.custom("echo", "4000%$system_stop")
        assert client.custom("echo", "still", "here") == "still|here"
    assert fake.running
