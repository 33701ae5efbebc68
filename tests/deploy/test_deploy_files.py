"""deploy/: every command the compose file and the systemd units run is one ``soc`` accepts,
the settings example loads, and the images are the versions the code is pinned to."""

from __future__ import annotations

import configparser
import os
import shlex
from pathlib import Path

import pytest
import yaml

from soc_api.cli import build_parser
from soc_core.config import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def _compose() -> dict[str, object]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _soc_args(argv: list[str]) -> list[str]:
    assert Path(argv[0]).name == "soc", argv
    return argv[1:]


def test_compose_commands_are_soc_commands() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    commands = {
        name: spec["command"] for name, spec in services.items() if "shaowang" in str(spec.get("image", ""))
    }
    assert set(commands) == {"console", "collector", "worker"}
    parser = build_parser()
    for name, argv in commands.items():
        args = parser.parse_args(_soc_args(list(argv)))
        assert args.command in {"run", "collector", "worker"}, name
    assert services["worker"]["deploy"]["replicas"] >= 2


def test_compose_pins_elasticsearch_and_kibana_to_8() -> None:
    services = _compose()["services"]
    assert isinstance(services, dict)
    for name in ("elasticsearch", "kibana"):
        image = services[name]["image"]
        assert image.split(":")[1].startswith("8."), image  # elasticsearch>=8.13,<9 in pyproject
    assert "-js" in services["nats"]["command"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_units_run_soc_commands(unit: Path) -> None:
    config = configparser.ConfigParser(interpolation=None, strict=False)
    config.read(unit, encoding="utf-8")
    service = config["Service"]
    argv = shlex.split(service["ExecStart"].replace("%i", "1").replace("%H", "host"))
    args = build_parser().parse_args(_soc_args(argv))
    assert args.command in {"run", "collector", "worker"}
    assert service["KillSignal"] == "SIGTERM"  # the clean stop that forwards / finishes batches
    assert service["User"] == "shaowang"
    assert config["Install"]["WantedBy"] == "multi-user.target"


def test_example_settings_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOC_CONFIG", str(DEPLOY / "shaowang.toml.example"))
    monkeypatch.setenv("SOC_STORE__ELASTICSEARCH__URL", "http://127.0.0.1:9")
    for key in [
        k
        for k in os.environ
        if k.startswith("SOC_") and k not in {"SOC_CONFIG", "SOC_STORE__ELASTICSEARCH__URL"}
    ]:
        monkeypatch.delenv(key)
    settings = load_settings()
    assert settings.store.backend == "elasticsearch"
    assert settings.store.retention_days >= 180
    assert settings.scaleout.partitions >= 2 * 2
