"""The floor: a minimal threaded socketserver that answers every read with fixed bytes.

Run as a script, it prints its port and serves until killed. The reply is the
dut's ``*IDN?`` answer, or the bytes given as one hex argument (the Modbus
benchmark passes its register answer).
"""

from __future__ import annotations

import socket
import socketserver
import sys

IDN_REPLY = b"SIMULATORS,DUT-1000,SN0001,1.0\n"


class Handler(socketserver.BaseRequestHandler):
    """One read, one reply: the least a threaded socketserver can do."""

    reply = IDN_REPLY

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while sock.recv(65536):
            sock.sendall(self.reply)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    if len(sys.argv) > 1:
        Handler.reply = bytes.fromhex(sys.argv[1])
    with Server(("127.0.0.1", 0), Handler) as server:
        print(server.server_address[1], flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
