"""The custom-command splitter and dispatcher, without sockets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.commands import MAX_COMMAND, CommandSplitter, CustomCommand, dispatch, encode, usage
from simulators.common import SHUTDOWN_REPLY, BaseSystem

C = CustomCommand


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([b""], []),
        ([b"plain data"], [b"plain data"]),
        ([b"$system_stop%"], [C("stop")]),
        ([b"$system_set:a,,b%"], [C("set", ("a", "", "b"))]),
        ([b"$system_x:%"], [C("x", ("",))]),
        ([b"$system_x:a:b,c%"], [C("x", ("a:b", "c"))]),
        ([b"a$system_x%b$system_y%"], [b"a", C("x"), b"b", C("y")]),
        ([b"$$system_x%"], [b"$", C("x")]),
        # Not commands: protocol data, delivered at once.
        ([b"$__init__%"], [b"$__init__%"]),
        ([b"$system_%"], [b"$system_%"]),
        ([b"$system_a b%"], [b"$system_a b%"]),
        ([b"$system_\xff%"], [b"$system_\xff%"]),
        ([b"$system_x:\xff%"], [b"$system_x:\xff%"]),
        ([b"$sys", b"tem_x%"], [b"$sys", b"tem_x%"]),  # the prefix must arrive in one read
        ([b"\x24"], [b"$"]),
        # The rest of a command after a complete prefix may come later.
        ([b"$system_x", b":1%tail"], [C("x", ("1",)), b"tail"]),
        ([b"d$system_", b"x%"], [b"d", C("x")]),
    ],
)
def test_split(chunks: list[bytes], expected: list[object]) -> None:
    splitter = CommandSplitter()
    out: list[object] = []
    for chunk in chunks:
        out.extend(splitter.feed(chunk))
    assert out == expected
    assert splitter.flush() == b""


def test_an_unterminated_command_is_bounded_and_becomes_data() -> None:
    splitter = CommandSplitter()
    assert splitter.feed(b"$system_x:") == []
    filler = b"y" * MAX_COMMAND
    out = splitter.feed(filler)
    assert out == [b"$system_x:" + filler]
    assert splitter.flush() == b""


def test_flush_returns_what_waited() -> None:
    splitter = CommandSplitter()
    assert splitter.feed(b"ab$system_q") == [b"ab"]
    assert splitter.flush() == b"$system_q"


def _rebuild(parts: list[bytes | CustomCommand]) -> bytes:
    return b"".join(p if isinstance(p, bytes) else encode(p.name, *p.args) for p in parts)


names = st.from_regex(r"[A-Za-z0-9_]{1,12}", fullmatch=True)
#: What an argument may hold: no delimiter, no control character (see check_argument).
argument_text = st.characters(
    blacklist_characters="%,$", blacklist_categories=("Cc", "Cs"), codec="utf-8"
)
arguments = st.lists(st.text(argument_text, max_size=6))
commands = st.builds(lambda n, a: encode(n, *a), names, arguments)
garbage = st.binary(max_size=40)


@settings(deadline=None, max_examples=300)
@given(st.lists(st.one_of(commands, garbage), max_size=12), st.data())
def test_splitting_loses_and_invents_nothing(pieces: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(pieces)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    splitter = CommandSplitter()
    out: list[bytes | CustomCommand] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        out.extend(splitter.feed(stream[start:end]))
    out.append(splitter.flush())
    assert _rebuild(out) == stream
    # Every command that arrived whole in one read was recognised.
    if not cuts:
        for piece in pieces:
            if piece.startswith(b"$system_") and piece.count(b"%") == 1:
                assert any(
                    isinstance(p, CustomCommand) and encode(p.name, *p.args) == piece for p in out
                )


class Device(BaseSystem):
    def system_add(self, a: str, b: str = "0") -> str:
        """Add two integers."""
        return str(int(a) + int(b))

    def system_many(self, *values: str) -> str:
        return ",".join(values)

    not_a_command = "x"
    system_attribute = "not callable"


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        (C("add", ("1", "2")), "3"),
        (C("add", ("1",)), "1"),
        (C("many", ()), ""),
        (C("stop", ()), SHUTDOWN_REPLY),
        (C("greet", ()), "ok"),
        (C("add", ()), "error: wrong number of arguments; usage: $system_add:<a>,[<b>]%"),
        (
            C("add", ("1", "2", "3")),
            "error: wrong number of arguments; usage: $system_add:<a>,[<b>]%",
        ),
        (C("add", ("x",)), "error: add: invalid literal for int() with base 10: 'x'"),
        (C("nope", ()), "error: unknown command 'nope'; try $system_help%"),
        (C("attribute", ()), "error: unknown command 'attribute'; try $system_help%"),
    ],
)
def test_dispatch(command: CustomCommand, reply: str) -> None:
    assert dispatch(Device(), command) == reply


def test_help_lists_commands_with_usage() -> None:
    text = dispatch(Device(), C("help"))
    assert "$system_add:<a>,[<b>]%  Add two integers." in text.splitlines()
    assert "$system_many:<values>...%" in text
    assert "$system_stop%" in text
    assert "attribute" not in text


def test_usage_without_parameters() -> None:
    assert usage("stop", Device().system_stop) == "$system_stop%"
