"""Sigma correlation rules parsed by pySigma, evaluated by ``detectors.correlation``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

from detectors.correlation import BaseMatch, CorrelationEngine, CorrelationFiring

T0 = datetime(2024, 5, 1, 8, 0, 0, tzinfo=UTC)

FIREWALL_DENIES = """
title: Firewall deny
id: 6f0c9a52-8d3e-4b57-9a51-1f1d1c7b0a01
name: firewall_deny
status: test
logsource:
    category: firewall
detection:
    selection:
        event.type: denied
    condition: selection
---
title: Repeated firewall denies from one source
id: 6f0c9a52-8d3e-4b57-9a51-1f1d1c7b0a02
status: test
level: medium
correlation:
    type: event_count
    rules:
        - firewall_deny
    group-by:
        - src_ip
    timespan: 60s
    condition:
        gte: 5
"""

PORT_SCAN = """
title: Firewall connection
id: 0b7b2f64-3c1e-4f0a-8d2b-5e6f7a8b9c01
name: firewall_connection
status: test
logsource:
    category: firewall
detection:
    selection:
        event.category: network
    condition: selection
---
title: Many destination ports from one source
id: 0b7b2f64-3c1e-4f0a-8d2b-5e6f7a8b9c02
status: test
level: high
correlation:
    type: value_count
    rules:
        - firewall_connection
    group-by:
        - src_ip
    timespan: 60s
    condition:
        field: dst_port
        gte: 10
"""

IPS_THEN_ALLOWED = """
title: IPS alert
id: 2d4e6f80-1a2b-4c3d-9e8f-7a6b5c4d3e01
name: ips_alert
status: test
logsource:
    category: ids
detection:
    selection:
        observer.type: ips
    condition: selection
---
title: Allowed session
id: 2d4e6f80-1a2b-4c3d-9e8f-7a6b5c4d3e02
name: allowed_session
status: test
logsource:
    category: firewall
detection:
    selection:
        event.type: allowed
    condition: selection
---
title: IPS alert followed by an allowed session from the same source
id: 2d4e6f80-1a2b-4c3d-9e8f-7a6b5c4d3e03
status: test
level: high
correlation:
    type: temporal_ordered
    rules:
        - ips_alert
        - allowed_session
    group-by:
        - src_ip
    timespan: 300s
"""

ERROR_AND_CONNECTION = """
title: Internal web server error
id: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c01
name: internal_error
status: test
logsource:
    category: webserver
detection:
    selection:
        http.response.status_code: 500
    condition: selection
---
title: New outbound connection
id: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c02
name: new_network_connection
status: test
logsource:
    category: firewall
detection:
    selection:
        event.type: connection
    condition: selection
---
title: Server error and outbound connection from the same host
id: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c03
status: test
level: critical
correlation:
    type: temporal
    rules:
        - internal_error
        - new_network_connection
    group-by:
        - internal_ip
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: dst_ip
            new_network_connection: src_ip
"""

FAILED_THEN_SUCCESS = """
title: Many failed logins followed by a success
id: 4b1c2d3e-0000-4a00-8000-000000000001
status: test
level: high
correlation:
    type: temporal_ordered
    rules:
        - many_failed_logins
        - successful_login
    group-by:
        - user.name
    timespan: 10m
---
title: Many failed logins
id: 4b1c2d3e-0000-4a00-8000-000000000002
name: many_failed_logins
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - user.name
    timespan: 10m
    condition:
        gte: 3
---
title: Failed login
id: 4b1c2d3e-0000-4a00-8000-000000000003
name: failed_login
status: test
logsource:
    category: authentication
detection:
    selection:
        event.outcome: failure
    condition: selection
---
title: Successful login
id: 4b1c2d3e-0000-4a00-8000-000000000004
name: successful_login
status: test
logsource:
    category: authentication
detection:
    selection:
        event.outcome: success
    condition: selection
"""

SIGMA_TO_ECS = {"src_ip": "source.ip", "dst_ip": "destination.ip", "dst_port": "destination.port"}


def map_field(name: str) -> str:
    return SIGMA_TO_ECS.get(name, name)


class Scenario:
    """Rules of one YAML document set, and matches of its base rules by name."""

    def __init__(self, text: str) -> None:
        collection = SigmaCollection.from_yaml(text)
        self.correlations = [rule for rule in collection if isinstance(rule, SigmaCorrelationRule)]
        self.refs = {
            rule.name: (str(rule.id), rule.name)
            for rule in collection
            if isinstance(rule, SigmaRule) and rule.name is not None
        }

    def engine(self, rules: Sequence[SigmaCorrelationRule] | None = None) -> CorrelationEngine:
        return CorrelationEngine(self.correlations if rules is None else rules, map_field=map_field)

    def match(self, rule: str, event_id: str, seconds: float, fields: dict[str, Any]) -> BaseMatch:
        return BaseMatch(self.refs[rule], event_id, T0 + timedelta(seconds=seconds), fields)


def feed(engine: CorrelationEngine, matches: Iterable[BaseMatch]) -> list[CorrelationFiring]:
    return [firing for match in matches for firing in engine.observe(match)]


def summary(firings: Iterable[CorrelationFiring]) -> list[tuple[Any, ...]]:
    return [(str(f.rule.id), f.group, f.event_ids, f.count, f.first_seen, f.last_seen) for f in firings]


# -- event_count ---------------------------------------------------------------------------------


def denies(scenario: Scenario, seconds: Sequence[float], ip: str = "192.0.2.10") -> list[BaseMatch]:
    return [
        scenario.match("firewall_deny", f"deny-{ip}-{s}", s, {"source.ip": ip, "event.type": ["denied"]})
        for s in seconds
    ]


def test_event_count_fires_at_threshold_not_before() -> None:
    scenario = Scenario(FIREWALL_DENIES)
    engine = scenario.engine()
    matches = denies(scenario, [0, 10, 20, 30, 40])
    assert feed(engine, matches[:4]) == []
    firings = engine.observe(matches[4])
    assert len(firings) == 1
    firing = firings[0]
    assert firing.rule.title == "Repeated firewall denies from one source"
    assert firing.group == {"source.ip": "192.0.2.10"}
    assert firing.count == 5
    assert firing.event_ids == [m.event_id for m in matches]
    assert firing.first_seen == T0
    assert firing.last_seen == T0 + timedelta(seconds=40)


def test_event_count_window_edge_exactly_timespan_apart() -> None:
    scenario = Scenario(FIREWALL_DENIES)
    # first event at 0, fifth exactly 60 s later: the first is outside (t - 60 s, t]
    assert feed(scenario.engine(), denies(scenario, [0, 1, 2, 3, 60])) == []
    # one second inside the window
    assert len(feed(scenario.engine(), denies(scenario, [0, 1, 2, 3, 59]))) == 1


def test_event_count_groups_by_source_and_resets_after_firing() -> None:
    scenario = Scenario(FIREWALL_DENIES)
    engine = scenario.engine()
    first, other = denies(scenario, range(5), "192.0.2.10"), denies(scenario, range(4), "198.51.100.20")
    mixed = [m for pair in zip(first, other, strict=False) for m in pair] + first[4:]
    firings = feed(engine, mixed)
    assert [(f.group["source.ip"], f.count) for f in firings] == [("192.0.2.10", 5)]
    # the window was emptied: four more (the 6th-9th) do not fire, the 10th does
    more = denies(scenario, range(5, 10), "192.0.2.10")
    assert feed(engine, more[:4]) == []
    again = engine.observe(more[4])
    assert len(again) == 1 and again[0].count == 5


def test_event_count_keeps_out_of_order_events_sorted() -> None:
    scenario = Scenario(FIREWALL_DENIES)
    engine = scenario.engine()
    matches = denies(scenario, [30, 10, 40, 0, 20])
    firings = feed(engine, matches)
    assert len(firings) == 1
    assert firings[0].first_seen == T0
    assert firings[0].last_seen == T0 + timedelta(seconds=40)
    assert firings[0].event_ids == [matches[i].event_id for i in (3, 1, 4, 0, 2)]


def test_event_count_drops_events_older_than_the_window() -> None:
    scenario = Scenario(FIREWALL_DENIES)
    engine = scenario.engine()
    assert feed(engine, denies(scenario, [100, 101, 102, 103])) == []
    late = scenario.match("firewall_deny", "late", 40, {"source.ip": "192.0.2.10"})
    assert engine.observe(late) == []  # 60 s before the group's newest event: outside its window


def test_missing_group_field_groups_as_null() -> None:
    scenario = Scenario(FIREWALL_DENIES)
    engine = scenario.engine()
    matches = [scenario.match("firewall_deny", f"n{i}", i, {"event.type": "denied"}) for i in range(5)]
    firings = feed(engine, matches)
    assert len(firings) == 1
    assert firings[0].group == {"source.ip": None}


def test_one_event_through_two_referenced_rules_counts_once() -> None:
    scenario = Scenario(FIREWALL_DENIES)
    engine = scenario.engine()
    # the engine may send a base match with both its id and name, or once per reference
    twice = [
        BaseMatch((ref,), f"e{i}", T0 + timedelta(seconds=i), {"source.ip": "203.0.113.5"})
        for i in range(4)
        for ref in scenario.refs["firewall_deny"]
    ]
    assert feed(engine, twice) == []


def test_referenced_lists_base_rule_ids_and_names() -> None:
    scenario = Scenario(IPS_THEN_ALLOWED)
    referenced = scenario.engine().referenced()
    for name in ("ips_alert", "allowed_session"):
        assert set(scenario.refs[name]) <= referenced
    assert str(scenario.correlations[0].id) not in referenced


# -- value_count ---------------------------------------------------------------------------------


def connection(scenario: Scenario, event_id: str, seconds: float, port: Any) -> BaseMatch:
    fields = {"source.ip": "192.0.2.77", "destination.ip": "198.51.100.1", "destination.port": port}
    return scenario.match("firewall_connection", event_id, seconds, fields)


def test_value_count_counts_distinct_values() -> None:
    scenario = Scenario(PORT_SCAN)
    engine = scenario.engine()
    ports = [22, 22, 80, 443, 80, 3389, 445, 139, 8080, 22, 8443, None, 21, 25]  # 9 distinct before 25
    matches = [connection(scenario, f"c{i}", i, port) for i, port in enumerate(ports)]
    assert feed(engine, matches[:-1]) == []
    firings = engine.observe(matches[-1])
    assert len(firings) == 1
    assert firings[0].count == 10
    assert firings[0].group == {"source.ip": "192.0.2.77"}
    assert "c11" not in firings[0].event_ids  # a null port is no value


def test_value_count_list_valued_field_counts_each_element() -> None:
    scenario = Scenario(PORT_SCAN)
    engine = scenario.engine()
    assert engine.observe(connection(scenario, "a", 0, [21, 22, 23, 25, 53])) == []
    assert engine.observe(connection(scenario, "b", 1, [53, 80, 110, 111])) == []
    firings = engine.observe(connection(scenario, "c", 2, [135, 143, 22]))
    assert [(f.count, f.event_ids) for f in firings] == [(10, ["a", "b", "c"])]


def test_value_count_window_edge() -> None:
    scenario = Scenario(PORT_SCAN)
    early = [connection(scenario, f"c{i}", i, 1000 + i) for i in range(9)]
    assert feed(scenario.engine(), [*early, connection(scenario, "x", 60, 2000)]) == []
    assert len(feed(scenario.engine(), [*early, connection(scenario, "x", 59, 2000)])) == 1


# -- temporal_ordered ----------------------------------------------------------------------------


def ips_alert(scenario: Scenario, event_id: str, seconds: float, ip: str = "203.0.113.9") -> BaseMatch:
    return scenario.match("ips_alert", event_id, seconds, {"source.ip": ip, "observer.type": "ips"})


def allowed(scenario: Scenario, event_id: str, seconds: float, ip: str = "203.0.113.9") -> BaseMatch:
    return scenario.match("allowed_session", event_id, seconds, {"source.ip": ip, "event.type": ["allowed"]})


def test_temporal_ordered_fires_in_order_within_timespan() -> None:
    scenario = Scenario(IPS_THEN_ALLOWED)
    engine = scenario.engine()
    assert engine.observe(ips_alert(scenario, "alert", 0)) == []
    firings = engine.observe(allowed(scenario, "session", 299))
    assert summary(firings) == [
        (
            str(scenario.correlations[0].id),
            {"source.ip": "203.0.113.9"},
            ["alert", "session"],
            2,
            T0,
            T0 + timedelta(seconds=299),
        )
    ]


def test_temporal_ordered_window_edge() -> None:
    scenario = Scenario(IPS_THEN_ALLOWED)
    engine = scenario.engine()
    assert feed(engine, [ips_alert(scenario, "alert", 0), allowed(scenario, "session", 300)]) == []


def test_temporal_ordered_wrong_order_does_not_fire() -> None:
    scenario = Scenario(IPS_THEN_ALLOWED)
    engine = scenario.engine()
    assert feed(engine, [allowed(scenario, "s1", 0), ips_alert(scenario, "alert", 10)]) == []
    # a later allowed session completes the order
    firings = engine.observe(allowed(scenario, "s2", 20))
    assert [f.event_ids for f in firings] == [["s1", "alert", "s2"]]


def test_temporal_ordered_uses_event_time_not_arrival() -> None:
    scenario = Scenario(IPS_THEN_ALLOWED)
    engine = scenario.engine()
    # the session arrives first but happened later
    firings = feed(engine, [allowed(scenario, "s", 50), ips_alert(scenario, "a", 40)])
    assert [f.event_ids for f in firings] == [["a", "s"]]
    # and the other way round: arrives last, happened first
    engine = scenario.engine()
    assert feed(engine, [ips_alert(scenario, "a", 50), allowed(scenario, "s", 40)]) == []


def test_temporal_ordered_other_source_does_not_complete() -> None:
    scenario = Scenario(IPS_THEN_ALLOWED)
    engine = scenario.engine()
    assert feed(engine, [ips_alert(scenario, "a", 0), allowed(scenario, "s", 5, "198.51.100.3")]) == []


# -- temporal with aliases -----------------------------------------------------------------------


def server_error(scenario: Scenario, event_id: str, seconds: float, server: str) -> BaseMatch:
    fields = {"source.ip": "203.0.113.50", "destination.ip": server, "http.response.status_code": 500}
    return scenario.match("internal_error", event_id, seconds, fields)


def outbound(scenario: Scenario, event_id: str, seconds: float, host: str) -> BaseMatch:
    fields = {"source.ip": host, "destination.ip": "203.0.113.99", "event.type": ["connection"]}
    return scenario.match("new_network_connection", event_id, seconds, fields)


def test_temporal_aliases_group_different_fields_in_any_order() -> None:
    scenario = Scenario(ERROR_AND_CONNECTION)
    engine = scenario.engine()
    assert engine.observe(outbound(scenario, "conn", 0, "198.51.100.7")) == []
    assert engine.observe(server_error(scenario, "other", 1, "198.51.100.8")) == []
    firings = engine.observe(server_error(scenario, "err", 9, "198.51.100.7"))
    assert [(f.group, f.event_ids, f.count) for f in firings] == [
        ({"internal_ip": "198.51.100.7"}, ["conn", "err"], 2)
    ]


def test_temporal_window_edge() -> None:
    scenario = Scenario(ERROR_AND_CONNECTION)
    host = "198.51.100.7"
    outside = [server_error(scenario, "e", 0, host), outbound(scenario, "c", 10, host)]
    inside = [server_error(scenario, "e", 0, host), outbound(scenario, "c", 9, host)]
    assert feed(scenario.engine(), outside) == []
    assert len(feed(scenario.engine(), inside)) == 1


def test_temporal_same_rule_twice_is_not_enough() -> None:
    scenario = Scenario(ERROR_AND_CONNECTION)
    engine = scenario.engine()
    host = "198.51.100.7"
    assert feed(engine, [server_error(scenario, f"e{i}", i, host) for i in range(5)]) == []


# -- restart -------------------------------------------------------------------------------------


def port_scan_stream(scenario: Scenario) -> list[BaseMatch]:
    return [connection(scenario, f"c{i}", i * 4, 1000 + (i % 12)) for i in range(40)]


def deny_stream(scenario: Scenario) -> list[BaseMatch]:
    seconds = [0, 5, 9, 30, 58, 61, 62, 63, 64, 70, 90, 100, 104, 110, 111, 112, 113, 200]
    return denies(scenario, seconds) + denies(scenario, [i * 7 for i in range(12)], "198.51.100.4")


def ordered_stream(scenario: Scenario) -> list[BaseMatch]:
    return [
        allowed(scenario, "s0", 0),
        ips_alert(scenario, "a1", 10),
        ips_alert(scenario, "a2", 20, "198.51.100.30"),
        allowed(scenario, "s3", 400),
        allowed(scenario, "s4", 250, "198.51.100.30"),
        ips_alert(scenario, "a5", 500),
        allowed(scenario, "s6", 799),
    ]


def alias_stream(scenario: Scenario) -> list[BaseMatch]:
    return [
        server_error(scenario, "e0", 0, "198.51.100.7"),
        outbound(scenario, "c1", 3, "198.51.100.8"),
        outbound(scenario, "c2", 5, "198.51.100.7"),
        outbound(scenario, "c3", 20, "198.51.100.7"),
        server_error(scenario, "e4", 25, "198.51.100.7"),
    ]


def chained_stream(scenario: Scenario) -> list[BaseMatch]:
    user = {"user.name": "lisi", "source.ip": "192.0.2.45"}
    outcomes = ["failed_login"] * 4 + ["successful_login"] + ["failed_login"] * 3 + ["successful_login"]
    return [scenario.match(rule, f"l{i}", i * 30, user) for i, rule in enumerate(outcomes)]


STREAMS: list[tuple[str, Callable[[Scenario], list[BaseMatch]]]] = [
    (FIREWALL_DENIES, deny_stream),
    (PORT_SCAN, port_scan_stream),
    (IPS_THEN_ALLOWED, ordered_stream),
    (ERROR_AND_CONNECTION, alias_stream),
    (FAILED_THEN_SUCCESS, chained_stream),
]


@pytest.mark.parametrize(
    ("text", "stream"), STREAMS, ids=["event_count", "value_count", "ordered", "alias", "chained"]
)
def test_restart_mid_window_gives_the_same_firings(
    text: str, stream: Callable[[Scenario], list[BaseMatch]]
) -> None:
    scenario = Scenario(text)
    matches = stream(scenario)
    expected = summary(feed(scenario.engine(), matches))
    assert expected, "the stream must fire at least once"
    for cut in range(1, len(matches)):
        before = scenario.engine()
        fired = feed(before, matches[:cut])
        data = before.snapshot()
        after = Scenario(text).engine()  # rules parsed afresh, as after a restart
        after.restore(data)
        fired += feed(after, matches[cut:])
        assert summary(fired) == expected, f"restart after {cut} matches"


def test_restore_drops_state_of_a_changed_rule_only() -> None:
    scenario = Scenario(FIREWALL_DENIES)
    before = scenario.engine()
    assert feed(before, denies(scenario, [0, 1, 2, 3])) == []
    data = before.snapshot()
    fifth = denies(scenario, [0, 1, 2, 3, 4])[4]

    unchanged = Scenario(FIREWALL_DENIES.replace("level: medium", "level: high")).engine()
    unchanged.restore(data)
    assert len(unchanged.observe(fifth)) == 1  # level is not part of the window's meaning

    changed = Scenario(FIREWALL_DENIES.replace("gte: 5", "gte: 4")).engine()
    changed.restore(data)
    assert changed.window_count() == 0
    assert changed.observe(fifth) == []


def test_restore_rejects_foreign_data() -> None:
    engine = Scenario(FIREWALL_DENIES).engine()
    with pytest.raises(ValueError):
        engine.restore(b'{"version": 99, "sequence": 0, "rules": {}}')
    with pytest.raises(ValueError):
        engine.restore(b"not json")


# -- chaining, closing windows, limits -----------------------------------------------------------


def test_chained_correlation() -> None:
    scenario = Scenario(FAILED_THEN_SUCCESS)
    engine = scenario.engine()
    assert engine.referenced() == frozenset(scenario.refs["failed_login"] + scenario.refs["successful_login"])
    user = {"user.name": "zhangsan", "source.ip": "192.0.2.44"}
    assert engine.observe(scenario.match("successful_login", "ok0", 0, user)) == []
    failures = [scenario.match("failed_login", f"f{i}", 10 + i, user) for i in range(3)]
    inner = feed(engine, failures)
    assert [f.rule.name for f in inner] == ["many_failed_logins"]
    outer = engine.observe(scenario.match("successful_login", "ok1", 60, user))
    assert [(f.rule.title, f.group, f.event_ids) for f in outer] == [
        ("Many failed logins followed by a success", {"user.name": "zhangsan"}, ["ok0", "f2", "ok1"])
    ]


FEW_EVENTS = """
title: Heartbeat
id: 7c7c7c7c-0000-4a00-8000-000000000001
name: heartbeat
status: test
logsource:
    product: shaowang
detection:
    selection:
        event.action: heartbeat
    condition: selection
---
title: Heartbeats missing
id: 7c7c7c7c-0000-4a00-8000-000000000002
status: test
correlation:
    type: event_count
    rules:
        - heartbeat
    group-by:
        - observer.hostname
    timespan: 60s
    condition:
        lt: 3
"""


def test_lt_condition_is_decided_when_the_window_ends() -> None:
    scenario = Scenario(FEW_EVENTS)
    engine = scenario.engine()
    host = {"observer.hostname": "fw-01"}
    beats = [scenario.match("heartbeat", f"h{i}", s, host) for i, s in enumerate([0, 20, 59, 60, 61])]
    assert feed(engine, beats[:3]) == []  # three in [0, 60): not fewer than 3
    assert engine.observe(beats[3]) == []  # closes the first window, opens [60, 120)
    assert engine.observe(beats[4]) == []
    assert engine.expire(T0 + timedelta(seconds=119)) == []
    firings = engine.expire(T0 + timedelta(seconds=120))
    assert [(f.count, f.event_ids, f.group) for f in firings] == [
        (2, ["h3", "h4"], {"observer.hostname": "fw-01"})
    ]
    assert engine.window_count() == 0


def test_expire_drops_windows_that_cannot_fire() -> None:
    scenario = Scenario(FIREWALL_DENIES)
    engine = scenario.engine()
    feed(engine, denies(scenario, [0, 1], "192.0.2.1") + denies(scenario, [50], "192.0.2.2"))
    assert engine.window_count() == 2
    engine.expire(T0 + timedelta(seconds=60))  # 192.0.2.1's newest event is 59 s older than now
    assert engine.window_count() == 2
    engine.expire(T0 + timedelta(seconds=61))
    assert engine.window_count() == 1
    engine.expire(T0 + timedelta(seconds=110))
    assert engine.window_count() == 0


def test_window_and_group_caps_bound_memory() -> None:
    scenario = Scenario(FIREWALL_DENIES)
    engine = CorrelationEngine(scenario.correlations, map_field=map_field, max_window_events=10, max_groups=3)
    ips = [f"198.51.100.{i}" for i in range(10)]
    feed(engine, [m for ip in ips for m in denies(scenario, [0, 1, 2, 3], ip)])
    assert engine.window_count() == 3
    # the least recently fed groups were evicted: an early group starts over
    assert engine.observe(denies(scenario, [4], ips[0])[0]) == []
    assert len(engine.observe(denies(scenario, [4], ips[-1])[0])) == 1


def test_unsupported_rules_are_rejected_with_a_reason() -> None:
    text = FIREWALL_DENIES + FIREWALL_DENIES.split("---")[1].replace("event_count", "value_sum").replace(
        "gte: 5", "field: source.bytes\n        gte: 5"
    ).replace("0a02", "0a03").join(["---", ""])
    scenario = Scenario(text)
    engine = scenario.engine()
    assert len(engine.rules) == 1
    assert "value_sum" in engine.rejected["6f0c9a52-8d3e-4b57-9a51-1f1d1c7b0a03"]


def test_temporal_flood_of_one_rule_keeps_the_other() -> None:
    scenario = Scenario(IPS_THEN_ALLOWED)
    engine = CorrelationEngine(scenario.correlations, map_field=map_field, max_per_rule=4)
    alert = ips_alert(scenario, "alert", 0)
    flood = [ips_alert(scenario, f"more{i}", 1 + i * 0.01) for i in range(1000)]
    assert feed(engine, [alert, *flood]) == []
    firings = engine.observe(allowed(scenario, "session", 30))
    assert [f.event_ids for f in firings] == [["more996", "more997", "more998", "more999", "session"]]


EXTENDED = ERROR_AND_CONNECTION.replace(
    "    aliases:", '    condition: "internal_error and not new_network_connection"\n    aliases:'
)


def test_temporal_extended_condition() -> None:
    scenario = Scenario(EXTENDED)
    engine = scenario.engine()
    host = "198.51.100.7"
    assert engine.observe(outbound(scenario, "c", 0, host)) == []
    assert engine.observe(server_error(scenario, "e", 1, host)) == []  # the connection is in the window
    firings = engine.observe(server_error(scenario, "e2", 10, host))  # (0, 10]: c has left
    assert [f.event_ids for f in firings] == [["e", "e2"]]
