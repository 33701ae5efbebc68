"""Settings: file, environment and command line, in that order of precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from soc_core.config import load_settings, parse_hostport
from soc_core.errors import ConfigError


def test_defaults_are_the_embedded_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOC_CONFIG", "/dev/null")
    s = load_settings()
    assert (s.syslog.host, s.syslog.port, s.api.port) == ("127.0.0.1", 5514, 8000)
    assert s.store.retention_days == 180
    assert s.state_url.startswith("sqlite:///") and s.state_url.endswith("data/state.db")


def test_file_then_environment_then_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "shaowang.toml"
    cfg.write_text(
        '[syslog]\nport = 6000\nhost = "0.0.0.0"\n[api]\nport = 9000\n[[sources]]\nmatch = "192.0.2.0/24"\n'
        'dataset = "syslog.kv"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("SOC_CONFIG", str(cfg))
    monkeypatch.setenv("SOC_API__PORT", "9100")
    s = load_settings(syslog={"port": 7000})
    assert s.syslog.port == 7000 and s.syslog.host == "0.0.0.0"  # nested merge keeps the file's host
    assert s.api.port == 9100
    assert s.sources[0].dataset == "syslog.kv"


def test_errors_name_the_file_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[store]\nretention_days = 0\n", encoding="utf-8")
    monkeypatch.setenv("SOC_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match=r"bad.toml:store.retention_days"):
        load_settings()
    cfg.write_text("[store\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.toml"):
        load_settings()
    monkeypatch.setenv("SOC_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="not found"):
        load_settings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:5514", ("127.0.0.1", 5514)),
        (":8000", ("127.0.0.1", 8000)),
        ("[::1]:6514", ("::1", 6514)),
    ],
)
def test_hostport(text: str, expected: tuple[str, int]) -> None:
    assert parse_hostport(text) == expected


@pytest.mark.parametrize("text", ["nohost", "h:99999", "h:x"])
def test_hostport_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_hostport(text)
