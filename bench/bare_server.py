"""The baseline: a minimal socketserver that answers every read with the dut's ``*IDN?`` reply.

Run as a script, it prints its port and serves until killed.
"""

from __future__ import annotations

import socket
import socketserver

REPLY = b"SIMULATORS,DUT-1000,SN0001,1.0\n"


class Handler(socketserver.BaseRequestHandler):
    """One read, one reply: the least a threaded socketserver can do."""

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while sock.recv(65536):
            sock.sendall(REPLY)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    with Server(("127.0.0.1", 0), Handler) as server:
        print(server.server_address[1], flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
