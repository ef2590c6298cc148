"""``discos-simulator``: list, start, stop and show the status of simulators.

A thin shell: it parses arguments and calls :mod:`simulators.plugins`,
:mod:`simulators.launcher` and :mod:`simulators.runtime`. Every failure is one
line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from simulators import plugins, runtime
from simulators.launcher import DEFAULT_HOST, ServeError, Simulator

__all__ = ["main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_RUNNING = 3  # status: as LSB init scripts report a stopped service


class CliError(Exception):
    """A failure to report as one line."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="discos-simulator",
        description="Run simulated instruments on real sockets.",
        epilog="examples: discos-simulator list; discos-simulator -s dut start; "
        "discos-simulator -s power_supply -t modbus-tcp start; discos-simulator status",
    )
    parser.add_argument("command", choices=["list", "start", "stop", "status"])
    parser.add_argument("-s", "--system", metavar="NAME", help="the simulator (default: all)")
    parser.add_argument("-t", "--type", metavar="TYPE", help="the simulator's type, if it has any")
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to serve on (default {DEFAULT_HOST})"
    )
    parser.add_argument(
        "--port-offset", type=int, default=0, metavar="N", help="add N to every port"
    )
    parser.add_argument(
        "--ephemeral-ports", action="store_true", help="let the OS choose every port (printed)"
    )
    parser.add_argument(
        "--foreground", action="store_true", help="serve in this process until SIGTERM/SIGINT"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    options = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if options.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    status = EXIT_ERROR
    try:
        status = _run(options)
    except (CliError, plugins.PluginError, ServeError, runtime.LaunchError) as error:
        print(f"error: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        quiet_stdout()  # the reader went away (| head): nothing more to say
    return status


def _run(options: argparse.Namespace) -> int:
    if options.command == "list":
        return _list(options)
    if options.system:
        plugins.load(options.system)  # an unknown name is an error for every command
        names = [options.system]
    else:
        names = plugins.started_with_all()
    command = {"start": _start, "stop": _stop, "status": _status}[options.command]
    return command(options, names)


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _list(options: argparse.Namespace) -> int:
    for name in plugins.discover():
        try:
            module = plugins.load(name)
        except plugins.PluginError as error:
            print(f"{name:<14} (cannot load: {error})")
            continue
        served = []
        host = f"[{options.host}]" if ":" in options.host else options.host
        for entry in plugins.entries(module):
            for role, address in (("listening", entry.listening), ("sending", entry.sending)):
                if address is not None:
                    port = address[1] + options.port_offset if address[1] else 0
                    served.append(f"{host}:{port}/{entry.transport} {role}")
        print(f"{name:<14} {plugins.describe(module)}")
        for line in served:
            print(f"{'':<14}   {line}")
    return EXIT_OK


def _start(options: argparse.Namespace, names: list[str]) -> int:
    if options.foreground:
        if not options.system:
            raise CliError("--foreground serves one simulator: add -s NAME")
        return _serve(options, names[0])
    status = EXIT_OK
    for name in names:
        key = runtime.instance_key(name, options.port_offset)
        instance = runtime.read(key)
        if instance is not None:
            print(f"{name} is already running (pid {instance.pid})")
        else:
            try:
                instance = runtime.spawn(_forwarded(options, name), key)
            except runtime.LaunchError as error:
                # Name the simulator, unless its own message already does.
                where = "" if f"'{name}'" in str(error) else f"{name}: "
                print(f"error: {where}{error}", file=sys.stderr)
                status = EXIT_ERROR
                continue
            print(f"{name} started (pid {instance.pid})")
        _print_addresses(instance)
    return status


def _forwarded(options: argparse.Namespace, name: str) -> list[str]:
    arguments = ["-s", name, "--host", options.host, "--port-offset", str(options.port_offset)]
    if options.type:
        arguments += ["-t", options.type]
    if options.ephemeral_ports:
        arguments.append("--ephemeral-ports")
    if options.verbose:
        arguments.append("--verbose")
    return arguments


def _print_addresses(instance: runtime.Instance) -> None:
    for address, endpoint in zip(instance.addresses, instance.endpoints(), strict=True):
        print(f"  {endpoint}  {address['transport']} {address['role']}")


def _serve(options: argparse.Namespace, name: str) -> int:
    """Serve one simulator in this process until a signal or ``$system_stop%``."""
    key = runtime.instance_key(name, options.port_offset)
    running = runtime.read(key)
    if running is not None and running.pid != os.getpid():
        raise CliError(f"{name} is already running (pid {running.pid}); stop it first")
    simulator = Simulator(
        name,
        plugins.load(name),
        system_type=options.type,
        host=options.host,
        port_offset=options.port_offset,
        ephemeral=options.ephemeral_ports,
    )
    simulator.start()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        simulator.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    instance = runtime.Instance(
        key,
        os.getpid(),
        [
            {"role": a.role, "transport": a.transport, "host": a.host, "port": a.port}
            for a in simulator.addresses
        ],
    )
    runtime.write(instance)
    try:
        print(f"{name} serving (pid {instance.pid})", flush=True)
        _print_addresses(instance)
        sys.stdout.flush()
        while not simulator.wait(0.05):
            pass
    finally:
        simulator.stop()
        runtime.remove(key, pid=instance.pid)
    print(f"{name} stopped", flush=True)
    return EXIT_OK


def _targets(options: argparse.Namespace, names: list[str]) -> dict[str, runtime.Instance | None]:
    """Map runtime keys to running instances: the named simulator, or everything.

    Without ``-s``, every simulator at this port offset is listed, plus every
    other copy that is running (whatever its offset).
    """
    targets = {
        runtime.instance_key(name, options.port_offset): runtime.read(
            runtime.instance_key(name, options.port_offset)
        )
        for name in names
    }
    if not options.system:
        targets.update({instance.key: instance for instance in runtime.instances()})
    return dict(sorted(targets.items()))


def _stop(options: argparse.Namespace, names: list[str]) -> int:
    for key, instance in _targets(options, names).items():
        if instance is None:
            if options.system:
                print(f"{key} is not running")
            continue
        runtime.terminate(instance)
        print(f"{key} stopped")
    return EXIT_OK


def _status(options: argparse.Namespace, names: list[str]) -> int:
    status = EXIT_OK
    for key, instance in _targets(options, names).items():
        if instance is None:
            print(f"{key} stopped")
            status = EXIT_NOT_RUNNING
            continue
        print(f"{key} running (pid {instance.pid})")
        _print_addresses(instance)
    return status if options.system else EXIT_OK
