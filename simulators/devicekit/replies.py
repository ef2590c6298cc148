"""Response faults turned into what the server sends: the one place a verdict becomes a Reply.

:func:`respond` counts a request and answers it; :func:`apply` is its second half.

>>> from simulators.devicekit.faults import Corrupt, ResponseFaults
>>> from simulators.devicekit.replies import respond
>>> faults = ResponseFaults()
>>> faults.add(Corrupt(every=2))
>>> flip = lambda frame: frame[::-1]
>>> respond(faults, b"ab", flip), respond(faults, b"ab", flip)
(b'ab', b'ba')
"""

from __future__ import annotations

import random
from collections.abc import Callable

from simulators.common import Reply
from simulators.devicekit.faults import NO_FAULT, ResponseFault, ResponseFaults

__all__ = ["GarbageLines", "apply", "respond"]


def respond(
    faults: ResponseFaults,
    answer: bytes | Callable[[], bytes],
    corrupt: Callable[[bytes], bytes],
) -> bytes:
    """Count one request and return its answer with the response faults applied.

    ``answer`` is the answer, or a callable that computes it: a dropped request
    is then never executed (lost on its way in). ``corrupt`` spoils an answer
    the way the protocol notices (a flipped CRC byte, a garbage line).
    """
    fault = faults.next_response()
    if fault is NO_FAULT:
        return answer if isinstance(answer, bytes) else answer()
    return apply(fault, answer, corrupt)


def apply(
    fault: ResponseFault,
    answer: bytes | Callable[[], bytes],
    corrupt: Callable[[bytes], bytes],
) -> bytes:
    """What the server sends for one verdict: a delayed answer is a
    :class:`~simulators.common.Reply` with ``delay_s``, a dropped one a ``Reply``
    that closes the connection. (A hot path may skip the call for ``NO_FAULT``.)
    """
    if fault.drop:
        return Reply(close=True)
    data = answer if isinstance(answer, bytes) else answer()
    if fault.corrupt:
        data = corrupt(data)
    return Reply(data, delay_s=fault.delay_s) if fault.delay_s else data


class GarbageLines:
    """Corrupts a line answer: as many bytes, none of them ASCII, still ending in a newline.

    Seeded, so a faulty session replays the same bytes.

    >>> from simulators.devicekit.replies import GarbageLines
    >>> garbage = GarbageLines(seed=1)
    >>> line = garbage(b"1.5\\n")
    >>> len(line), line.endswith(b"\\n"), line[:-1].isascii()
    (4, True, False)
    """

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def __call__(self, answer: bytes) -> bytes:
        rng = self._rng
        return bytes(rng.randrange(0x80, 0x100) for _ in range(max(len(answer) - 1, 1))) + b"\n"
