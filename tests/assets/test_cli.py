"""``soc assets import`` and ``soc assets list`` as a user runs them."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest

from soc_api.cli import COMMANDS, main
from soc_api.testing import run_soc
from soc_core.audit import list_audit
from soc_core.state.db import open_state

REGISTER = (
    "IP地址,主机名,责任单位,安全域,等保级别,重要程度\n"
    "192.0.2.10,web01.example.com,区大数据局,DMZ,三级,核心\n"
    "198.51.100.0/24,,区财政局,专用网络区,第二级,低\n"
)


def test_assets_is_a_registered_command() -> None:
    assert "assets" in COMMANDS


def test_import_then_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    register = tmp_path / "台账.csv"
    register.write_bytes(REGISTER.encode("gb18030"))

    assert main(["assets", "import", str(register), "--data", str(data)]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "file": "台账.csv",
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
    }
    assert main(["assets", "list", "--data", str(data)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "1\t192.0.2.10\tweb01.example.com\tdmz\t区大数据局\t3\tcritical\timport",
        "2\t198.51.100.0/24\t-\tprivate\t区财政局\t2\tlow\timport",
    ]
    assert main(["assets", "list", "--data", str(data), "--zone", "private", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == 1
    assert [(a["cidr"], a["owner_unit"], a["level"]) for a in listed["assets"]] == [
        ("198.51.100.0/24", "区财政局", 2)
    ]

    with (
        open_state(f"sqlite:///{(data / 'state.db').resolve()}") as state,
        state.session(readonly=True) as session,
    ):
        (entry,) = list_audit(session, action="asset.import")
    assert entry.actor == f"cli:{getpass.getuser()}"
    assert entry.target == "台账.csv" and entry.detail_value["created"] == 2


def test_failed_rows_exit_1_and_the_rest_is_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    register = tmp_path / "assets.csv"
    register.write_text("IP,Zone\n192.0.2.1,dmz\n10.0.0.300,dmz\n192.0.2.2,nowhere\n", encoding="utf-8")
    assert main(["assets", "import", str(register), "--data", str(data)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["created"] == 1
    assert report["errors"] == [
        "assets.csv row 3: '10.0.0.300' is not an IP address or network",
        "assets.csv row 4: unknown zone 'nowhere' (known: dmz, internet, management, private, public)",
    ]
    assert main(["assets", "list", "--data", str(data), "--json"]) == 0
    assert [a["ip"] for a in json.loads(capsys.readouterr().out)["assets"]] == ["192.0.2.1"]


def test_missing_file_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assets", "import", str(tmp_path / "none.csv"), "--data", str(tmp_path / "data")]) == 2
    assert "none.csv: No such file or directory" in capsys.readouterr().err


def test_real_process(tmp_path: Path) -> None:
    data = tmp_path / "data"
    register = tmp_path / "assets.csv"
    register.write_bytes(b"\xef\xbb\xbf" + REGISTER.encode())
    done = run_soc("assets", "import", str(register), "--data", str(data))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] == 2
    listed = run_soc("assets", "list", "--data", str(data), "--zone", "dmz")
    assert listed.returncode == 0
    assert listed.stdout.splitlines() == [
        "1\t192.0.2.10\tweb01.example.com\tdmz\t区大数据局\t3\tcritical\timport"
    ]
