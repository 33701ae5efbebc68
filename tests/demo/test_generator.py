"""The demo day: deterministic, every line parsed by our own parsers, realistic in shape and
volume, and its attack stories raising the alerts our rule pack promises.

One simulated day (Friday 2026-11-27, Asia/Shanghai) is generated, parsed and run through the
detection engine once per module; the tests read it from there.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from collectors.demo import SOURCES, DemoGenerator, DemoRecord, register_csv, zones
from collectors.demo.generator import DEFAULT_SEED, activity
from collectors.demo.lines import CST
from collectors.demo.scenario import ASSETS, ZONE_SPECS, source_for, zone_of
from collectors.demo.stories import STORIES, Story
from collectors.parse import parse_record
from detectors.sigma.engine import DetectionEngine
from soc_core.alerts import Alert
from soc_core.assets.register import read_register
from soc_core.events import Event
from soc_core.records import RawRecord

RULES = Path(__file__).resolve().parents[2] / "rules" / "sigma"
MIDNIGHT = dt.datetime(2026, 11, 27, tzinfo=CST).timestamp()  # a Friday
HOUR = 3600.0
DAY_SPEEDUP = 86_400.0 / 4  # the whole day in four real seconds


def _local(hour: float) -> float:
    """POSIX time of ``hour`` (local, fractional) on the demo day."""
    return MIDNIGHT + hour * HOUR


def _drain(generator: DemoGenerator, now: float) -> list[DemoRecord]:
    """Everything due up to ``now``, however many calls the per-batch bound takes."""
    out: list[DemoRecord] = []
    while True:
        batch = generator.batch(now=now)
        out.extend(batch)
        if len(batch) < generator.max_per_batch:
            return out


def _whole_day(seed: int = DEFAULT_SEED) -> list[DemoRecord]:
    generator = DemoGenerator(seed=seed, start=MIDNIGHT, speedup=DAY_SPEEDUP, max_per_batch=50_000)
    records: list[DemoRecord] = []
    for second in (1, 2, 3, 4):  # four calls, one simulated quarter-day each
        records.extend(_drain(generator, MIDNIGHT + second))
    return records


def _parse(record: DemoRecord, *, hinted: bool = True) -> list[Event] | str:
    """The events of a record, parsed as for a mapped source (or auto-detected); else the dead letter."""
    raw = RawRecord(
        data=record.data,
        received_at=record.at,
        origin="syslog/udp",
        peer=record.peer,
        hint=record.dataset if hinted else None,
    )
    outcome = parse_record(raw)
    if outcome.dead_letter is not None:
        return outcome.dead_letter.to_json().decode()
    return outcome.events


@dataclass
class ParsedDay:
    records: list[DemoRecord]
    events: list[list[Event]]  # per record
    dead: list[tuple[DemoRecord, str]]


@pytest.fixture(scope="module")
def day() -> ParsedDay:
    records = _whole_day()
    events: list[list[Event]] = []
    dead: list[tuple[DemoRecord, str]] = []
    for record in records:
        parsed = _parse(record)
        if isinstance(parsed, str):
            dead.append((record, parsed))
            events.append([])
        else:
            events.append(parsed)
    return ParsedDay(records, events, dead)


def _detect(events: list[Event]) -> list[Alert]:
    engine = DetectionEngine.from_paths([RULES])
    assert engine.report.compiled > 0 and not engine.report.failed
    alerts: list[Alert] = []
    for start in range(0, len(events), 1000):
        alerts.extend(engine.process(events[start : start + 1000]))
    return alerts


@pytest.fixture(scope="module")
def day_alerts(day: ParsedDay) -> list[Alert]:
    return _detect([event for events in day.events for event in events])


# -- (1) determinism -----------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_day(day: ParsedDay) -> None:
    again = _whole_day()
    assert len(again) == len(day.records)
    assert [(r.data, r.peer, r.dataset, r.at) for r in again] == [
        (r.data, r.peer, r.dataset, r.at) for r in day.records
    ]


def test_output_does_not_depend_on_how_often_batch_is_called(day: ParsedDay) -> None:
    # Real time, small steps, the default bound of 2000 per call: 08:00–10:00 of the same day.
    start = _local(8)
    generator = DemoGenerator(start=start, speedup=60.0)
    assert generator.max_per_batch == 2000
    stepped: list[DemoRecord] = []
    for second in range(0, 121, 7):  # every 7 real seconds = 7 simulated minutes
        batch = generator.batch(now=start + second)
        assert len(batch) <= 2000
        stepped.extend(batch)
    stepped.extend(_drain(generator, start + 120))
    expected = [r for r in day.records if start <= r.at <= _local(10)]
    assert [r.data for r in stepped] == [r.data for r in expected]


def test_another_seed_gives_another_day_with_the_same_stories(day: ParsedDay) -> None:
    generator = DemoGenerator(seed=7, start=_local(9), speedup=3600.0, max_per_batch=50_000)
    other = generator.batch(now=_local(9) + 1)  # 09:00–10:00
    same_hour = [r.data for r in day.records if _local(9) <= r.at <= _local(10)]
    assert [r.data for r in other] != same_hour
    assert 1000 < len(other) < 6000


def test_batch_bound_and_time_mapping() -> None:
    generator = DemoGenerator(start=_local(10.5), speedup=60.0)
    assert generator.simulated(_local(10.5) + 30) == _local(11)
    first = generator.batch(now=_local(10.5) + 3600)  # a simulated 2.5 days are due: the bound cuts
    assert len(first) == 2000
    second = generator.batch(now=_local(10.5) + 3600)
    assert len(second) == 2000
    assert first[-1].at <= second[0].at
    assert all(_local(10.5) <= r.at for r in first)
    # time going backwards hands out nothing, and nothing is lost when it comes forward again
    assert generator.batch(now=_local(10.5)) == []
    assert generator.batch(now=_local(10.5) + 3600)[0].at >= second[-1].at


def test_records_come_in_time_order_and_never_before_start(day: ParsedDay) -> None:
    times = [r.at for r in day.records]
    assert times == sorted(times)
    assert times[0] >= MIDNIGHT
    late = DemoGenerator(start=_local(10) + 17.0, speedup=60.0).batch(now=_local(10) + 18.0)  # one minute
    assert late and all(_local(10) + 17.0 <= r.at <= _local(10) + 77.0 for r in late)


# -- (2) every line parses with our parsers to the dataset its source claims ---------------------


def test_every_line_of_the_day_parses_to_its_sources_dataset(day: ParsedDay) -> None:
    assert day.dead == []
    sources = {(s.peer, s.dataset) for s in SOURCES}
    wrong: Counter[tuple[str, str | None]] = Counter()
    late: list[tuple[str, float]] = []
    for record, events in zip(day.records, day.events, strict=True):
        assert (record.peer, record.dataset) in sources
        assert events, record.data
        for event in events:
            if event.event.dataset != record.dataset:
                wrong[(record.dataset, event.event.dataset)] += 1
            # the line carries the simulated time (some vendors add a fraction of a second)
            offset = event.timestamp.timestamp() - record.at
            if not 0 <= offset < 1:
                late.append((record.dataset, offset))
    assert wrong == Counter()
    assert late == []


def test_auto_detection_agrees_with_the_source_mapping(day: ParsedDay) -> None:
    for record in day.records[::25]:
        parsed = _parse(record, hinted=False)
        assert not isinstance(parsed, str), parsed
        assert {event.event.dataset for event in parsed} == {record.dataset}


def test_timestamps_come_from_the_line_whatever_the_receive_time(day: ParsedDay) -> None:
    """Simulated time runs ahead of the clock; every line names its own time, year included."""
    for record in day.records[::31]:
        for received_at in (record.at - 30 * 86_400, record.at + 40 * 86_400):
            raw = RawRecord(data=record.data, received_at=received_at, peer=record.peer, hint=record.dataset)
            events = parse_record(raw).events
            assert events and all(0 <= e.timestamp.timestamp() - record.at < 1 for e in events), record.data


# -- (3) every device family speaks in the first working hour ------------------------------------


def test_every_family_appears_in_the_first_hour_of_the_working_day(day: ParsedDay) -> None:
    first_hour = [r for r in day.records if _local(8.5) <= r.at < _local(9.5)]
    assert {r.dataset for r in first_hour} == {s.dataset for s in SOURCES}
    assert {r.peer for r in first_hour} == {s.peer for s in SOURCES}


def test_no_source_stays_silent_for_more_than_ten_minutes(day: ParsedDay) -> None:
    last: dict[str, float] = dict.fromkeys((s.peer for s in SOURCES), MIDNIGHT)
    longest: dict[str, float] = dict.fromkeys(last, 0.0)
    for record in day.records:
        longest[record.peer] = max(longest[record.peer], record.at - last[record.peer])
        last[record.peer] = record.at
    assert max(longest.values()) <= 11 * 60


# -- (4) the stories raise their alerts with the real engine and rule pack -----------------------


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.id)
def test_story_raises_exactly_its_rules(story: Story) -> None:
    events: list[Event] = []
    for line in story.lines(MIDNIGHT, DEFAULT_SEED):
        source = source_for(line.device)
        parsed = _parse(DemoRecord(line.data, source.peer, source.dataset, line.at))
        assert not isinstance(parsed, str), parsed
        events.extend(parsed)
    alerts = _detect(events)
    assert {alert.rule_id for alert in alerts} == set(story.rules)
    assert {alert.source_ip for alert in alerts} <= set(story.sources)
    begins = MIDNIGHT + story.offset
    assert all(begins <= alert.timestamp.timestamp() <= begins + 2 * HOUR for alert in alerts)


def test_the_stories_and_their_rules() -> None:
    expected = {
        "vpn_bruteforce": ("02:10", {"4577f737", "9a3de70e", "87bccc1d", "8e0631a6"}),
        "portal_sqli": (
            "09:40",
            {
                "2ab8399f",
                "e953dc30",
                "66af5e54",
                "7d3884bd",
                "bd762a19",
                "924ef231",
                "e9b0b9d5",
                "c6242e16",
                "c29b4e15",
            },
        ),
        "town_c2": ("10:52", {"513252d3", "65a2b405", "c29b4e15", "bd762a19"}),
        "log4shell_probe": ("13:32", {"bd710488"}),
        "lateral_mgmt": (
            "15:20",
            {"0a97c2bb", "f14ce241", "2ab8399f", "e953dc30", "66af5e54", "c29b4e15", "bd762a19"},
        ),
        "edu_webshell": ("16:35", {"36800155", "2b0e5928", "1e37210c", "75124db7"}),
    }
    assert {s.id: (s.begins, {r.split("-")[0] for r in s.rules}) for s in STORIES} == expected


def test_the_whole_day_raises_the_stories_alerts_and_nothing_else(day_alerts: list[Alert]) -> None:
    assert {a.rule_id for a in day_alerts} == {rule for story in STORIES for rule in story.rules}
    assert {a.source_ip for a in day_alerts} <= {source for story in STORIES for source in story.sources}
    off_hours = [a for a in day_alerts if a.rule_id.startswith("8e0631a6")]
    assert len(off_hours) == 1
    assert dt.datetime.fromtimestamp(off_hours[0].timestamp.timestamp(), CST).strftime("%H:%M") == "02:24"


# -- (5) the site: register and zones ------------------------------------------------------------


def test_register_imports_cleanly_and_every_address_is_in_a_zone() -> None:
    result = read_register(register_csv(), "demo.csv", zones=zones())
    assert result.errors == []
    assert len(result.rows) == len(ASSETS)
    assert 60 <= len(ASSETS) <= 120
    for row in result.rows:
        assert row.fields.zone == zone_of(row.address), row.address
        assert row.fields.owner_unit and row.fields.hostname and row.fields.device_type
        assert row.fields.level in (2, 3) and row.fields.criticality is not None
    assert {z.id for z in zones()} >= {"internet", "dmz", "public", "private", "management", "agency", "town"}
    for source in SOURCES:
        assert zone_of(source.ip) not in (None, "internet"), source


def test_internet_is_only_documentation_addresses_and_every_event_address_is_on_the_site(
    day: ParsedDay,
) -> None:
    internet = next(z for z in ZONE_SPECS if z.id == "internet")
    assert set(internet.cidrs) == {"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"}
    private = ipaddress.ip_network("10.0.0.0/8")
    seen: set[str] = set()
    for events in day.events:
        for event in events:
            for endpoint in (event.source, event.destination):
                if endpoint is not None and endpoint.ip is not None:
                    seen.add(endpoint.ip)
    outside = sorted(ip for ip in seen if zone_of(ip) is None)
    assert outside == []
    assert all(zone_of(ip) == "internet" or ipaddress.ip_address(ip) in private for ip in seen)


# -- (6) the working-day curve -------------------------------------------------------------------


def test_peak_hours_are_busier_than_three_times_the_night(day: ParsedDay) -> None:
    per_hour = Counter(int((r.at - MIDNIGHT) // HOUR) for r in day.records)
    peak, night = per_hour[15], per_hour[3]
    assert peak > 3 * night
    assert 20 * 60 <= peak <= 100 * 60  # 20–100 lines a minute at the peak
    for busy in (9, 10, 11, 14, 15, 16, 17):
        assert per_hour[busy] > 3 * night
    assert per_hour[12] < per_hour[11]  # lunch


def test_weekends_are_quieter_than_working_days() -> None:
    friday_ten, saturday_ten = _local(10), _local(24 + 10)
    assert activity(friday_ten) == 1.0
    assert activity(saturday_ten) < 0.5
    assert activity(_local(3)) < 0.1
