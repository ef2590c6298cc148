"""Where a simulator process logs: stderr, or a size-bounded file that survives restarts.

With a log file (``--log-file``; ``start`` gives its background processes
``<key>.log`` in the runtime directory) every record goes to a rotating file,
appended across restarts, and so do the starts and stops of the simulator.
While it serves, what the process would print (a plugin's ``print``, the
tracebacks socketserver writes for a failing request) is logged there too, so
no output grows without bound.
"""

from __future__ import annotations

import contextlib
import io
import logging
import logging.handlers
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from simulators import runtime

__all__ = [
    "LOG_BACKUPS",
    "LOG_MAX_BYTES",
    "LogStream",
    "log_handler",
    "logger",
    "logging_for",
    "output_to_log",
]

#: A simulator's log file rotates at this size, keeping this many older files.
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3
#: Starts and stops of the simulator: always recorded in a log file.
logger = logging.getLogger("simulators.cli")

_FORMAT = "%(levelname)s %(name)s: %(message)s"
#: A line longer than this is logged in pieces rather than buffered whole.
_MAX_LINE = 8192


class LogError(runtime.LaunchError):
    """The log file cannot be opened."""


def log_handler(path: Path) -> logging.handlers.RotatingFileHandler:
    """Return a handler appending to ``path``, rotated at :data:`LOG_MAX_BYTES`.

    :data:`LOG_BACKUPS` older files are kept (``path.1`` is the newest of them).
    """
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


@contextlib.contextmanager
def logging_for(verbose: bool, log_file: str | None) -> Iterator[None]:
    """Log at WARNING (DEBUG when ``verbose``) to stderr, or to ``log_file`` while inside.

    With a log file, an error that ends the block is logged before it goes on.
    """
    level = logging.DEBUG if verbose else logging.WARNING
    if log_file is None:
        logging.basicConfig(level=level, format=_FORMAT)
        yield
        return
    try:
        handler = log_handler(Path(log_file))
    except OSError as error:
        raise LogError(f"cannot open log file {log_file}: {error.strerror or error}") from None
    root = logging.getLogger()
    saved = root.level, logger.level
    root.addHandler(handler)
    root.setLevel(level)
    logger.setLevel(logging.INFO)
    try:
        yield
    except Exception as error:
        logger.error("%s", error)
        raise
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(saved[0])
        logger.setLevel(saved[1])


class LogStream(io.TextIOBase):
    """A text stream that logs each line it is given (thread-safe, bounded lines)."""

    def __init__(self, target: logging.Logger, level: int) -> None:
        super().__init__()
        self._target = target
        self._level = level
        self._pending = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        """Always: it is an output stream."""
        return True

    def write(self, text: str) -> int:
        """Log every complete line of ``text``; keep the rest for the next write."""
        with self._lock:
            lines = (self._pending + text).split("\n")
            self._pending = lines.pop()
            if len(self._pending) > _MAX_LINE:
                lines.append(self._pending)
                self._pending = ""
        for line in lines:
            if line:
                self._target.log(self._level, "%s", line)
        return len(text)

    def flush(self) -> None:
        """Log what is left of an unfinished line."""
        with self._lock:
            pending, self._pending = self._pending, ""
        if pending:
            self._target.log(self._level, "%s", pending)


@contextlib.contextmanager
def output_to_log(enabled: bool) -> Iterator[TextIO]:
    """While inside, send ``sys.stdout`` and ``sys.stderr`` to the log (when ``enabled``).

    Yields the stdout to print to the console meanwhile.
    """
    if not enabled:
        yield sys.stdout
        return
    saved = sys.stdout, sys.stderr
    out = LogStream(logging.getLogger("simulators.stdout"), logging.WARNING)
    err = LogStream(logging.getLogger("simulators.stderr"), logging.ERROR)
    sys.stdout, sys.stderr = out, err
    try:
        yield saved[0]
    finally:
        sys.stdout, sys.stderr = saved
        out.flush()
        err.flush()
