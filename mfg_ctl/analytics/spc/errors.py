"""The one error of the SPC library: bad input, said in one line."""

from __future__ import annotations

__all__ = ["SpcError"]


class SpcError(ValueError):
    """Input an SPC computation cannot use (too few points, a bad subgroup, constant data, ...).

    The message is one line that says what was wrong and, where it helps, what is needed.
    """
