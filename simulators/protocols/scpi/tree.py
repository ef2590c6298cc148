"""Command patterns, program headers, and the tree that matches one to the other.

A pattern is written the way instrument manuals write it::

    [SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]
    OUTPut[1][:STATe]
    MEASure:VOLTage[:DC]?
    *IDN?

The uppercase part of a mnemonic is its short form, the whole word its long
form; a header may use either, in any case, but nothing in between. ``[...]``
around a node makes it optional. ``[n]`` right after a mnemonic lets it take
a numeric suffix (``OUTP2``) and gives the default used when the suffix is
left out. A trailing ``?`` makes the pattern a query; set and query forms of
the same header are separate registrations.

The tree is generic over what it stores, so it knows nothing of handlers.

>>> tree: CommandTree[str] = CommandTree()
>>> tree.add("OUTPut[1][:STATe]", "output state")
>>> tree.resolve(parse_header("outp2:stat"))
('output state', (2,))
>>> tree.resolve(parse_header(":OUTPUT"))
('output state', (1,))
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

from .errors import ScpiError

T = TypeVar("T")

MAX_MNEMONIC = 12
"""IEEE 488.2 limits a program mnemonic to 12 characters."""

MAX_SUFFIX_DIGITS = 9

_PATTERN_MNEMONIC = re.compile(r"([A-Z][A-Z0-9_]*)([a-z0-9_]*)(?:\[(\d+)\])?")
_COMMON_PATTERN = re.compile(r"\*([A-Za-z][A-Za-z0-9_]*)(\?)?")
_COMMON_HEADER = re.compile(r"\*([A-Za-z][A-Za-z0-9_]*)(\?)?")
_HEADER = re.compile(r"(:)?([A-Za-z][A-Za-z0-9_]*(?::[A-Za-z][A-Za-z0-9_]*)*)(\?)?")
_NAME_AND_SUFFIX = re.compile(r"([A-Z][A-Z0-9_]*?)(\d*)")


class Mnemonic(NamedTuple):
    """One typed header node: its uppercased name and numeric suffix, if any."""

    name: str
    suffix: int | None


@dataclass(frozen=True)
class Header:
    """A parsed program header, before it is resolved against the tree."""

    mnemonics: tuple[Mnemonic, ...]
    query: bool
    common: bool = False
    absolute: bool = False


def parse_header(text: str) -> Header:
    """Parse a program header such as ``:SOUR:VOLT?`` or ``*ESE``.

    Raises :class:`ScpiError` -102 for malformed headers, -112 for a mnemonic
    over 12 characters and -114 for an absurdly long numeric suffix.
    """
    common = _COMMON_HEADER.fullmatch(text)
    if common:
        name = common.group(1).upper()
        _check_length(name)
        return Header((Mnemonic(name, None),), query=bool(common.group(2)), common=True)
    match = _HEADER.fullmatch(text)
    if not match:
        raise ScpiError(-102)
    mnemonics = []
    for word in match.group(2).upper().split(":"):
        split = _NAME_AND_SUFFIX.fullmatch(word)
        assert split is not None  # the header grammar guarantees a leading letter
        name, digits = split.groups()
        _check_length(name)
        if len(digits) > MAX_SUFFIX_DIGITS:
            raise ScpiError(-114)
        mnemonics.append(Mnemonic(name, int(digits) if digits else None))
    return Header(tuple(mnemonics), query=bool(match.group(3)), absolute=bool(match.group(1)))


def _check_length(name: str) -> None:
    if len(name) > MAX_MNEMONIC:
        raise ScpiError(-112)


@dataclass(frozen=True)
class PatternNode:
    """One node of a pattern: short and long form (uppercase), optional or not."""

    short: str
    long: str
    optional: bool = False
    suffix: int | None = None
    """Default numeric suffix if the node takes one, else ``None``."""


@dataclass(frozen=True)
class Pattern:
    """A compiled command pattern."""

    text: str
    nodes: tuple[PatternNode, ...]
    query: bool
    common: bool = False

    @property
    def suffix_defaults(self) -> tuple[int, ...]:
        """Default suffix of each suffix-taking node, in pattern order."""
        return tuple(node.suffix for node in self.nodes if node.suffix is not None)

    def expansions(self) -> Iterator[tuple[tuple[PatternNode, ...], tuple[int | None, ...]]]:
        """Yield every concrete node path, with each node's index into the suffixes."""
        slots: list[int | None] = []
        for node in self.nodes:
            slots.append(None if node.suffix is None else sum(s is not None for s in slots))
        choices = [(True, False) if node.optional else (True,) for node in self.nodes]
        for keep in itertools.product(*choices):
            kept = [i for i, flag in enumerate(keep) if flag]  # never empty: see parse_pattern
            yield tuple(self.nodes[i] for i in kept), tuple(slots[i] for i in kept)


def parse_pattern(text: str) -> Pattern:
    """Compile a pattern such as ``[SOURce]:VOLTage[:LEVel]?``; ValueError if malformed."""
    body = text.strip()
    query = body.endswith("?")
    if query:
        body = body[:-1]
    common = _COMMON_PATTERN.fullmatch(body)
    if common:
        name = common.group(1).upper()
        return Pattern(text, (PatternNode(name, name),), query=query, common=True)
    nodes: list[PatternNode] = []
    pos = 0
    while pos < len(body):
        colon = body.startswith(":", pos)
        pos += colon
        optional = body.startswith("[", pos)
        pos += optional
        if optional and body.startswith(":", pos):
            if colon:
                raise ValueError(f"doubled ':' in pattern {text!r}")
            colon = True
            pos += 1
        if nodes and not colon:
            raise ValueError(f"nodes must be separated by ':' in pattern {text!r}")
        match = _PATTERN_MNEMONIC.match(body, pos)
        if not match:
            raise ValueError(f"expected a mnemonic at position {pos} of pattern {text!r}")
        nodes.append(_pattern_node(text, match, optional))
        pos = match.end()
        if optional:
            if not body.startswith("]", pos):
                raise ValueError(f"unclosed '[' in pattern {text!r}")
            pos += 1
    if not nodes or all(node.optional for node in nodes):
        raise ValueError(f"pattern {text!r} needs at least one mandatory node")
    return Pattern(text, tuple(nodes), query=query)


def _pattern_node(text: str, match: re.Match[str], optional: bool) -> PatternNode:
    short, rest, suffix = match.groups()
    long = (short + rest).upper()
    if short[-1].isdigit() or long[-1].isdigit():
        raise ValueError(f"mnemonic {long} in {text!r} ends in a digit; write a suffix as [1]")
    if len(long) > MAX_MNEMONIC:
        raise ValueError(f"mnemonic {long} in {text!r} is longer than {MAX_MNEMONIC}")
    return PatternNode(short, long, optional, None if suffix is None else int(suffix))


@dataclass(frozen=True)
class _Binding(Generic[T]):
    payload: T
    slots: tuple[int | None, ...]
    defaults: tuple[int, ...]


@dataclass
class _Node(Generic[T]):
    long: str
    children: dict[str, _Node[T]] = field(default_factory=dict)
    forms: dict[bool, _Binding[T]] = field(default_factory=dict)  # query? -> binding


class CommandTree(Generic[T]):
    """Patterns registered with a payload each; headers resolved to a payload."""

    def __init__(self) -> None:
        self._root: _Node[T] = _Node("")
        self._common: _Node[T] = _Node("*")

    def add(self, pattern: str, payload: T) -> None:
        """Register ``payload`` under ``pattern``; ValueError on a clash, registering nothing."""
        compiled = parse_pattern(pattern)
        root = self._common if compiled.common else self._root
        paths = list(compiled.expansions())
        seen: set[tuple[str, ...]] = set()
        for nodes, _ in paths:
            key = tuple(node.long for node in nodes)
            if key in seen:
                raise ValueError(f"pattern {pattern!r} expands to {':'.join(key)} twice")
            seen.add(key)
            self._check(root, nodes, compiled)
        for nodes, slots in paths:
            leaf = root
            for node in nodes:
                child = leaf.children.get(node.long)
                if child is None:
                    child = _Node(node.long)
                    leaf.children[node.short] = leaf.children[node.long] = child
                leaf = child
            leaf.forms[compiled.query] = _Binding(payload, slots, compiled.suffix_defaults)

    @staticmethod
    def _check(root: _Node[T], nodes: tuple[PatternNode, ...], pattern: Pattern) -> None:
        node = root
        for part in nodes:
            for key in (part.short, part.long):
                other = node.children.get(key)
                if other is not None and other.long != part.long:
                    raise ValueError(f"{part.long} in {pattern.text!r} clashes with {other.long}")
            child = node.children.get(part.long)
            if child is None:
                return
            node = child
        if pattern.query in node.forms:
            raise ValueError(f"{pattern.text!r} is already registered")

    def resolve(self, header: Header) -> tuple[T, tuple[int, ...]]:
        """Return the payload for a full header path and its numeric suffixes.

        Raises :class:`ScpiError` -113 for an unknown header, -100 when only the
        other form (set or query) exists, -114 for a suffix on a node without one.
        """
        node = self._common if header.common else self._root
        for mnemonic in header.mnemonics:
            child = node.children.get(mnemonic.name)
            if child is None:
                raise ScpiError(-113)
            node = child
        binding = node.forms.get(header.query)
        if binding is None:
            if not node.forms:
                raise ScpiError(-113)
            raise ScpiError(-100, detail="set only" if header.query else "query only")
        suffixes = list(binding.defaults)
        for mnemonic, slot in zip(header.mnemonics, binding.slots, strict=True):
            if mnemonic.suffix is not None:
                if slot is None:
                    raise ScpiError(-114)
                suffixes[slot] = mnemonic.suffix
        return binding.payload, tuple(suffixes)
