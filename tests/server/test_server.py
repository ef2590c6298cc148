"""The servers over real loopback sockets: routing, custom commands, concurrency, stop."""

from __future__ import annotations

import select
import socket
import socketserver
import threading
import time
import types

import pytest

from simulators.client import Client
from simulators.common import SHUTDOWN_REPLY
from simulators.launcher import Simulator
from simulators.server import ServeError, make_server
from tests.server import fake_devices
from tests.server.conftest import answer, frame


def connect(simulator: Simulator, index: int, transport: str = "tcp") -> Client:
    address = simulator.addresses[index]
    assert address.transport == transport
    return Client(address.host, address.port, transport=transport)  # type: ignore[arg-type]


def test_addresses_report_the_ephemeral_ports(fake: Simulator) -> None:
    roles = [(a.role, a.transport) for a in fake.addresses]
    assert roles == [
        ("listening", "tcp"),
        ("sending", "tcp"),
        ("listening", "udp"),
        ("sending", "udp"),
        ("listening", "tcp"),
    ]
    assert all(a.port > 0 and a.host == "127.0.0.1" for a in fake.addresses)
    assert str(fake.addresses[0]) == f"127.0.0.1:{fake.addresses[0].port}"


def test_tcp_frames_are_answered_and_junk_before_a_header_is_skipped(fake: Simulator) -> None:
    with connect(fake, 0) as client:
        client.send(b"\x00\x01junk" + frame(b"abc"))
        assert client.receive(5) == answer(b"abc")


def test_a_frame_containing_dollar_is_answered_without_waiting(fake: Simulator) -> None:
    # 0x24 is '$'; even "$system_" inside a binary frame must not be held back.
    with connect(fake, 0) as client:
        for payload in (b"$", b"ab$", b"$sys", b"x$system", b"$system_%"):
            client.send(frame(payload))
            assert client.receive(2 + len(payload)) == answer(payload)


def test_protocol_data_that_only_looks_like_a_command_goes_to_parse(fake: Simulator) -> None:
    with connect(fake, 0) as client:
        client.send(frame(b"$__init__%"))
        assert client.receive(12) == answer(b"$__init__%")
        assert client.custom("__init__") == "error: unknown command '__init__'; try $system_help%"


def test_custom_commands_between_frames_keep_their_order(fake: Simulator) -> None:
    with connect(fake, 0) as client:
        client.send(frame(b"12") + b"$system_echo:a,b:c,%" + frame(b"34"))
        assert client.receive(4) == answer(b"12")
        assert client.receive() == b"a|b:c|\n"
        assert client.receive(4) == answer(b"34")


def test_a_command_split_after_its_prefix_is_reassembled(fake: Simulator) -> None:
    with connect(fake, 0) as client:
        client.send(b"$system_echo:x")
        time.sleep(0.05)
        client.send(b",y%")
        assert client.receive() == b"x|y\n"


def test_command_replies(fake: Simulator) -> None:
    with connect(fake, 0) as client:
        assert client.custom("echo") == ""
        assert client.custom("nothing") == "ok"
        assert client.custom("raw") == "raw bytes"
        assert client.custom("fail") == "error: fail: it broke on two lines"
        assert client.custom("count", 1).startswith("error: wrong number of arguments; usage:")
        assert "$system_invert%" in client.custom("help")
        # The connection still serves the protocol after errors.
        client.send(frame(b"ok"))
        assert client.receive(4) == answer(b"ok")


def test_bad_message_is_logged_and_the_connection_kept(
    fake: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    with connect(fake, 0) as client:
        client.send(frame(b"bad") + frame(b"good"))
        assert client.receive(6) == answer(b"good")
    assert "bad payload" in caplog.text


def test_greeting_is_sent_on_connect(fake: Simulator) -> None:
    with connect(fake, 4) as client:
        assert client.receive() == b"hello\n"
    with connect(fake, 0) as client:  # greeting None: nothing is sent
        client.send(frame(b"z"))
        assert client.receive(3) == answer(b"z")


def test_udp_listening_answers_each_datagram_and_commands(fake: Simulator) -> None:
    with connect(fake, 2, "udp") as client:
        assert client.query(frame(b"udp")) == answer(b"udp")
        assert client.query(b"$system_echo:u%") == b"u\n"
        # A command cut short by the end of its datagram is protocol data: no reply at all.
        client.send(b"$system_echo:never")
        client.sock.settimeout(0.2)
        with pytest.raises(TimeoutError):
            client.receive()


def test_tcp_sending_streams_and_takes_commands(fake: Simulator) -> None:
    with connect(fake, 1) as client:
        first = client.receive()
        second = client.receive()
        assert first.startswith(b"sample ")
        assert second.startswith(b"sample ")
        assert int(second.split()[1]) > int(first.split()[1])
        client.send(b"$system_echo:on-a-stream%")
        for _ in range(50):
            if client.receive() == b"on-a-stream\n":
                break
        else:
            pytest.fail("no reply to a custom command on a sending connection")


def test_sending_thread_stops_with_the_last_subscriber(fake: Simulator) -> None:
    system = fake.systems[0]
    assert isinstance(system, fake_devices.FrameSystem)
    with connect(fake, 1) as client:
        client.receive()
        assert system.subscribers == 1
    for _ in range(200):
        if system.subscribers == 0:
            break
        time.sleep(0.01)
    assert system.subscribers == 0


def test_udp_sending_answers_each_datagram_with_a_sample(fake: Simulator) -> None:
    with connect(fake, 3, "udp") as client:
        assert client.query(b"give").startswith(b"sample ")
        assert client.query(b"$system_echo:cmd%") == b"cmd\n"


def test_partial_messages_of_two_clients_never_mix(fake: Simulator) -> None:
    with connect(fake, 0) as first, connect(fake, 0) as second:
        first.send(frame(b"ABCD")[:4])  # header, length 4, two of four bytes
        time.sleep(0.02)
        second.send(frame(b"xy"))
        assert second.receive(4) == answer(b"xy")
        first.send(b"CD")
        assert first.receive(6) == answer(b"ABCD")


def test_a_dropped_partial_message_is_discarded(fake: Simulator) -> None:
    with connect(fake, 0) as first:
        first.send(frame(b"LOST")[:3])
        time.sleep(0.02)
    time.sleep(0.05)
    with connect(fake, 0) as second:
        second.send(frame(b"new"))
        assert second.receive(5) == answer(b"new")


def test_a_fault_from_a_second_connection_affects_the_first(fake: Simulator) -> None:
    with connect(fake, 0) as device, connect(fake, 0) as injector:
        assert device.query(frame(b"\x01"), size=3) == b"\x5a\x01\x01"
        assert injector.custom("invert") == "inverted"
        assert device.query(frame(b"\x01"), size=3) == b"\x5a\x01\xfe"


def test_a_delayed_reply_holds_back_only_its_own_connection(fake: Simulator) -> None:
    with connect(fake, 0) as slow, connect(fake, 0) as other:
        slow.send(frame(b"SLOW"))
        # While the slow reply waits (1 s), the System is free: the other client is served
        # first, and the slow reply is still not there when the other one has arrived.
        assert other.query(frame(b"now"), size=5) == answer(b"now")
        assert select.select([slow.sock], [], [], 0)[0] == []
        slow.sock.settimeout(5.0)
        assert slow.receive(6) == answer(b"SLOW")


def test_a_reply_can_close_the_connection_instead(fake: Simulator) -> None:
    with connect(fake, 0) as client:
        client.send(frame(b"HANGUP"))
        with pytest.raises(ConnectionError):
            client.receive(8)
    with connect(fake, 2, "udp") as udp:  # over UDP the reply is simply lost
        udp.send(frame(b"HANGUP"))
        udp.sock.settimeout(0.2)
        with pytest.raises(TimeoutError):
            udp.receive()
        udp.sock.settimeout(5.0)
        assert udp.query(frame(b"SLOW!")) == answer(b"SLOW!")


def test_calls_into_a_system_are_serialized(fake: Simulator) -> None:
    def hammer() -> None:
        with connect(fake, 0) as client:
            for _ in range(25):
                client.custom("increment")

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    with connect(fake, 0) as client:
        assert client.custom("count") == "100"


def test_system_stop_stops_every_server_while_clients_stay(fake: Simulator) -> None:
    bystander = connect(fake, 0)
    streaming = connect(fake, 1)
    streaming.receive()
    with connect(fake, 2, "udp") as client:
        assert client.query(b"$system_stop%") == SHUTDOWN_REPLY.encode() + b"\n"
    assert fake.wait(30.0)  # a hang guard: the stop takes milliseconds
    assert not fake.running
    for address in fake.addresses:
        if address.transport == "tcp":
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((address.host, address.port), timeout=0.5)
    bystander.sock.settimeout(30.0)
    assert bystander.sock.recv(10) == b""  # the server ended the connection
    bystander.close()
    streaming.close()


def test_stop_over_tcp_replies_before_stopping(fake: Simulator) -> None:
    with connect(fake, 0) as client:
        assert client.custom("stop") == SHUTDOWN_REPLY
    assert fake.wait(30.0)


def test_port_in_use_binds_nothing() -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    busy = blocker.getsockname()[1]
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    free_port = free.getsockname()[1]
    free.close()
    module = types.ModuleType("two_ports")
    module.System = fake_devices.FrameSystem  # type: ignore[attr-defined]
    module.servers = [  # type: ignore[attr-defined]
        (("127.0.0.1", free_port), (), socketserver.ThreadingTCPServer, {}),
        (("127.0.0.1", busy), (), socketserver.ThreadingTCPServer, {}),
    ]
    simulator = Simulator("two_ports", module)
    with pytest.raises(ServeError, match=f"port 127.0.0.1:{busy}/tcp is already in use"):
        simulator.start()
    # The first port was released again.
    probe = socket.socket()
    probe.bind(("127.0.0.1", free_port))
    probe.close()
    blocker.close()
    simulator.stop()  # harmless after a failed start


def test_port_offset_shifts_every_port() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    base = probe.getsockname()[1]
    probe.close()
    module = types.ModuleType("offset")
    module.System = fake_devices.FrameSystem  # type: ignore[attr-defined]
    module.servers = [  # type: ignore[attr-defined]
        (("127.0.0.1", base - 1), (), socketserver.ThreadingTCPServer, {}),
    ]
    with Simulator("offset", module, port_offset=1) as simulator:
        assert simulator.addresses[0].port == base
        with Client("127.0.0.1", base) as client:
            assert client.query(frame(b"o"), size=3) == answer(b"o")


def test_ipv6_loopback_when_asked() -> None:
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with Simulator("fake", fake_devices, host="::1", ephemeral=True) as simulator:
        address = simulator.addresses[0]
        assert str(address) == f"[::1]:{address.port}"
        with Client("::1", address.port) as client:
            assert client.query(frame(b"6"), size=3) == answer(b"6")


def test_wrong_system_kind_or_server_type_is_refused() -> None:
    module = types.ModuleType("mismatch")

    class OnlyListens(fake_devices.FrameSystem):
        pass

    module.System = OnlyListens  # type: ignore[attr-defined]
    module.servers = [((), ("127.0.0.1", 0), socketserver.ThreadingTCPServer, {})]  # type: ignore[attr-defined]
    with Simulator("mismatch", module) as simulator:  # FrameSystem also sends: accepted
        assert simulator.addresses[0].role == "sending"
    module.servers = [(("127.0.0.1", 0), (), socketserver.ThreadingTCPServer, {"nope": 1})]  # type: ignore[attr-defined]
    with pytest.raises(ServeError, match="nope"):
        Simulator("mismatch", module).start()
    with pytest.raises(ServeError, match="has no types"):
        Simulator("mismatch", fake_devices, system_type="x").start()
    with pytest.raises(ServeError, match="unsupported server type"):
        make_server(None, "listening", ("127.0.0.1", 0), socketserver.BaseServer)  # type: ignore[arg-type]


def test_starting_twice_is_refused(fake: Simulator) -> None:
    with pytest.raises(ServeError, match="already started"):
        fake.start()


def test_shared_kwargs_are_built_once_per_start() -> None:
    from simulators.common import Shared

    class Counter:
        def __init__(self) -> None:
            self.hits = 0

    class Probe(fake_devices.FrameSystem):
        def __init__(self, counter: Counter) -> None:
            super().__init__()
            self.counter = counter

    shared = Shared(Counter)
    module = types.ModuleType("shared")
    module.System = Probe  # type: ignore[attr-defined]
    module.servers = [  # type: ignore[attr-defined]
        (("127.0.0.1", 0), (), socketserver.ThreadingTCPServer, {"counter": shared}),
        (("127.0.0.1", 0), (), socketserver.ThreadingTCPServer, {"counter": shared}),
    ]
    with Simulator("shared", module, ephemeral=True) as first:
        one, two = first.systems
        assert one.counter is two.counter  # type: ignore[attr-defined]
    with Simulator("shared", module, ephemeral=True) as second:
        assert second.systems[0].counter is not one.counter  # type: ignore[attr-defined]
