"""`make run`: start the dut simulator, query it, show its telemetry, inject a fault, stop it.

Everything goes through the public tools a user has: the ``discos-simulator``
command and :class:`simulators.client.Client` on the documented ports
(6000-6002), or on ports moved by ``--port-offset N`` as the command's own
option of that name does, so the session can run beside another copy.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from simulators.client import Client

SIMULATOR = [sys.executable, "-m", "simulators", "-s", "dut"]
HOST = "127.0.0.1"


def run(arguments: list[str], offset: int) -> str:
    """Run discos-simulator and echo what it prints; stop the demo if it fails."""
    if offset:
        arguments = ["--port-offset", str(offset), *arguments]
    print(f"$ discos-simulator -s dut {' '.join(arguments)}")
    result = subprocess.run([*SIMULATOR, *arguments], capture_output=True, text=True, check=False)
    print(result.stdout + result.stderr, end="")
    if result.returncode != 0:
        sys.exit(result.returncode)
    return result.stdout


def ask(dut: Client, command: str) -> None:
    """Send one command line and print the exchange."""
    reply = dut.query(command.encode() + b"\n").decode().strip()
    print(f"  > {command:<12} < {reply}")


def main(argv: list[str] | None = None) -> int:
    """Run the session."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port-offset",
        type=int,
        default=0,
        metavar="N",
        help="add N to every port, as discos-simulator --port-offset does",
    )
    offset = parser.parse_args(argv).port_offset
    commands, telemetry_port, status_port = (port + offset for port in (6000, 6001, 6002))
    started = "already running" not in run(["start"], offset)
    try:
        print(f"\nCommands on {HOST}:{commands}")
        with Client(HOST, commands) as dut:
            for command in (
                "*IDN?",
                "POWER ON",
                "LOAD 0.25",
                "MEAS:VOLT?",
                "MEAS:CURR?",
                "MEAS:TEMP?",
            ):
                ask(dut, command)
            print(f"\nTelemetry from {HOST}:{telemetry_port}")
            with Client(HOST, telemetry_port) as telemetry:
                for _ in range(3):
                    print("  " + telemetry.receive().decode().strip())
            print("\nFault injection: $system_fail_next:2%  (as with printf ... | nc)")
            print(f"  < {dut.custom('fail_next', 2)}")
            for command in ("MEAS:VOLT?", "MEAS:VOLT?", "MEAS:VOLT?"):
                ask(dut, command)
        print(f"\nThe second unit, status over UDP from {HOST}:{status_port} (never powered on)")
        with Client(HOST, status_port, transport="udp") as status:
            print("  " + status.query(b"STATUS?\n").decode().strip())
        print()
        run(["status"], offset)
    finally:
        if started:
            run(["stop"], offset)
    return 0


if __name__ == "__main__":
    sys.exit(main())
