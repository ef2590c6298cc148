"""Reading plan and station YAML safely: one short error line, bounded work, whatever the input.

A safe loader that also refuses what no plan needs and what an attacker (or a
slip of the paste buffer) uses to exhaust a process:

* a key given twice in one mapping (the second would silently win);
* nesting deeper than :data:`MAX_DEPTH` levels (3,000 levels crashed the
  recursive composer with a traceback);
* aliases that expand to more than :data:`MAX_VALUES` values: a 480-byte
  "billion laughs" document of nested aliases stands for hundreds of millions
  of values, and validating or printing it took seconds and hundreds of MB.

Sizes are counted as nodes are composed, each node once (an alias adds the
size of what it names), so the refusal comes before the expansion is ever
built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

from mfg_ctl.wording import clip

__all__ = ["MAX_DEPTH", "MAX_VALUES", "read_text_file", "read_yaml"]

#: The deepest nesting of mappings and lists a plan or station file may use.
MAX_DEPTH = 50
#: The most values a document may stand for once its aliases are expanded.
MAX_VALUES = 100_000


class _BoundedLoader(yaml.SafeLoader):
    """A safe loader with bounded nesting and alias expansion, refusing repeated keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> values it stands for, once composed

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """Compose one node, refusing deep nesting and oversized (or recursive) aliases."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            anchored = self.anchors.get(event.anchor)
            if anchored is not None and id(anchored) not in self._sizes:
                raise ComposerError(
                    None, None, "an alias refers to a value that contains it", event.start_mark
                )
            aliased: Node | None = super().compose_node(parent, index)
            return aliased
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                where = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", where)
            node: Node | None = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None and self._size(node) > MAX_VALUES:
            raise ComposerError(
                None,
                None,
                f"its aliases expand to more than {MAX_VALUES} values",
                node.start_mark,
            )
        return node

    def _size(self, node: Node) -> int:
        """The values ``node`` stands for; its children were composed (and sized) before it."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        size = 1
        if isinstance(node, SequenceNode):
            size += sum(self._sizes.get(id(child), 1) for child in node.value)
        elif isinstance(node, MappingNode):
            size += sum(
                self._sizes.get(id(key), 1) + self._sizes.get(id(value), 1)
                for key, value in node.value
            )
        self._sizes[id(node)] = size
        return size


def _unique_mapping(loader: yaml.SafeLoader, node: MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, str | int | float) and key in seen:
            raise ConstructorError(
                None, None, f"key {clip(key)} appears twice", key_node.start_mark
            )
        if isinstance(key, str | int | float):
            seen.add(key)
    return loader.construct_mapping(node)


_BoundedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)


def read_yaml(text: str, source: str, error: type[Exception]) -> Any:
    """Parse YAML safely (see the module); ``error`` carries one short line naming ``source``."""
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 (a safe loader)
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise error(f"{source}: not valid YAML{at}: {problem.problem}") from None
    except yaml.YAMLError as problem:  # e.g. a control character
        raise error(f"{source}: not valid YAML: {str(problem).splitlines()[0][:200]}") from None
    except RecursionError:  # a last resort: nesting is bounded above
        raise error(f"{source}: not valid YAML: nested too deeply") from None


def read_text_file(path: str | Path, what: str, error: type[Exception]) -> str:
    """The text of a plan or station file; ``error`` with one line if it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as failure:
        raise error(f"{path}: cannot read the {what}: {failure.strerror}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not a text file (UTF-8 expected)") from None
