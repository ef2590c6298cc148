"""Safe arithmetic expressions for derived registers, e.g. ``min(load_ma, current_limit)``.

Only numbers, names, arithmetic, comparisons, ``and``/``or``/``not``,
``a if c else b`` and the functions ``min``, ``max``, ``abs`` and ``round`` are
allowed; anything else is refused when the profile loads, so a profile can
never run arbitrary code.

>>> expression = Expression("voltage_setpoint if output_enable else 0")
>>> sorted(expression.names)
['output_enable', 'voltage_setpoint']
>>> expression.evaluate({"voltage_setpoint": 1200, "output_enable": 1})
1200
>>> Expression("__import__('os')")
Traceback (most recent call last):
  ...
ValueError: only min, max, abs and round can be called
>>> Expression("().__class__")
Traceback (most recent call last):
  ...
ValueError: not allowed in an expression: Attribute
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from types import CodeType

__all__ = ["FUNCTIONS", "Expression"]

FUNCTIONS = {"min": min, "max": max, "abs": abs, "round": round}

_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.IfExp,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Call,
)


class Expression:
    """A checked expression over register and parameter names."""

    def __init__(self, source: str) -> None:
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as error:
            raise ValueError(f"not a valid expression: {source!r} ({error.msg})") from None
        names: set[str] = set()
        for node in ast.walk(tree):
            if not isinstance(node, _ALLOWED):
                raise ValueError(f"not allowed in an expression: {type(node).__name__}")
            if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
                raise ValueError(f"only numbers are allowed as constants, got {node.value!r}")
            if isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                    raise ValueError("only min, max, abs and round can be called")
                if node.keywords:
                    raise ValueError("function calls take no keyword arguments here")
            if isinstance(node, ast.Name) and not _is_function(tree, node):
                if node.id.startswith("_"):
                    raise ValueError(
                        f"not allowed in an expression: {node.id} "
                        "(only registers, parameters and min, max, abs, round)"
                    )
                names.add(node.id)
        self.source = source
        self.names = frozenset(names)
        self._code: CodeType = compile(tree, "<expression>", "eval")

    def evaluate(self, values: Mapping[str, float]) -> float:
        """Evaluate with ``values`` for the names; ZeroDivisionError etc. become ValueError."""
        scope: dict[str, object] = {"__builtins__": {}, **FUNCTIONS}
        try:
            result = eval(self._code, scope, dict(values))  # noqa: S307 - AST checked above
        except ArithmeticError as error:
            raise ValueError(f"{self.source}: {error}") from None
        return int(result) if isinstance(result, bool) else result

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def _is_function(tree: ast.AST, name: ast.Name) -> bool:
    return any(
        isinstance(node, ast.Call) and node.func is name for node in ast.walk(tree)
    )
