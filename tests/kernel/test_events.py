"""The ECS event model: serialisation round trips and dotted access."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc_core.alerts import Alert
from soc_core.errors import InvalidEventError
from soc_core.events import Endpoint, Event, EventInfo, Nat, flatten, unflatten
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
