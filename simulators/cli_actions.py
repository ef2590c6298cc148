"""What ``discos-simulator``'s commands do: list, start, stop, status, serve in the foreground.

:mod:`simulators.cli` parses the command line and calls :func:`run`, only once
a command is to run (so ``--help`` and ``--version`` load none of this). A
failure that ends the command is a :class:`~simulators.cli_errors.CliError`;
a failure of one simulator among several is its ``error:`` line and status 1.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType, ModuleType
from typing import TextIO

from simulators import plugins, runtime
from simulators.cli_errors import EXIT_ERROR, EXIT_NOT_RUNNING, EXIT_OK, CliError
from simulators.cli_parser import Options
from simulators.launcher import BindError, ServeError, Simulator, bind_warning, check_host
from simulators.serve_log import logger, logging_for, output_to_log

__all__ = ["run"]


def run(options: Options) -> int:
    """Run the command ``options`` asks for; return its exit status.

    A failure of the library (an unknown simulator or type, a port in use, a
    launch that failed) becomes a :class:`CliError`.
    """
    try:
        with logging_for(options.verbose, options.log_file):
            return _run(options)
    except (plugins.PluginError, ServeError, runtime.LaunchError) as error:
        raise CliError(str(error)) from error


def _run(options: Options) -> int:
    if options.command in ("list", "start"):
        check_host(options.host)
    if options.command == "list":
        return _list(options)
    if options.system:
        plugins.load(options.system)  # an unknown name is an error for every command
        names = [options.system]
    else:
        names = plugins.started_with_all()
    command = {"start": _start, "stop": _stop, "status": _status}[options.command]
    return command(options, names)


def _list(options: Options) -> int:
    host = f"[{options.host}]" if ":" in options.host else options.host
    for name in plugins.discover():
        try:
            module = plugins.load(name)
        except plugins.PluginError as error:
            print(f"{name:<14} (cannot load: {error})")
            continue
        details = []
        types = plugins.types(module)
        if types is not None:
            listed = [f"{kind} (default)" if kind == types[1] else kind for kind in types[0]]
            details.append(f"types: {', '.join(listed)}")
        for entry in plugins.entries(module):
            for role, address in (("listening", entry.listening), ("sending", entry.sending)):
                if address is not None:
                    port = address[1] + options.port_offset if address[1] else 0
                    details.append(f"{host}:{port}/{entry.transport} {role}")
        print(f"{name:<14} {plugins.describe(module)}")
        for line in details:
            print(f"{'':<14}   {line}")
    return EXIT_OK


def _effective_type(module: ModuleType, requested: str | None) -> str | None:
    """The type a start with ``-t requested`` serves: the default when none is given."""
    types = plugins.types(module)
    return None if types is None else requested or types[1]


def _start(options: Options, names: list[str]) -> int:
    warning = bind_warning(options.host)
    if warning is not None:
        print(warning, file=sys.stderr)
    if options.foreground:
        if not options.system:
            raise CliError("--foreground serves one simulator: add -s NAME")
        return _serve(options, names[0])
    status = EXIT_OK
    for name in names:
        key = runtime.instance_key(name, options.port_offset)
        instance = runtime.read(key)
        if instance is not None:
            wanted = _effective_type(plugins.load(name), options.type)
            if instance.system_type != wanted:
                CliError(
                    f"{name} is already running with -t {instance.system_type} "
                    f"(pid {instance.pid}); stop it first or use --port-offset to run "
                    "another copy"
                ).show()
                status = EXIT_ERROR
                continue
            print(f"{name} is already running (pid {instance.pid})")
        else:
            try:
                instance = runtime.spawn(_forwarded(options, name), key)
            except runtime.LaunchError as error:
                # Name the simulator, unless its own message already does.
                where = "" if f"'{name}'" in str(error) else f"{name}: "
                CliError(f"{where}{error}").show()
                status = EXIT_ERROR
                continue
            print(f"{name} started (pid {instance.pid})")
        _print_addresses(instance)
    return status


def _forwarded(options: Options, name: str) -> list[str]:
    arguments = ["-s", name, "--host", options.host, "--port-offset", str(options.port_offset)]
    if options.type:
        arguments += ["-t", options.type]
    if options.ephemeral_ports:
        arguments.append("--ephemeral-ports")
    if options.idle_timeout is not None:
        arguments += ["--idle-timeout", repr(options.idle_timeout)]
    if options.verbose:
        arguments.append("--verbose")
    return arguments


def _print_addresses(instance: runtime.Instance, out: TextIO | None = None) -> None:
    for address, endpoint in zip(instance.addresses, instance.endpoints(), strict=True):
        print(f"  {endpoint}  {address['transport']} {address['role']}", file=out)


def _serve(options: Options, name: str) -> int:
    """Serve one simulator in this process until a signal or ``$system_stop%``."""
    key = runtime.instance_key(name, options.port_offset)
    running = runtime.read(key)
    if running is not None and running.pid != os.getpid():
        raise CliError(f"{name} is already running (pid {running.pid}); stop it first")
    module = plugins.load(name)
    simulator = Simulator(
        name,
        module,
        system_type=options.type,
        host=options.host,
        port_offset=options.port_offset,
        ephemeral=options.ephemeral_ports,
        idle_timeout=options.idle_timeout,
    )
    try:
        simulator.start()
    except BindError as error:
        raise CliError(_named_clash(error) or str(error)) from None

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        simulator.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    addresses: list[dict[str, str | int]] = [
        {"role": a.role, "transport": a.transport, "host": a.host, "port": a.port}
        for a in simulator.addresses
    ]
    instance = runtime.record(key, os.getpid(), addresses, _effective_type(module, options.type))
    # With a log file, what the simulator prints goes to the log from before it is
    # recorded (a client may connect as soon as it is): only these lines reach stdout.
    with output_to_log(options.log_file is not None) as console:
        runtime.write(instance)
        try:
            print(f"{name} serving (pid {instance.pid})", file=console)
            _print_addresses(instance, console)
            console.flush()
            served = ", ".join(instance.endpoints())
            logger.info("%s serving (pid %d) on %s", name, instance.pid, served)
            while not simulator.wait(0.05):
                pass
        finally:
            simulator.stop()
            runtime.remove(key, pid=instance.pid, start_time=instance.start_time)
    logger.info("%s stopped (pid %d)", name, instance.pid)
    print(f"{name} stopped", flush=True)
    return EXIT_OK


def _named_clash(error: BindError) -> str | None:
    """Name the simulator of ours that holds the port a bind found in use, if any."""
    if not error.in_use:
        return None
    owner = runtime.owner_of(error.host, error.port, error.transport)
    if owner is None or owner.pid == os.getpid():
        return None
    host = f"[{error.host}]" if ":" in error.host else error.host
    shift = f" --port-offset {owner.port_offset}" if owner.port_offset else ""
    return (
        f"port {host}:{error.port}/{error.transport} is already in use by simulator "
        f"{owner.name} (pid {owner.pid}); stop it (discos-simulator -s {owner.name}{shift} stop) "
        "or use --port-offset N"
    )


def _targets(options: Options, names: list[str]) -> dict[str, runtime.Instance | None]:
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


def _other_copies(key: str) -> str:
    """Say which copies of ``key``'s simulator run with another port offset, if any."""
    name = runtime.Instance(key, 0, []).name
    copies = [
        (
            f"with --port-offset {other.port_offset}"
            if other.port_offset
            else "without --port-offset"
        )
        + f": pid {other.pid}"
        for other in runtime.instances()
        if other.name == name and other.key != key
    ]
    if not copies:
        return ""
    if len(copies) == 1:
        return f" (a copy runs {copies[0]})"
    return f" (copies run {'; '.join(copies)})"


def _offset_words(port_offset: int) -> str:
    return f"with --port-offset {port_offset}" if port_offset else "without --port-offset"


def _stop(options: Options, names: list[str]) -> int:
    for key, instance in _targets(options, names).items():
        if instance is None or not runtime.terminate(instance):
            if options.system:
                print(f"{key} already stopped{_other_copies(key)}")
            continue
        print(f"{key} stopped")
    return EXIT_OK


def _status(options: Options, names: list[str]) -> int:
    status = EXIT_OK
    for key, instance in _targets(options, names).items():
        if instance is None:
            hint = _other_copies(key) if options.system else ""
            print(f"{key} stopped{hint}")
            status = EXIT_NOT_RUNNING
            continue
        print(f"{key} running (pid {instance.pid})")
        _print_addresses(instance)
    return status if options.system else EXIT_OK
