"""The deployment files name commands, options, files and ports that exist.

No container engine runs where this project is built, so ``Dockerfile`` and
``compose.yaml`` are checked by reading them: every command our image runs is
parsed by the real command line (a renamed command or option fails here), the
files they name load, and the ports agree with the station file, the docs and
the commands' defaults.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml
from click.testing import CliRunner

from mfg_ctl.cli.main import cli
from mfg_ctl.plan import load_plan
from mfg_ctl.stations import REFERENCE_PORTS, check_covers, load_station
from simulators.cli_parser import Options, parse

ROOT = Path(__file__).resolve().parents[1]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text("utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
#: The services that run our image (built from the Dockerfile).
OURS = ["station", "migrate", "controller", "web"]
DB_URL = "postgresql://postgres@postgres/mfg"


def command_of(service: str) -> list[str]:
    """The command of a service, as the list the container runs."""
    command = SERVICES[service]["command"]
    assert isinstance(command, list), f"{service}: give the command as a list (exec form)"
    return [str(word) for word in command]


def mfg_ctl_params(words: list[str]) -> dict[str, Any]:
    """The parameters ``mfg-ctl SUB ARGS`` parses to; a click error for an unknown option."""
    subcommand, *args = words
    command = cli.get_command(click.Context(cli), subcommand)
    assert command is not None, f"mfg-ctl has no command {subcommand}"
    with command.make_context(subcommand, args) as context:
        return dict(context.params)


def option_value(service: str, option: str) -> str:
    """The word after ``option`` in a service's command."""
    words = command_of(service)
    return words[words.index(option) + 1]


def long_options(words: list[str]) -> list[str]:
    """The ``--options`` a command line uses, in order."""
    return [word for word in words if word.startswith("--")]


def published(service: str) -> list[str]:
    """The ``ports:`` of a service."""
    return [str(port) for port in SERVICES[service].get("ports", [])]


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text("utf-8")
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_line_has_six_services_and_our_image_runs_four() -> None:
    assert sorted(SERVICES) == ["controller", "migrate", "mosquitto", "postgres", "station", "web"]
    assert sorted(name for name, service in SERVICES.items() if "build" in service) == sorted(OURS)
    assert {SERVICES[name]["build"] for name in OURS} == {"."}
    assert SERVICES["postgres"]["image"] == "postgres:15"
    assert SERVICES["mosquitto"]["image"] == "eclipse-mosquitto:2"


def test_every_command_of_our_image_is_a_console_script_and_its_subcommand() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    scripts = set(project["scripts"])
    assert [command_of(name)[0] for name in OURS] == [
        "discos-simulator",
        "mfg-ctl",
        "mfg-ctl",
        "mfg-ctl",
    ]
    assert {command_of(name)[0] for name in OURS} <= scripts
    runner = CliRunner()
    for name in ("controller", "web"):
        words = command_of(name)
        shown = runner.invoke(cli, [words[1], "--help"])
        assert shown.exit_code == 0, shown.output
        for option in long_options(words):
            assert option in shown.output, f"{name}: mfg-ctl {words[1]} --help lacks {option}"


def test_the_migrate_service_upgrades_the_shared_store() -> None:
    words = command_of("migrate")
    assert words[:3] == ["mfg-ctl", "db", "upgrade"]
    group = cli.get_command(click.Context(cli), "db")
    assert isinstance(group, click.Group)
    upgrade = group.get_command(click.Context(group), "upgrade")
    assert upgrade is not None
    with upgrade.make_context("upgrade", words[3:]) as context:
        assert context.params == {"as_sql": False, "db_url": DB_URL}


def test_the_station_service_serves_the_station_on_every_address_in_the_foreground() -> None:
    words = command_of("station")
    assert parse(words[1:]) == Options(
        command="start", system="station", host="0.0.0.0", foreground=True
    )
    for port in REFERENCE_PORTS.values():
        assert f"127.0.0.1:{port}:{port}" in published("station")
    assert len(published("station")) == len(REFERENCE_PORTS)


def test_the_controller_tests_a_batch_on_the_compose_station(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)  # the image's WORKDIR holds plans/ and stations/ as the repo does
    params = mfg_ctl_params(command_of("controller")[1:])
    assert long_options(command_of("controller")) == [
        "--plan",
        "--batch-id",
        "--stage",
        "--sns",
        "--station",
        "--artifacts",
        "--db",
        "--mqtt",
    ]
    assert params["plan_path"] == Path("plans/station_bringup.yaml")
    assert params["batch_id"] == "line-demo"
    assert params["sns"].split(",")[0] == "SN0001"
    assert params["station_path"] == Path("stations/compose.yaml")
    assert params["artifacts_root"] == Path("/data/runs")
    assert params["db_url"] == DB_URL
    assert (params["mqtt"].host, params["mqtt"].port) == ("mosquitto", 1883)
    check_covers(load_station(params["station_path"]), load_plan(params["plan_path"]))


def test_the_web_service_listens_off_loopback_with_a_token_from_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    words = command_of("web")
    params = mfg_ctl_params(words[1:])
    assert long_options(words) == ["--host", "--port", "--db", "--station", "--token-file"]
    assert (params["host"], params["port"], params["db_url"]) == ("0.0.0.0", 5050, DB_URL)
    assert params["station_path"] == Path("stations/compose.yaml")
    assert (ROOT / params["plans_dir"]).is_dir()  # the default, plans/, which the image copies
    assert params["token_file"] == Path("/run/secrets/web_token")
    assert SERVICES["web"]["secrets"] == ["web_token"]
    assert COMPOSE["secrets"]["web_token"]["file"] == "./deploy/web_token"
    default_port = mfg_ctl_params(["serve-web"])["port"]
    assert default_port == 5050
    assert published("web") == ["5050:5050"]
    probe = " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:5050/healthz" in probe
    assert "/run/secrets/web_token" in probe


def test_the_station_file_reaches_the_station_service_on_the_documented_ports() -> None:
    station = load_station(ROOT / "stations" / "compose.yaml")
    assert {name: (end.host, end.port) for name, end in station.devices.items()} == {
        name: ("station", port) for name, port in REFERENCE_PORTS.items()
    }
    table = (ROOT / "doc" / "reference_station.rst").read_text("utf-8")
    for name, port in REFERENCE_PORTS.items():
        assert re.search(rf'"``{name}``", "TCP listening, Modbus", "{port}"', table), name


def test_the_store_and_broker_urls_name_their_services_on_their_ports() -> None:
    for name in ("controller", "web"):
        db = urlsplit(option_value(name, "--db"))
        assert (db.scheme, db.hostname, db.port) == ("postgresql", "postgres", None)  # 5432
        assert db.path.lstrip("/") == SERVICES["postgres"]["environment"]["POSTGRES_DB"]
    assert published("postgres") == ["127.0.0.1:5432:5432"]
    broker = urlsplit(option_value("controller", "--mqtt"))
    assert (broker.scheme, broker.hostname, broker.port) == ("mqtt", "mosquitto", 1883)
    assert published("mosquitto") == ["127.0.0.1:1883:1883"]


def test_mosquitto_takes_anonymous_clients_on_1883_from_the_shipped_config() -> None:
    mounts = [str(volume) for volume in SERVICES["mosquitto"]["volumes"]]
    config = next(volume for volume in mounts if volume.startswith("./"))
    source, target = config.split(":")[:2]
    assert target == "/mosquitto/config/mosquitto.conf"
    settings = [
        shlex.split(line)
        for line in (ROOT / source).read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ["listener", "1883"] in settings
    assert ["allow_anonymous", "true"] in settings


def test_dependants_wait_for_healthy_services_and_volumes_are_named() -> None:
    checked = sorted(name for name, service in SERVICES.items() if "healthcheck" in service)
    assert checked == ["mosquitto", "postgres", "station", "web"]
    assert SERVICES["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    waits = {
        (name, needed): condition["condition"]
        for name, service in SERVICES.items()
        for needed, condition in service.get("depends_on", {}).items()
    }
    assert sorted(waits) == [
        ("controller", "migrate"),
        ("controller", "mosquitto"),
        ("controller", "station"),
        ("migrate", "postgres"),
        ("web", "migrate"),
        ("web", "station"),
    ]
    # the store is upgraded before anything opens it (a shared store is never upgraded on open)
    assert {waits["controller", "migrate"], waits["web", "migrate"]} == {
        "service_completed_successfully"
    }
    assert {waits["migrate", "postgres"]} == {"service_healthy"}
    assert SERVICES["migrate"]["restart"] == "no"
    sources = [
        str(volume).split(":")[0]
        for service in SERVICES.values()
        for volume in service.get("volumes", [])
    ]
    named = [source for source in sources if not source.startswith(("./", "/"))]
    assert sorted(named) == sorted(COMPOSE["volumes"]) == ["mqttdata", "pgdata", "runs"]
    assert all((ROOT / source).is_file() for source in sources if source.startswith("./"))


def test_the_image_is_slim_runs_as_a_user_and_installs_the_extras() -> None:
    instructions = dockerfile()
    assert instructions[0] == ("FROM", "python:3.11-slim")
    users = [argument for keyword, argument in instructions if keyword == "USER"]
    assert users, "the image must name a USER"
    assert users[-1] not in ("root", "0"), "the image must not run as root"
    installs = [argument for keyword, argument in instructions if "pip install" in argument]
    assert installs == ['pip install ".[web,pg,mqtt,reports]"']
    assert any("libpango" in argument for keyword, argument in instructions if keyword == "RUN")
    exposed = [argument.split() for keyword, argument in instructions if keyword == "EXPOSE"]
    assert sorted(int(port) for ports in exposed for port in ports) == sorted(
        [*REFERENCE_PORTS.values(), 5050]
    )


def test_every_file_the_image_copies_exists_and_is_not_ignored() -> None:
    copied = [
        source
        for keyword, argument in dockerfile()
        if keyword == "COPY"
        for source in argument.split()[:-1]
    ]
    assert {"pyproject.toml", "simulators", "mfg_ctl", "plans", "stations"} <= set(copied)
    for source in copied:
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "deploy/web_token"} <= ignored
    assert not ignored & set(copied)


def test_doc_deploy_names_every_published_port_of_its_service() -> None:
    page = (ROOT / "doc" / "deploy.rst").read_text("utf-8")
    rows = dict(re.findall(r"\* - ``(\w+)``\n +- .*\n +- (.*)", page))
    for name in SERVICES:
        ports = sorted(int(port.split(":")[-1]) for port in published(name))
        if not ports:
            assert rows[name] == "none", name
            continue
        shown = [int(number) for number in re.findall(r"\d+", rows[name].split("(")[0])]
        assert (min(shown), max(shown)) == (min(ports), max(ports)), name
