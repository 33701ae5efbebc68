"""Partitioning on the bus: stable across processes, by the first field an event has, and
message ids that make a re-send the same message."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

from collectors.parse import parse_record
from soc_api.runtime.scaleout.bus import message_id, partition_of
from soc_api.runtime.scaleout.collector import split_by_partition
from soc_api.runtime.scaleout.worker import settled_alert_id
from soc_api.testing import firewall_line
from soc_core.alerts import Alert
from soc_core.events import Endpoint, Event, User
from soc_core.records import RawRecord
from soc_core.vocabulary import Severity

FIELDS = ["source.ip", "user.name", "host.name"]


def _event(n: int, *, ip: str | None = None, user: str | None = None) -> Event:
    event = Event.from_dict({"@timestamp": "2026-11-27T08:00:00Z", "event": {"id": f"{n:032x}"}})
    if ip is not None:
        event.source = Endpoint(ip=ip)
    if user is not None:
        event.user = User(name=user)
    return event


def test_partition_follows_the_first_field_present() -> None:
    by_ip = [
        partition_of(_event(n, ip="192.0.2.7", user=f"u{n}"), fields=FIELDS, partitions=16) for n in range(50)
    ]
    assert len(set(by_ip)) == 1  # one attacker, one partition, whatever else differs
    by_user = {partition_of(_event(n, user="admin"), fields=FIELDS, partitions=16) for n in range(50)}
    assert len(by_user) == 1
    spread = {partition_of(_event(n), fields=FIELDS, partitions=16) for n in range(200)}
    assert len(spread) > 8  # no key at all: spread by event id


def test_partition_is_the_same_in_another_process() -> None:
    here = [partition_of(_event(0, ip=f"198.51.100.{i}"), fields=FIELDS, partitions=8) for i in range(1, 60)]
    code = (
        "from tests.scaleout.test_partitions import _event, FIELDS\n"
        "from soc_api.runtime.scaleout.bus import partition_of\n"
        "print([partition_of(_event(0, ip=f'198.51.100.{i}'), fields=FIELDS, partitions=8)"
        " for i in range(1, 60)])"
    )
    there = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345", "PATH": ""},
    )
    assert there.stdout.strip() == str(here)


def test_messages_keep_arrival_order_within_a_partition_and_their_size() -> None:
    events = []
    for seq in range(2000):
        outcome = parse_record(RawRecord(data=firewall_line(seq), received_at=1.8e9, origin="syslog/tcp"))
        events.extend(outcome.events)
    for event in events:
        event.ensure_id()
    messages = split_by_partition(events, fields=FIELDS, partitions=8, batch_max=100)
    assert sum(len(chunk) for _p, chunk in messages) == len(events)
    assert max(len(chunk) for _p, chunk in messages) <= 100
    position = {id(e): i for i, e in enumerate(events)}
    for partition in {p for p, _ in messages}:
        order = [position[id(e)] for p, chunk in messages if p == partition for e in chunk]
        assert order == sorted(order)
    first = messages[0][1]
    assert message_id(first) == message_id(list(first))
    assert message_id(first) != message_id(first[1:])


def test_alert_id_depends_on_what_raised_it_not_on_what_folded_in() -> None:
    def alert(*ids: str) -> Alert:
        return Alert(
            rule_id="r1",
            rule_name="r",
            severity=Severity.HIGH,
            timestamp=dt.datetime(2026, 11, 27, 8, tzinfo=dt.UTC),
            event_ids=list(ids),
            group_key="source.ip=192.0.2.7",
        )

    assert settled_alert_id(alert("a")) == settled_alert_id(alert("a", "b", "c"))
    assert settled_alert_id(alert("a")) != settled_alert_id(alert("b"))
    assert alert("a").id != alert("a").id  # without it, ids are random
