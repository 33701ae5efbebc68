"""Elastic integration pipeline tests as a conformance check of our parsers.

``../shared/corpus/elastic/<package>/<data stream>/`` holds raw device lines and, for some,
the ECS documents Elastic's ingest pipelines make of them (``*-expected.json``). For every
raw/expected pair our document must agree with Elastic's on the fields below wherever
Elastic sets them: ≥ 95 % per package and overall. Raw-only files must parse, line by line,
to the dataset of their package.

Comparison rules, chosen so that a difference is a real disagreement:

* ``@timestamp`` compares instants (``-05:00`` and ``Z`` spellings of one moment agree) at
  the precision Elastic wrote (its pipelines cut Snort's microseconds to milliseconds);
* ``event.category`` / ``event.type`` agree when every value Elastic gives is in ours: our
  event contract adds values Elastic does not (``intrusion_detection`` on every IDS/IPS/WAF
  event, DESIGN §4), which is not a disagreement;
* other lists compare as sets (a scalar counts as a one-element list), IPs canonically,
  numbers by value.

Each source gets the timezone Elastic's test configured (``event.timezone`` of the expected
documents) — the same per-source setting a site would make — and is received at Elastic's
``event.ingested`` time when given (year-less timestamps resolve against it).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance_corpus import DEFAULT_RECEIVED_AT, REPORT, corpus_dir, flatten, parse_line

FIELDS: tuple[str, ...] = (
    "@timestamp",
    "event.action",
    "event.outcome",
    "event.category",
    "event.type",
    "source.ip",
    "source.port",
    "destination.ip",
    "destination.port",
    "network.transport",
    "rule.name",
    "url.original",
    "http.request.method",
    "http.response.status_code",
    "user.name",
    "dns.question.name",
    "observer.vendor",
    "observer.product",
)
SUPERSET_FIELDS = frozenset({"event.category", "event.type"})
THRESHOLD = 0.95

# <package>/<data stream> → the dataset our parsers must give its lines. A new folder in
# the corpus fails the test until it is mapped here.
DATASETS: dict[str, str] = {
    "cef/log": "cef.log",
    "cisco_asa/log": "cisco.asa",
    "fortinet_fortigate/log": "fortinet.fortigate",
    "iptables/log": "iptables.log",
    "modsecurity/auditlog": "modsecurity.auditlog",
    "panw/panos": "panw.panos",
    "snort/log": "snort.alert",
    "suricata/eve": "suricata.eve",
    "zeek/connection": "zeek.connection",
    "zeek/dns": "zeek.dns",
}


def _raw_files() -> Iterator[Path]:
    root = corpus_dir("elastic")
    yield from sorted(root.glob("*/*/*.log"))


def _stream(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}"


def _lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().split(b"\n") if line.strip()]


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def agrees(name: str, want: Any, got: Any) -> bool:
    """Whether our value ``got`` agrees with Elastic's ``want`` for field ``name``."""
    if got is None:
        return False
    if name == "@timestamp":
        try:
            wanted, ours = _parse_time(str(want)), _parse_time(str(got))
        except ValueError:
            return False
        fraction = re.search(r"\.(\d+)", str(want))
        digits = len(fraction.group(1)) if fraction else 0
        if digits < 6:  # compare at Elastic's precision: truncate ours to it
            step = 10 ** (6 - digits)
            ours = ours.replace(microsecond=ours.microsecond // step * step)
        return wanted == ours
    if isinstance(want, list) or isinstance(got, list):
        wants = {_norm(v) for v in (want if isinstance(want, list) else [want])}
        gots = {_norm(v) for v in (got if isinstance(got, list) else [got])}
        return wants <= gots if name in SUPERSET_FIELDS else wants == gots
    return bool(_norm(want) == _norm(got))


def compare_file(raw: Path, expected: Path) -> tuple[int, int, list[str]]:
    """(fields compared, fields agreeing, disagreement descriptions) for one pair."""
    docs = json.loads(expected.read_text("utf-8"))["expected"]
    lines = _lines(raw)
    assert len(docs) == len(lines), f"{expected.name}: {len(docs)} documents for {len(lines)} lines"
    compared = agreed = 0
    notes: list[str] = []
    for number, (line, want_doc) in enumerate(zip(lines, docs, strict=True), start=1):
        want = flatten(want_doc)
        info = want_doc.get("event", {})
        ingested = info.get("ingested")
        received_at = _parse_time(ingested).timestamp() if ingested else DEFAULT_RECEIVED_AT
        outcome = parse_line(line, received_at=received_at, timezone=info.get("timezone"), offset=number)
        if outcome.dead_letter is not None:
            got: dict[str, Any] = {}
            notes.append(f"{raw.name}:{number}: dead-lettered: {outcome.dead_letter.error}")
        else:
            got = flatten(json.loads(outcome.events[0].to_json()))
        for name in FIELDS:
            if name not in want or want[name] is None:
                continue
            compared += 1
            if agrees(name, want[name], got.get(name)):
                agreed += 1
            else:
                notes.append(f"{raw.name}:{number}: {name}: elastic {want[name]!r}, ours {got.get(name)!r}")
    return compared, agreed, notes


def test_expected_documents_agree() -> None:
    rows: list[tuple[str, int, int]] = []
    notes: list[str] = []
    for raw in _raw_files():
        expected = raw.with_name(raw.name + "-expected.json")
        if not expected.exists():
            continue
        compared, agreed, file_notes = compare_file(raw, expected)
        rows.append((_stream(raw), compared, agreed))
        notes.extend(file_notes)
    assert rows, "no raw/expected pairs found under elastic/"
    by_package: dict[str, list[int]] = {}
    for stream, compared, agreed in rows:
        totals = by_package.setdefault(stream, [0, 0])
        totals[0] += compared
        totals[1] += agreed
    total_compared = sum(c for c, _ in by_package.values())
    total_agreed = sum(a for _, a in by_package.values())
    table = [f"{'package':<28}{'fields':>8}{'agree':>8}{'share':>9}"]
    for stream, (compared, agreed) in sorted(by_package.items()):
        table.append(f"{stream:<28}{compared:>8}{agreed:>8}{agreed / compared:>9.1%}")
    table.append(f"{'overall':<28}{total_compared:>8}{total_agreed:>8}{total_agreed / total_compared:>9.1%}")
    table.extend(["", "disagreements:"] + (notes or ["none"]))
    REPORT.add("conformance: Elastic expected documents", table)
    failing = {s: a / c for s, (c, a) in by_package.items() if a / c < THRESHOLD}
    assert total_agreed / total_compared >= THRESHOLD and not failing, "\n".join(table)


def test_raw_files_parse_to_their_dataset() -> None:
    lines_out: list[str] = []
    problems: list[str] = []
    for raw in _raw_files():
        stream = _stream(raw)
        dataset = DATASETS.get(stream)
        if dataset is None:
            problems.append(f"{stream}: no dataset mapped for this corpus folder (add it to DATASETS)")
            continue
        ok = 0
        lines = _lines(raw)
        for number, line in enumerate(lines, start=1):
            outcome = parse_line(line, offset=number)
            if outcome.dead_letter is not None:
                problems.append(f"{raw.name}:{number}: dead-lettered: {outcome.dead_letter.error}")
                continue
            found = {event.event.dataset for event in outcome.events}
            if found == {dataset}:
                ok += 1
            else:
                problems.append(f"{raw.name}:{number}: dataset {sorted(found)}, expected {dataset}")
        lines_out.append(f"{stream:<28}{dataset:<24}{ok:>4}/{len(lines):<4}")
    REPORT.add("conformance: Elastic raw lines → dataset", lines_out + (problems or ["all as expected"]))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("name", "want", "got", "expected"),
    [
        ("@timestamp", "2021-05-30T19:09:10.917-05:00", "2021-05-31T00:09:10.917Z", True),
        ("@timestamp", "2021-05-30T19:09:10.917-05:00", "2021-05-30T19:09:10.917Z", False),
        ("@timestamp", "2021-05-30T19:09:10.917-05:00", "2021-05-31T00:09:10.917356Z", True),
        ("@timestamp", "2021-05-30T19:09:10.917-05:00", "2021-05-31T00:09:10.918Z", False),
        ("@timestamp", "2021-05-30T19:09:10Z", "2021-05-30T19:09:10.5Z", True),
        ("event.category", ["network"], ["network", "intrusion_detection"], True),
        ("event.category", ["network", "web"], ["network"], False),
        ("related.ip", ["192.0.2.1"], ["192.0.2.1", "192.0.2.2"], False),
        ("source.ip", "2001:DB8::1", "2001:db8::1", True),
        ("source.port", 80, 80, True),
        ("source.port", 80, None, False),
        ("event.action", "deny", "Deny", False),
    ],
)
def test_comparison_rules(name: str, want: Any, got: Any, expected: bool) -> None:
    assert agrees(name, want, got) is expected
