"""Two collectors and two workers over a real nats-server; one worker is killed mid-batch.

Everything runs as real processes on loopback: ``nats-server -js`` (Debian's package), two
``soc collector`` receiving syslog over TCP, two ``soc worker`` sharing one state store
(SQLite file, and PostgreSQL when ``SOC_TEST_PG_URL`` is set) and storing into Elasticsearch,
played by the wire-protocol stub (Elasticsearch is not installable here; the stub stores by
``_id`` and answers 409 to a second ``create``, as Elasticsearch does).

The kill is made deterministic: the stub holds every ``_bulk`` request (read whole, not yet
answered) until both workers are inside one, then one worker gets SIGKILL and the stub lets the
requests through. The dead worker's batch is therefore stored but never acknowledged on the
bus; the other worker takes its partitions over, receives that batch again and stores it again.
Afterwards every event is in the store once, the redelivery showed up as 409 conflicts, and the
alerts are exactly those of one pass over the events: no alert twice, no match counted twice.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from es_stub import EsStub
from state_fixtures import state_url  # noqa: F401  (the parametrised SQLite / PostgreSQL fixture)

from soc_api.testing import (
    SocNode,
    firewall_line,
    free_port,
    send_tcp,
    wait_for,
)
from soc_core.state.alerts import list_alerts
from soc_core.state.db import open_state

DEADLINE_S = 60.0
LINES = 2500  # firewall_line: every 5th is a deny; 50 sources are denied 10 times each
DENY_RULE = "0f4d6a0e-6b53-4c55-9a51-2d3c1c7d0101"
MANY_RULE = "0f4d6a0e-6b53-4c55-9a51-2d3c1c7d0102"
RULES = f"""
title: Firewall deny
id: {DENY_RULE}
name: fw_deny
status: test
logsource: {{product: syslog}}
detection:
  sel:
    action: deny
  condition: sel
level: low
---
title: Ten denies from one source
id: {MANY_RULE}
status: test
correlation:
  type: event_count
  rules: [fw_deny]
  generate: true
  group-by: [source.ip]
  timespan: 10m
  condition: {{gte: 10}}
level: high
"""


def _kind(doc: dict[str, Any]) -> str | None:
    kind: str | None = (doc.get("event") or {}).get("kind")
    return kind


def _seq(doc: dict[str, Any]) -> int:
    original = (doc.get("event") or {}).get("original", "")
    m = re.search(r" seq=(\d+) ", str(original))
    assert m is not None, original
    return int(m.group(1))


def test_kill_9_of_a_worker_loses_nothing_and_duplicates_nothing(
    tmp_path: Path,
    nats_url: str,
    state_url: str,  # noqa: F811
) -> None:
    stub = EsStub().start()
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "denies.yml").write_text(RULES, encoding="utf-8")
    config = tmp_path / "shaowang.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n'
        f'[state]\nurl = "{state_url}"\n'
        f'[store]\nbackend = "elasticsearch"\n[store.elasticsearch]\nurl = "{stub.url}"\n'
        f'[scaleout]\nnats_url = "{nats_url}"\npartitions = 4\nlease_s = 2\nbatch_max = 50\n'
        f'[detection]\nshipped = false\nrules = ["{rules}"]\ndedup_window_s = 3600\n',
        encoding="utf-8",
    )
    print(
        f"event store: Elasticsearch wire-protocol stub at {stub.url}; state store: {state_url.split(':')[0]}"
    )
    nodes: list[SocNode] = []
    try:
        first = SocNode(tmp_path, config, "worker", "w1")
        nodes.append(first)
        first.wait_for_line(r"worker w1 ready")  # the first creates the state schema
        second = SocNode(tmp_path, config, "worker", "w2")
        nodes.append(second)
        second.wait_for_line(r"worker w2 took partition \d")
        first.wait_for_line(r"worker w1 gave back partition \d")  # two partitions each
        ports = [free_port(), free_port()]
        collectors = [
            SocNode(tmp_path, config, "collector", f"c{n}", "--syslog", f"127.0.0.1:{port}")
            for n, port in enumerate(ports, start=1)
        ]
        nodes.extend(collectors)
        for collector in collectors:
            collector.wait_for_line(r"collector c\d ready")

        stub.hold_bulks()
        send_tcp(ports[0], (firewall_line(n) for n in range(0, 600)))
        send_tcp(ports[1], (firewall_line(n) for n in range(600, 1200)))
        # one _bulk at a time per partition: four held means every partition of both workers
        wait_for(lambda: stub.held >= 4, timeout=DEADLINE_S)
        victim = first
        victim.kill()
        stub.release_bulks()
        send_tcp(ports[0], (firewall_line(n) for n in range(1200, 1900)))
        send_tcp(ports[1], (firewall_line(n) for n in range(1900, LINES)))

        def events() -> list[dict[str, Any]]:
            return [d for d in stub.documents() if _kind(d) != "alert"]

        wait_for(lambda: len(events()) >= LINES, timeout=DEADLINE_S)
        wait_for(lambda: len(stub.documents()) >= LINES + 100, timeout=DEADLINE_S)  # and the alerts' mirrors
        for node in nodes[1:]:
            node.stop()

        stored = events()
        counts = Counter(_seq(doc) for doc in stored)
        assert sorted(counts) == list(range(LINES)), "an event is missing"
        assert max(counts.values()) == 1, "an event was stored twice"
        assert stub.conflicts > 0, "the killed worker's batch was not redelivered"
        mirrors = [d for d in stub.documents() if _kind(d) == "alert"]
        assert len(mirrors) == 100

        state = open_state(state_url, migrate_schema=False)
        try:
            with state.session() as session:
                alerts = list_alerts(session, limit=1000)
                rows = [(a.rule_id, a.group_key, a.count) for a in alerts]
        finally:
            state.close()
        by_rule = Counter(rule for rule, _key, _count in rows)
        assert by_rule == {DENY_RULE: 50, MANY_RULE: 50}
        assert len({(rule, key) for rule, key, _count in rows}) == 100, "an alert was raised twice"
        # each deny counted once: 50 sources x 10 denies folded into one alert per source
        assert sum(count for rule, _key, count in rows if rule == DENY_RULE) == 500
        print(
            f"stored {len(stored)} events once each; {stub.conflicts} redelivered events refused as "
            f"already stored; {len(rows)} alerts, none twice"
        )
    finally:
        stub.release_bulks()
        for node in nodes:
            node.kill()
        stub.stop()
