"""The layering rules that a static import graph cannot see: what importing a module loads."""

from __future__ import annotations

import json
import subprocess
import sys


def modules_loaded_by(statement: str) -> set[str]:
    probe = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


def test_the_plugin_contract_loads_no_protocol_or_device():
    loaded = modules_loaded_by("import simulators.common")
    ours = {name for name in loaded if name.split(".")[0] in ("simulators", "mfg_ctl")}
    assert "simulators.common" in ours
    assert not {n for n in ours if n.startswith(("simulators.protocols", "simulators.devices"))}
    assert not {n for n in ours if n.startswith("mfg_ctl")}


def test_protocols_and_physics_load_nothing_else_of_ours_and_no_io():
    baseline = modules_loaded_by("pass")
    packages = ("simulators.protocols.modbus", "simulators.protocols.scpi", "simulators.physics")
    for package in packages:
        loaded = modules_loaded_by(f"import {package}") - baseline
        layer = ".".join(package.split(".")[:2])
        ours = {name for name in loaded if name.split(".")[0] in ("simulators", "mfg_ctl")}
        assert ours - {"simulators"} == {n for n in ours if n.startswith(layer)}, package
        assert not loaded & IO_MODULES, package


#: What a sans-IO layer never loads: sockets, threads, event loops, logging, processes.
IO_MODULES = {
    "socket", "socketserver", "selectors", "asyncio", "threading", "logging", "subprocess"
}
