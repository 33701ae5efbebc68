"""End to end: a real ``soc run`` process, real sockets, ``soc search`` in another process."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import httpx
import pytest

from soc_api.testing import (
    PlatformProcess,
    add_user,
    firewall_line,
    search_count,
    send_tcp,
    wait_for,
)
from soc_core.storage.embedded import EmbeddedEventStore

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_thousand_tcp_lines_become_searchable(data_dir: Path) -> None:
    add_user(data_dir, "ana", "analyst")
    with PlatformProcess(data_dir) as soc:
        send_tcp(soc.syslog_port, (firewall_line(i) for i in range(1000)))
        wait_for(lambda: search_count(data_dir) == 1000, timeout=60, interval=0.2)
        assert search_count(data_dir, "source.ip:192.0.2.5") == 4
        assert search_count(data_dir, "source.ip:192.0.2.0/24 AND destination.port:443") == 1000 // 7 + 1 - 0
        soc.login("ana")
        page = soc.get("/api/v1/events", q="source.ip:192.0.2.5", limit=10)
        assert page["count"] == 4
        assert {e["source"]["ip"] for e in page["events"]} == {"192.0.2.5"}
        assert all(e["event"]["original"].startswith("<134>") for e in page["events"])
        stats = wait_for(lambda: (s := soc.stats())["stored"] == 1000 and s, timeout=30)
        assert stats["received"] == 1000
        assert stats["dead_lettered"] == 0 and stats["dropped"] == 0
        assert stats["peers"] and stats["peers"][0]["records"] == 1000
        assert soc.stop() == 0  # SIGTERM: drain and exit cleanly
        assert "draining" in soc.log()


def test_api_requires_authentication_and_role(data_dir: Path) -> None:
    add_user(data_dir, "sysadm", "system_admin")
    with PlatformProcess(data_dir) as soc:
        assert httpx.get(soc.api + "/healthz").json()["status"] == "ok"
        paths = httpx.get(soc.api + "/api/v1/openapi.json").json()["paths"]
        assert {"/api/v1/auth/login", "/api/v1/events", "/api/v1/stats/ingest"} <= set(paths)
        assert httpx.get(soc.api + "/api/v1/events").status_code == 401
        bad = httpx.post(
            soc.api + "/api/v1/auth/login", json={"username": "sysadm", "password": "wrong-Pass-123"}
        )
        assert bad.status_code == 401
        token = soc.login("sysadm")
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(soc.api + "/api/v1/events", headers=headers).status_code == 403
        assert httpx.get(soc.api + "/api/v1/stats/ingest", headers=headers).status_code == 200
        forged = {"Authorization": "Bearer " + "0" * 43}
        assert httpx.get(soc.api + "/api/v1/stats/ingest", headers=forged).status_code == 401


def test_kill_9_mid_burst_loses_and_duplicates_nothing(data_dir: Path) -> None:
    add_user(data_dir, "ana", "analyst")
    total = 100_000
    soc = PlatformProcess(data_dir).start()
    soc.login("ana")
    errors: list[BaseException] = []

    def burst() -> None:
        try:
            send_tcp(soc.syslog_port, (firewall_line(i) for i in range(total)), chunk=64 * 1024)
        except OSError as exc:  # the receiver is killed under our feet
            errors.append(exc)

    sender = threading.Thread(target=burst)
    sender.start()
    wait_for(lambda: soc.stats()["stored"] >= 20_000, timeout=120, interval=0.05)
    stored_before_kill = soc.stats()["stored"]
    soc.kill9()
    sender.join(timeout=120)

    restarted = PlatformProcess(data_dir).start()
    try:
        count = search_count(data_dir)
        assert count >= stored_before_kill
        reader = EmbeddedEventStore.open_reader(data_dir)
        try:
            assert reader.cardinality("syslog.kv.seq") == count, "an event was stored twice"
            assert reader.cardinality("event.id") == count
        finally:
            reader.close()
    finally:
        restarted.stop()


JUNK: list[tuple[str, bytes]] = [
    ("binary", bytes(range(256)).replace(b"\n", b"")),
    ("invalid_utf8", b"src=192.0.2.1 dst=198.51.100.1 msg=\xff\xfe\xfd broken"),
    ("gbk", "devname=fw02 src=192.0.2.2 dst=198.51.100.2 action=deny msg=拒绝访问".encode("gbk")),
    ("nul", b"src=192.0.2.3\x00\x00dst=198.51.100.3 action=permit"),
    ("mib", b"src=192.0.2.4 dst=198.51.100.4 msg=" + b"A" * (1024 * 1024)),
    ("empty", b""),
]


def test_junk_is_stored_or_dead_lettered_and_pipeline_keeps_going(data_dir: Path) -> None:
    add_user(data_dir, "ana", "analyst")
    with PlatformProcess(data_dir) as soc:
        soc.login("ana")
        with socket.create_connection(("127.0.0.1", soc.syslog_port)) as sock:
            for _, payload in JUNK:
                sock.sendall(payload + b"\n")
            sock.sendall(firewall_line(7) + b"\n")
        # The good line was sent last: once it is stored, everything before it was received.
        wait_for(lambda: search_count(data_dir, "syslog.kv.seq:7") == 1, timeout=60, interval=0.2)
        # NUL separates records, so the junk arrives as more records than lines sent.
        stats = wait_for(
            lambda: (
                (s := soc.stats())["received"] >= len(JUNK) + 1
                and s["stored"] + s["dead_lettered"] == s["received"]
                and s
            ),
            timeout=60,
        )
        assert stats["dropped"] == 0
        dead = search_count(data_dir, "event.dataset:shaowang.deadletter")
        assert dead == stats["dead_lettered"] >= 4
        reasons = {
            e["error"]["type"]
            for e in soc.get("/api/v1/events", q="event.dataset:shaowang.deadletter", limit=100)["events"]
        }
        assert {"binary_content", "record_too_long", "empty_record"} <= reasons
        assert search_count(data_dir, "syslog.kv.seq:7") == 1
        gbk = soc.get("/api/v1/events", q="source.ip:192.0.2.2")
        assert "拒绝访问" in gbk["events"][0]["event"]["original"]


def test_udp_and_file_tail_feed_the_same_pipeline(tmp_path: Path, data_dir: Path) -> None:
    log = tmp_path / "fw.log"
    log.write_bytes(b"".join(firewall_line(i) + b"\n" for i in range(100)))
    config = tmp_path / "shaowang.toml"
    config.write_text(f'[[files]]\npath = "{log}"\ndataset = "syslog.kv"\n', encoding="utf-8")
    env = {"SOC_CONFIG": str(config)}
    with PlatformProcess(data_dir, env=env) as soc:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for i in range(1000, 1050):
                udp.sendto(firewall_line(i), ("127.0.0.1", soc.syslog_port))
        wait_for(lambda: search_count(data_dir) == 150, timeout=60, interval=0.2)
        with log.open("ab") as fh:
            fh.write(b"".join(firewall_line(i) + b"\n" for i in range(100, 120)))
        wait_for(lambda: search_count(data_dir) == 170, timeout=60, interval=0.2)
    # A restart resumes the file at its stored offset: nothing is read twice.
    with log.open("ab") as fh:
        fh.write(firewall_line(120) + b"\n")
    with PlatformProcess(data_dir, env=env):
        wait_for(lambda: search_count(data_dir) == 171, timeout=60, interval=0.2)
        reader = EmbeddedEventStore.open_reader(data_dir)
        try:
            assert reader.cardinality("syslog.kv.seq") == 171
            assert reader.count("log.file.path:*") == 121
        finally:
            reader.close()


def test_sigterm_stores_everything_already_received(data_dir: Path) -> None:
    add_user(data_dir, "ana", "analyst")
    soc = PlatformProcess(data_dir).start()
    soc.login("ana")
    send_tcp(soc.syslog_port, (firewall_line(i) for i in range(30_000)))
    wait_for(lambda: soc.stats()["received"] == 30_000, timeout=120, interval=0.02)
    assert soc.stop() == 0
    assert search_count(data_dir) == 30_000


def test_syslog_over_tls_with_client_certificates(tmp_path: Path, data_dir: Path) -> None:
    import ssl

    from pki_support import build_pki, client_context

    from soc_api.testing import free_port

    pki = build_pki(tmp_path / "pki")
    tls_port = free_port()
    config = tmp_path / "shaowang.toml"
    config.write_text(
        '[syslog.tls]\nenabled = true\nhost = "127.0.0.1"\n'
        f'port = {tls_port}\ncertfile = "{pki.server_cert}"\nkeyfile = "{pki.server_key}"\n'
        f'client_ca = "{pki.ca}"\nrequire_client_cert = true\n',
        encoding="utf-8",
    )
    add_user(data_dir, "ana", "analyst")
    with PlatformProcess(data_dir, env={"SOC_CONFIG": str(config)}) as soc:
        soc.login("ana")
        ctx = client_context(pki, pki.client_cert, pki.client_key)
        with (
            socket.create_connection(("127.0.0.1", tls_port)) as raw,
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            for i in range(200):
                msg = firewall_line(i)
                tls.sendall(str(len(msg)).encode() + b" " + msg)  # RFC 5425 octet counting
        # Sent and closed at once: nothing may be lost to the close (see num_tickets).
        wait_for(lambda: search_count(data_dir) == 200, timeout=60, interval=0.2)
        # A client without a certificate is refused (TLS 1.3 reports it after the client's
        # side of the handshake: as an alert or a closed connection) and nothing is stored.
        try:
            with (
                socket.create_connection(("127.0.0.1", tls_port)) as raw,
                client_context(pki).wrap_socket(raw, server_hostname="127.0.0.1") as tls,
            ):
                tls.sendall(b"5 hello")
                assert tls.recv(1) == b""
        except (ssl.SSLError, OSError):
            pass
        stats = wait_for(lambda: (s := soc.stats())["intake_errors"] >= 1 and s, timeout=30)
        assert stats["stored"] == 200 and search_count(data_dir) == 200


HUNT_RULE = """
title: Denied connection found by a hunt
id: 5b7f2a10-9c3e-4d2a-b1f4-6e0d5c000001
status: test
logsource: {product: syslog}
detection:
  sel:
    action: deny
  condition: sel
level: low
"""


def test_soc_run_runs_scheduled_hunts_over_the_store(tmp_path: Path, data_dir: Path) -> None:
    """``[[detection.hunts]]``: soc run hunts what is already stored and raises alerts."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from soc_api.testing import run_soc
    from soc_core.state.alerts import list_alerts
    from soc_core.state.db import open_state

    local = dt.datetime.now(ZoneInfo("Asia/Shanghai")) - dt.timedelta(minutes=10)
    stamp = f"{local:%b} {local.day:2d} {local:%H:%M:%S}"
    log = tmp_path / "fw.log"
    lines = [firewall_line(i).replace(b"Nov 27 16:00:00", stamp.encode()) for i in range(50)]
    log.write_bytes(b"\n".join(lines) + b"\n")
    done = run_soc("ingest", "--data", str(data_dir), str(log))
    assert done.returncode == 0, done.stderr
    rules = tmp_path / "hunts"
    rules.mkdir()
    (rules / "denied.yml").write_text(HUNT_RULE, encoding="utf-8")
    config = tmp_path / "shaowang.toml"
    config.write_text(
        f'[detection]\ndedup_window_s = 0\n[[detection.hunts]]\nname = "denied"\nrules = ["{rules}"]\n'
        "every_s = 3600\ndelay_s = 0\n",
        encoding="utf-8",
    )

    def hunted() -> list[object]:
        state = open_state(f"sqlite:///{(data_dir / 'state.db').resolve()}")
        try:
            with state.session() as session:
                alerts = list_alerts(session, limit=1000)
        finally:
            state.close()
        return [a for a in alerts if a.rule_id == "5b7f2a10-9c3e-4d2a-b1f4-6e0d5c000001"]

    add_user(data_dir, "ana", "analyst")
    add_user(data_dir, "net", "network_admin")
    with PlatformProcess(data_dir, env={"SOC_CONFIG": str(config)}) as soc:
        found = wait_for(lambda: len(hunted()) == 10 and hunted(), timeout=60, interval=0.5)
        assert found, f"no hunt alerts; log:\n{soc.log()}"
        assert "scheduled hunts: hunts-every-3600s" in soc.log()
        soc.login("ana")
        page = wait_for(
            lambda: (p := soc.get("/api/v1/rules/hunts"))["hunts"][0]["alerts"] == 10 and p, timeout=30
        )
        (status,) = page["hunts"]
        assert status["name"] == "denied" and status["every_s"] == 3600 and status["error"] is None
        assert status["scanned"] == 50 and status["matches"] == 10 and status["last_run"]
        # rule health of the stream's rules (the shipped pack): every rule, its state and counters
        health = wait_for(lambda: (h := soc.get("/api/v1/rules"))["count"] and h, timeout=30)
        assert health["states"].get("loaded", 0) >= 40 and "failed" not in health["states"]
        assert all(r["state"] in ("loaded", "unrouted") for r in health["rules"])
        assert soc.get("/api/v1/rules", state="failed")["count"] == 0
        token = soc.login("net")  # network admins do not read detection rules
        for path in ("/api/v1/rules", "/api/v1/rules/hunts"):
            denied = httpx.get(soc.api + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert denied.status_code == 403
    assert search_count(data_dir, "event.kind:alert AND rule.id:5b7f2a10-9c3e-4d2a-b1f4-6e0d5c000001") == 10
