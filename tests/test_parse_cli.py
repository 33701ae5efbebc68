"""``soc parse`` as a real subprocess: stdout NDJSON, dead-letter file, stderr summary, exit codes."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

GOOD_KV = "<190>Nov 27 16:00:01 fw01 src=192.0.2.10 dst=198.51.100.7 dport=443 action=deny 用户=张三"
GOOD_JSON = '{"time": "2026-11-27 15:59:59", "src_ip": "192.0.2.1", "msg": "hello"}'


def soc_parse(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "soc_api.cli", "parse", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


def summary(proc: subprocess.CompletedProcess[bytes]) -> dict[str, int]:
    last = proc.stderr.decode().rstrip("\n").splitlines()[-1]
    parsed: dict[str, int] = json.loads(last)
    return parsed


def test_good_and_bad_lines(tmp_path: Path) -> None:
    raw = tmp_path / "in.log"
    bad_gbk_junk = b"\xff\xfe\xfa\xfb"
    raw.write_bytes(
        GOOD_KV.encode()
        + b"\n"
        + b"just some words\n"
        + GOOD_JSON.encode()
        + b"\r\n"
        + b"\n"
        + bad_gbk_junk
        + b"\n"
        + "动作=拒绝 源=192.0.2.3".encode("gbk")  # no final newline
    )
    dead = tmp_path / "dead.ndjson"
    proc = soc_parse("--dead-letter", str(dead), str(raw))
    assert proc.returncode == 0, proc.stderr.decode()
    assert summary(proc) == {"lines": 6, "events": 3, "dead_letter": 3}

    events = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [e["event"]["dataset"] for e in events] == ["syslog.kv", "json.log", "syslog.kv"]
    assert events[0]["source"]["ip"] == "192.0.2.10"
    assert events[0]["event"]["type"] == ["connection", "denied"]
    assert events[0]["@timestamp"].startswith("20") and events[0]["@timestamp"].endswith("Z")
    assert events[0]["log"]["file"]["path"] == str(raw) and events[0]["log"]["offset"] == 1
    assert events[2]["syslog"]["kv"]["动作"] == "拒绝"

    stderr_lines = proc.stderr.decode().splitlines()
    assert (
        f"{raw}:2: no_parser_recognised: no parser recognised the record "
        "(not a known device format, not JSON, not key=value)" in (stderr_lines)
    )
    assert any(line.startswith(f"{raw}:4: empty_record") for line in stderr_lines)
    assert any(line.startswith(f"{raw}:5: undecodable") for line in stderr_lines)

    letters = [json.loads(line) for line in dead.read_text("utf-8").splitlines()]
    assert [d["error"]["type"] for d in letters] == ["no_parser_recognised", "empty_record", "undecodable"]
    assert [d["log"]["offset"] for d in letters] == [2, 4, 5]
    assert base64.b64decode(letters[2]["shaowang"]["deadletter"]["raw_b64"]) == bad_gbk_junk
    assert all(d["event"]["kind"] == "pipeline_error" for d in letters)
    assert all(d["shaowang"]["deadletter"]["origin"] == f"file:{raw}" for d in letters)

    # appended, not overwritten, on a second run
    soc_parse("--dead-letter", str(dead), str(raw))
    assert len(dead.read_text("utf-8").splitlines()) == 6


def test_stdin_format_and_timezone() -> None:
    lines = b'a=1 b=2 time="2026-11-27 16:00:00"\n' + GOOD_JSON.encode() + b"\n"
    proc = soc_parse("--format", "syslog.kv", "--timezone", "UTC", "-", stdin=lines)
    assert proc.returncode == 0
    # forced: the JSON line (no key=value pairs) is not auto-detected as JSON but dead-lettered
    assert summary(proc) == {"lines": 2, "events": 1, "dead_letter": 1}
    (first,) = (json.loads(line) for line in proc.stdout.decode().splitlines())
    assert first["@timestamp"] == "2026-11-27T16:00:00Z"  # --timezone UTC
    assert first["event"]["dataset"] == "syslog.kv"
    assert b"stdin:2: parse_error: no key=value pairs" in proc.stderr


def test_dead_letters_without_file_are_counted() -> None:
    proc = soc_parse(stdin=b"nothing here\n")
    assert proc.returncode == 0
    assert summary(proc) == {"lines": 1, "events": 0, "dead_letter": 1}
    assert b"stdin:1: no_parser_recognised" in proc.stderr
    assert b"--dead-letter" in proc.stderr


def test_unknown_format_and_timezone_exit_2() -> None:
    proc = soc_parse("--format", "nope.log", stdin=b"a=1 b=2\n")
    assert proc.returncode == 2
    assert b"json.log" in proc.stderr and b"syslog.kv" in proc.stderr
    assert summary(proc) == {"lines": 0, "events": 0, "dead_letter": 0}
    assert soc_parse("--timezone", "Mars/Olympus", stdin=b"").returncode == 2


def test_missing_file_exit_1(tmp_path: Path) -> None:
    good = tmp_path / "good.log"
    good.write_text(GOOD_KV + "\n", "utf-8")
    proc = soc_parse(str(tmp_path / "absent.log"), str(good))
    assert proc.returncode == 1
    assert summary(proc) == {"lines": 1, "events": 1, "dead_letter": 0}


def test_sources_by_syslog_hostname(tmp_path: Path) -> None:
    """A relay forwards several devices: the settings map each by its syslog hostname."""
    config = tmp_path / "shaowang.toml"
    config.write_text(
        '[[sources]]\nmatch = "GW-Branch-7"\ndataset = "syslog.kv"\ntimezone = "UTC"\n'
        '[[sources]]\nmatch = "legacy-box"\ntimezone = "+09:00"\n',
        "utf-8",
    )
    raw = tmp_path / "relay.log"
    raw.write_text(
        # auto-detection would take this for JSON; the mapping says key=value
        '<190>Nov 27 16:00:01 gw-branch-7 {"a": 1} src=192.0.2.10 action=deny\n'
        "<190>Nov 27 16:00:01 legacy-box src=192.0.2.11 action=allow\n"
        "<190>Nov 27 16:00:01 other-box src=192.0.2.12 action=allow\n",
        "utf-8",
    )
    env = {**os.environ, "SOC_CONFIG": str(config)}
    proc = subprocess.run(
        [sys.executable, "-m", "soc_api.cli", "parse", str(raw)],
        capture_output=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [e["event"]["dataset"] for e in events] == ["syslog.kv", "syslog.kv", "syslog.kv"]
    assert events[0]["source"]["ip"] == "192.0.2.10"
    # 16:00:01 in UTC, in +09:00, and in the Asia/Shanghai default
    assert [e["@timestamp"][11:19] for e in events] == ["16:00:01", "07:00:01", "08:00:01"]


def test_broken_settings_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "shaowang.toml"
    config.write_text('[[sources]]\nmatch = 5\ndataset = "syslog.kv"\n', "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "soc_api.cli", "parse"],
        input=b"",
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "SOC_CONFIG": str(config)},
    )
    assert proc.returncode == 2
    assert "shaowang.toml" in proc.stderr.decode()


def test_help_lists_the_yaml_datasets_and_format_accepts_them() -> None:
    """The shipped YAML definitions are datasets like the others: named in --help, usable in --format."""
    shipped_dir = Path(__file__).parents[1] / "collectors/parsers/declarative/shipped"
    shipped = sorted(path.stem for path in shipped_dir.glob("*.yaml"))
    assert "sangfor.ac" in shipped and "venustech.ids" in shipped
    helptext = " ".join(soc_parse("--help").stdout.decode().split())  # argparse wraps lines
    listed = helptext.split("declared in YAML (shipped):", 1)[1]
    for dataset in shipped:
        assert dataset in listed
        proc = soc_parse("--format", dataset, stdin=b"")
        assert proc.returncode == 0, proc.stderr.decode()
