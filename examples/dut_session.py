"""`make run`: start the dut simulator, query it, show its telemetry, inject a fault, stop it.

Everything goes through the public tools a user has: the ``discos-simulator``
command and :class:`simulators.client.Client` on the documented ports.
"""

from __future__ import annotations

import subprocess
import sys

from simulators.client import Client

SIMULATOR = [sys.executable, "-m", "simulators", "-s", "dut"]
HOST = "127.0.0.1"


def run(arguments: list[str]) -> str:
    """Run discos-simulator and echo what it prints; stop the demo if it fails."""
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


def main() -> int:
    """Run the session."""
    started = "already running" not in run(["start"])
    try:
        print(f"\nCommands on {HOST}:6000")
        with Client(HOST, 6000) as dut:
            for command in ("*IDN?", "POWER ON", "LOAD 0.25", "MEAS:VOLT?", "MEAS:CURR?",
                            "MEAS:TEMP?"):
                ask(dut, command)
            print(f"\nTelemetry from {HOST}:6001")
            with Client(HOST, 6001) as telemetry:
                for _ in range(3):
                    print("  " + telemetry.receive().decode().strip())
            print("\nFault injection: $system_fail_next:2%  (as with printf ... | nc)")
            print(f"  < {dut.custom('fail_next', 2)}")
            for command in ("MEAS:VOLT?", "MEAS:VOLT?", "MEAS:VOLT?"):
                ask(dut, command)
        print(f"\nThe second unit, status over UDP from {HOST}:6002 (never powered on)")
        with Client(HOST, 6002, transport="udp") as status:
            print("  " + status.query(b"STATUS?\n").decode().strip())
        print()
        run(["status"])
    finally:
        if started:
            run(["stop"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
