"""The runtime directory: where it is, and that it is refused unless private to the user.

A runtime directory that others can write to lets them plant records, and
``stop`` signals the pid a record names: it must belong to the user, be a real
directory (not a symbolic link) and have no group or other permission bits.
"""

from __future__ import annotations

import os
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators import runtime
from simulators.runtime import RuntimeDirError
from tests.cli_support import cli, launched

__all__ = ["cli"]  # a fixture, imported for pytest

WAIT = 5.0
ADDRESSES: list[dict[str, str | int]] = [
    {"role": "listening", "transport": "tcp", "host": "127.0.0.1", "port": 6000},
]


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = launched("sleep", "60")
    yield process
    process.kill()
    process.wait(WAIT)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# -- where ------------------------------------------------------------------------------


def test_runtime_dir_from_the_environment_variable_first(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(tmp_path / "mine" / "deeper"))
    path = runtime.runtime_dir()
    assert path == tmp_path / "mine" / "deeper"
    assert path.is_dir()
    assert not (tmp_path / "xdg").exists()


def test_runtime_dir_under_xdg_runtime_dir(tmp_path, monkeypatch):
    monkeypatch.delenv(runtime.ENV_RUNTIME_DIR, raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
    path = runtime.runtime_dir()
    assert path == tmp_path / "xdg" / "discos-simulators"
    assert mode(path) == 0o700


def test_runtime_dir_falls_back_to_the_temporary_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(runtime.ENV_RUNTIME_DIR, raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    path = runtime.runtime_dir()
    assert path == tmp_path / f"discos-simulators-{os.getuid()}"
    assert mode(path) == 0o700


# -- private ----------------------------------------------------------------------------


def test_a_new_runtime_dir_is_0700_whatever_the_umask(tmp_path, monkeypatch):
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(tmp_path / "run"))
    previous = os.umask(0o777)  # would leave mkdir's 0700 as 0000
    try:
        path = runtime.runtime_dir()
    finally:
        os.umask(previous)
    assert mode(path) == 0o700
    assert runtime.runtime_dir() == path  # and it is then accepted


@pytest.mark.parametrize("bits", [0o777, 0o755, 0o710, 0o701])
def test_a_runtime_dir_open_to_others_is_refused_and_left_alone(tmp_path, monkeypatch, bits):
    path = tmp_path / "shared"
    path.mkdir()
    path.chmod(bits)
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(path))
    with pytest.raises(RuntimeDirError) as error:
        runtime.runtime_dir()
    message = str(error.value)
    assert f"runtime directory {path} is mode {bits:04o}" in message
    assert runtime.ENV_RUNTIME_DIR in message
    assert "\n" not in message
    assert mode(path) == bits  # never chmod a directory we did not create


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a directory away needs root")
def test_a_runtime_dir_owned_by_another_user_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "theirs"
    path.mkdir(mode=0o700)
    os.chown(path, 65534, 65534)
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(path))
    with pytest.raises(RuntimeDirError, match=f"{path} is owned by uid 65534: remove it"):
        runtime.runtime_dir()
    assert os.lstat(path).st_uid == 65534


def test_a_symbolic_link_as_runtime_dir_is_refused(tmp_path, monkeypatch):
    target = tmp_path / "private"
    target.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(target)
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(link))
    with pytest.raises(RuntimeDirError, match=f"{link} is a symbolic link"):
        runtime.runtime_dir()


def test_a_file_as_runtime_dir_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "file"
    path.write_text("")
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(path))
    with pytest.raises(RuntimeDirError, match=f"{path} is not a directory"):
        runtime.runtime_dir()


def test_a_runtime_dir_that_cannot_be_created_is_one_error(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(tmp_path / "file" / "run"))
    with pytest.raises(RuntimeDirError, match=r"cannot create runtime directory .*file/run: "):
        runtime.runtime_dir()


def test_a_planted_record_in_a_shared_runtime_dir_is_never_believed(
    tmp_path, monkeypatch, cli, sleeper
):
    # Someone else's world-writable directory, with a record naming a live process:
    # forged with that process's real start time and command line, as anyone can.
    path = tmp_path / "discos-simulators-0"
    path.mkdir()
    path.chmod(0o777)
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(path))
    with monkeypatch.context() as patch:
        patch.setattr(runtime, "_check_private", lambda _path: None)
        runtime.write(runtime.record("dut", sleeper.pid, ADDRESSES, "clean"))

    for command in ("stop", "status", "start"):
        status, out, err = cli("-s", "dut", command)
        assert status == 1, command
        assert out == ""
        assert err == (
            f"error: runtime directory {path} is mode 0777: remove it or set "
            f"{runtime.ENV_RUNTIME_DIR} to a private directory (yours, mode 0700)\n"
        )
    assert sleeper.poll() is None  # never signalled
    assert (path / "dut.json").exists()  # and nothing was changed there
