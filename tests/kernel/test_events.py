"""The ECS event model: serialisation round trips and dotted access."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc_core.alerts import Alert
from soc_core.errors import InvalidEventError
from soc_core.events import Endpoint, Event, EventInfo, Nat, flat_getter, flatten, unflatten
from soc_core.vocabulary import Severity

TS = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


def sample() -> Event:
    return Event(
        timestamp=TS,
        event=EventInfo(
            kind="event",
            category=["network"],
            type=["connection", "denied"],
            dataset="syslog.kv",
            original="src=192.0.2.1 拒绝",
        ),
        source=Endpoint(ip="192.0.2.1", port=51514, nat=Nat(ip="203.0.113.9", port=1024)),
        destination=Endpoint(ip="2001:db8::1", port=443),
        extra={"huawei": {"usg": {"zone": "trust"}}},
    )


def test_json_is_plain_ecs_with_vendor_fields_at_top_level() -> None:
    doc = msgspec.json.decode(sample().to_json())
    assert doc["@timestamp"] == "2026-11-27T08:00:00Z"
    assert doc["source"]["nat"] == {"ip": "203.0.113.9", "port": 1024}
    assert doc["huawei"]["usg"]["zone"] == "trust"
    assert "extra" not in doc
    assert "http" not in doc  # absent field sets are not serialised


def test_round_trips_through_nested_and_dotted_forms() -> None:
    event = sample()
    assert Event.from_json(event.to_json()) == event
    assert Event.from_dict(event.to_flat()) == event
    assert event.to_flat()["huawei.usg.zone"] == "trust"


def test_dotted_get_reaches_ecs_and_vendor_fields() -> None:
    event = sample()
    assert event.get("source.nat.ip") == "203.0.113.9"
    assert event.get("huawei.usg.zone") == "trust"
    assert event.get("@timestamp") == TS
    assert event.get("http.request.method", "-") == "-"


def test_wrong_types_are_rejected_with_the_path() -> None:
    with pytest.raises(InvalidEventError, match=r"source.port"):
        Event.from_dict({"@timestamp": "2026-11-27T08:00:00Z", "source": {"port": {"x": 1}}})
    with pytest.raises(InvalidEventError):
        Event.from_json(b"[1, 2]")


def test_alert_mirrors_into_an_alert_event() -> None:
    alert = Alert(
        rule_id="r1",
        rule_name="Port scan",
        severity=Severity.HIGH,
        timestamp=TS,
        source_ip="192.0.2.7",
        tags=["attack.t1046"],
        event_ids=["a", "b"],
    )
    event = alert.to_event()
    assert event.event.kind == "alert" and event.event.severity == 4
    assert event.get("shaowang.alert.event_ids") == ["a", "b"]


@given(
    st.dictionaries(
        st.from_regex(r"[a-z]{1,5}(\.[a-z]{1,5}){0,3}", fullmatch=True),
        st.integers() | st.text(max_size=5),
        max_size=8,
    )
)
def test_flatten_unflatten_round_trip(flat: dict[str, object]) -> None:
    # Only prefix-free key sets describe a tree.
    keys = sorted(flat)
    if any(b.startswith(a + ".") for a in keys for b in keys if a != b):
        return
    assert flatten(unflatten(flat)) == flat


def _golden_events() -> list[Event]:
    root = Path(__file__).resolve().parents[2] / "collectors" / "parsers"
    events: list[Event] = []
    for path in sorted(root.glob("*/samples/*-expected.ndjson")):
        for line in path.read_bytes().splitlines():
            if line.strip():
                events.append(Event.from_json(line))
    return events


def test_flat_getters_read_what_to_flat_holds() -> None:
    """Every field of every golden event, ECS or vendor, reads the same without flattening."""
    events = _golden_events()
    assert len(events) > 100
    checked = 0
    for event in events:
        flat = event.to_flat()
        for name, value in flat.items():
            getter = flat_getter(name)
            if getter is None:
                assert name.startswith(("labels.", "log.syslog.structured_data.")), name
                continue
            assert getter(event) == value, name
            checked += 1
        for absent in ("source.nat.ip", "no_such.vendor.field", "blocked"):
            if absent not in flat:
                assert flat_getter(absent)(event) is None  # type: ignore[misc]
    assert checked > 1000


def test_flat_getter_shapes() -> None:
    event = sample()
    assert flat_getter("huawei.usg.zone")(event) == "trust"  # type: ignore[misc]
    assert flat_getter("@timestamp")(event) == "2026-11-27T08:00:00Z"  # type: ignore[misc]
    assert flat_getter("event.type")(event) == ["connection", "denied"]  # type: ignore[misc]
    assert flat_getter("source")(event) is None  # type: ignore[misc]  # a field set, not a value
    assert flat_getter("labels.team") is None  # inside a map: flatten instead
    dotted_vendor = msgspec.structs.replace(event, extra={"fw": {"rule.id": 7}})
    assert flat_getter("fw.rule.id")(dotted_vendor) == 7  # type: ignore[misc]
    answers = Event.from_dict(
        {
            "@timestamp": "2026-11-27T08:00:00Z",
            "dns": {
                "answers": [{"data": "192.0.2.7", "type": "A"}, {"type": "CNAME"}, {"data": "x.example"}]
            },
        }
    )
    assert flat_getter("dns.answers.data")(answers) == ["192.0.2.7", "x.example"]  # type: ignore[misc]
