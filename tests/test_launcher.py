"""The launcher's guards: no empty host, a warning for every non-loopback bind, bind errors.

``mfg-ctl serve`` and ``discos-simulator`` both serve through
:class:`~simulators.launcher.Simulator`, so both get these.
"""

from __future__ import annotations

import socket

import pytest

from simulators import plugins
from simulators.launcher import BindError, ServeError, Simulator, bind_warning, check_host


@pytest.mark.parametrize("host", ["", " ", "\t"])
def test_an_empty_host_is_refused(host):
    # BUG: '' binds every interface, silently (an unset shell variable: --host "$HOST")
    with pytest.raises(ServeError) as error:
        check_host(host)
    assert str(error.value).startswith("--host is empty: give an address such as 127.0.0.1")
    simulator = Simulator("dut", plugins.load("dut"), host=host, ephemeral=True)
    with pytest.raises(ServeError, match="--host is empty"):
        simulator.start()
    assert simulator.addresses == []


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.1.2.3", "::1", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]
)
def test_a_loopback_bind_has_no_warning(host):
    check_host(host)
    assert bind_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "lab-pc.local"])
def test_any_other_bind_warns_that_custom_commands_are_unauthenticated(host):
    warning = bind_warning(host)
    assert warning is not None
    assert "\n" not in warning
    assert warning.startswith(f"warning: serving on {host}: ")
    assert "custom commands ($system_*) are unauthenticated" in warning
    assert "inject faults or stop the simulator" in warning


def test_a_port_in_use_is_a_bind_error_that_says_where():
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        module = plugins.load("dut")
        simulator = Simulator("dut", module, port_offset=port - 6000)
        with pytest.raises(BindError) as error:
            simulator.start()
    assert (error.value.host, error.value.port, error.value.transport) == (
        "127.0.0.1",
        port,
        "tcp",
    )
    assert error.value.in_use
    assert isinstance(error.value, ServeError)  # what callers already catch
    assert "already in use" in str(error.value)
