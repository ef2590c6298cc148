# mypy: disable-error-code="no-untyped-def,var-annotated,attr-defined"
# ruff: noqa: PLR0911, UP031, SIM105 - the style of the DISCOS modules this stands for
"""A simulator written the way DISCOS simulator modules are, and kept that way on purpose.

Nothing here knows about sessions: ``parse`` takes one character (a ``str``)
and answers ``True``, ``False`` or a ``str``; the greeting and the custom
commands answer ``str``; the System both listens and streams to subscribers.
The framework must serve it unchanged (tests/server/test_discos_module.py).

Protocol: ``#TEMP?`` asks the temperature, ``#SET <celsius>`` sets it; every
message ends with a newline. ``#BAD`` is refused (ValueError), ``#BUG`` hits
a bug, ``#ODD`` answers something that is no reply.
"""

import queue
from socketserver import ThreadingTCPServer, ThreadingUDPServer
from threading import Event, Thread

from simulators.common import ListeningSystem, SendingSystem

servers = [
    (("127.0.0.1", 0), ("127.0.0.1", 0), ThreadingTCPServer, {}),
    (("127.0.0.1", 0), (), ThreadingUDPServer, {}),
]


class System(ListeningSystem, SendingSystem):
    header = "#"
    tail = "\n"
    sampling_time = 0.01

    def __init__(self):
        self.msg = ""
        self.temperature = 21.5
        self.stopped = Event()
        self.streams = {}

    def parse(self, byte):
        if byte == self.header:
            self.msg = byte
            return True
        if not self.msg:
            return False
        self.msg += byte
        if byte != self.tail:
            return True
        msg, self.msg = self.msg[1:-1], ""
        if msg == "TEMP?":
            return "TEMP %.1f\n" % self.temperature
        if msg.startswith("SET "):
            try:
                self.temperature = float(msg[4:])
            except ValueError:
                return "nak\n"
            return "ack\n"
        if msg == "BUG":
            return self.no_such_attribute
        if msg == "ODD":
            return 0.0
        raise ValueError("unknown command %r" % msg)

    def system_greet(self):
        return "WELCOME\r\n"

    def system_setup(self, celsius):
        self.temperature = float(celsius)
        return "setup %s" % celsius

    def system_quiet(self):
        self.temperature = 0.0

    def system_stop(self):
        self.stopped.set()
        for stop in self.streams.values():
            stop.set()
        return super().system_stop()

    def subscribe(self, q):
        stop = Event()
        self.streams[id(q)] = stop
        Thread(target=self._stream, args=(q, stop), daemon=True).start()

    def unsubscribe(self, q):
        stop = self.streams.pop(id(q), None)
        if stop is not None:
            stop.set()

    def _stream(self, q, stop):
        while not stop.wait(self.sampling_time):
            message = ("TEMP %.1f\n" % self.temperature).encode("latin-1")
            try:
                q.put_nowait(message)
            except queue.Full:
                pass  # the client is behind: it gets the next one
