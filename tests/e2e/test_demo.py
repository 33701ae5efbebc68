"""``soc run --demo``: within a minute a newcomer sees alerts, dashboards and the map, all marked demo."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from soc_api.testing import PlatformProcess, wait_for
from soc_core.vocabulary import Role

pytestmark = pytest.mark.slow

ACCOUNT = re.compile(r"^\s+\S+\s+(demo_[a-z_]+)\s+(\S+)\s*$", re.MULTILINE)


def test_demo_run_shows_alerts_dashboard_and_map_in_its_own_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with PlatformProcess(data_dir, extra_args=["--demo"]) as soc:
        accounts = dict(wait_for(lambda: ACCOUNT.findall(soc.log()), timeout=30))
        assert set(accounts) == {f"demo_{role.value}" for role in Role}
        assert not (data_dir / "events").exists()  # the site's own directory stays untouched
        assert (tmp_path / "data-demo" / "events").is_dir()

        def token(username: str) -> str:
            login = httpx.post(
                soc.api + "/api/v1/auth/login", json={"username": username, "password": accounts[username]}
            )
            assert login.status_code == 200, login.text
            return str(login.json()["access_token"])

        analyst = {"Authorization": f"Bearer {token('demo_analyst')}"}

        def get(path: str, headers: dict[str, str] = analyst, **params: object) -> dict[str, object]:
            response = httpx.get(soc.api + path, params=params, headers=headers, timeout=30)
            assert response.status_code == 200, response.text
            return dict(response.json())

        # Yesterday is replayed whole: one signature alert of every story, whatever the hour.
        stories = {
            "Repeated VPN Login Failures for One Account",  # VPN brute force
            "SQL Injection Pattern in Requested URL",  # the portal campaign
            "IDS/IPS Reports Trojan or C2 Traffic",  # the town-office beacon
            "Log4Shell JNDI Lookup Payload in Web Request",
            "Internal Host Reaches SMB, RDP or WinRM on Many Hosts",  # lateral movement
            "WAF Reports Webshell or Backdoor Access",
        }

        def seen() -> dict[str, object] | None:
            page = get("/api/v1/alerts", limit=1000)
            names = {a["rule_name"] for a in page["items"]}  # type: ignore[union-attr,index]
            return page if stories <= names else None

        alerts = wait_for(seen, timeout=180, interval=2)
        assert all(a["demo"] for a in alerts["items"])  # type: ignore[index,union-attr]
        assert get("/api/v1/auth/me")["demo"] is True

        events = get("/api/v1/events", q="NOT labels.demo:true", limit=10)
        assert events["count"] == 0  # every stored event is marked
        stats = get("/api/v1/stats/ingest")
        assert stats["dead_lettered"] == 0 and int(stats["stored"]) > 1000  # type: ignore[call-overload]

        board = get("/api/v1/dashboard")
        datasets = {d["dataset"] for d in board["events_by_dataset"]}  # type: ignore[union-attr,index]
        assert {"huawei.usg", "h3c.secpath", "sangfor.af", "suricata.eve", "nsfocus.waf"} <= datasets
        graph = get("/api/v1/graph")
        zones = {n.get("zone") for n in graph["nodes"]}  # type: ignore[union-attr]
        assert {"dmz", "management"} <= zones
        assert get("/api/v1/assets", limit=10)["total"] >= 99  # the register, plus discovered hosts

        auditor = {"Authorization": f"Bearer {token('demo_audit_admin')}"}
        assert get("/api/v1/audit/verify", headers=auditor)["ok"] is True
