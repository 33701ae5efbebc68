"""``zhonganwangmai.apt`` beyond its goldens: the real corpus lines (read in place from
``../shared/corpus/cn_devices/other_cn_vendors.log``, lines 19-29), the 等保 four on every
alert, time without the epoch column, lines cut short, geo only off the inside network, and
Sigma's ``category: ids``."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from corpus_support import corpus_path, make_record, one_event

from collectors.parse import parse_record
from detectors.sigma.logsources import event_shape, shape_keys
from soc_core.events import Event

DATASET = "zhonganwangmai.apt"
SAMPLES = Path(__file__).resolve().parents[2] / "collectors/parsers/zhonganwangmai_apt/samples/apt.log"
GEO_IN = "China\tbeijing\t39.9047,116.4072\tCN"
GEO_OUT = "China\tBeijing\t39.9289,116.3883\tCN"


def _line(
    *,
    epoch: str = "1795764000123",
    source: str = "10.20.103.23",
    destination: str = "198.51.100.40",
    columns: int = 36,
    geo: tuple[str, str] = (GEO_IN, GEO_OUT),
) -> str:
    fields = (
        f"2026-11-27 15:20:00\t{epoch}\tATD\t10.20.123.5\tNDE\t0b4f6c1e-3a77-4d0e-9c1a-5f2e8b7d6a01\tp5p1\t"
        f"11000022\tpolicy-violation\tweak-password\tnull\t{source}\t52314\tnull\t{destination}\t8181\tnull\t"
        "tcp\thttp\tsecurity-defect\tnull\tnull\t4\t5\tnull\tnull\t"
        "method:POST;status_code:200;host:198.51.100.40;uri:/httpproxy;\tWeak password\t"
        f"{geo[0]}\t{geo[1]}"
    ).split("\t")
    return "<12>Nov 27 15:20:01 apt-sensor-01 apt: " + "\t".join(fields[:columns])


def _corpus_lines() -> list[str]:
    path: Path = corpus_path("cn_devices/other_cn_vendors.log")
    return path.read_text(encoding="utf-8").splitlines()[18:29]  # lines 19-29


def test_every_corpus_line_of_the_sensor_is_an_alert_of_its_dataset() -> None:
    events = [one_event(line) for line in _corpus_lines()]
    assert [e.event.dataset for e in events] == [DATASET] * 11
    for event in events:
        assert event.event.kind == "alert"
        assert event.observer is not None and event.observer.ip == ["192.168.123.5"]
        assert event.observer.hostname == "slave4"


def test_corpus_lines_give_the_request_the_dns_question_and_the_rule() -> None:
    lines = _corpus_lines()
    pdf = one_event(lines[3])  # line 22: the request is in the base64 payload
    assert pdf.rule is not None and (pdf.rule.id, pdf.rule.name, pdf.rule.category) == (
        "2027265",
        "Dotted Quad Host PDF Request",
        "bad-unknown",
    )
    assert pdf.url is not None and pdf.url.domain == "59.202.42.251"
    assert pdf.url.path is not None and pdf.url.path.endswith(".pdf")
    assert pdf.http is not None and pdf.http.request is not None and pdf.http.request.method == "GET"
    assert pdf.http.response is not None and pdf.http.response.status_code == 200
    assert pdf.user_agent is not None and pdf.user_agent.original is not None
    assert pdf.user_agent.original.startswith("Mozilla/4.0")
    assert pdf.event.category == ["network", "intrusion_detection", "web"]
    assert pdf.timestamp.isoformat() == "2019-12-01T10:43:01.118000+00:00"  # the epoch column

    dns = one_event(lines[1])  # line 20
    assert dns.dns is not None and dns.dns.question is not None
    assert (dns.dns.question.name, dns.dns.question.type) == ("ADU.G-FOX.CN", "NB")

    cut = one_event(lines[4])  # line 23: cut inside the payload by its source
    assert cut.http is not None and cut.http.request is not None and cut.http.request.method == "POST"
    assert cut.url is not None and cut.url.domain == "59.255.22.67"
    assert cut.related is not None and "59.193.139.20" in (cut.related.ip or [])  # X-Forwarded-For
    assert cut.extra is not None and cut.extra["zhonganwangmai"]["apt"]["truncated"] is True

    without_sensor = one_event(lines[7])  # line 26: this version leaves the sensor name out
    assert without_sensor.rule is not None and without_sensor.rule.name == "Weak password"
    assert without_sensor.source is not None and without_sensor.source.ip == "192.168.103.23"
    assert without_sensor.extra is not None and "sensor" not in without_sensor.extra["zhonganwangmai"]["apt"]

    pupy = one_event(lines[10])  # line 29: threat intelligence, cut after the details
    assert pupy.event.severity == 5
    assert pupy.rule is not None and pupy.rule.name == "Remote control tool Pupy"
    assert pupy.event.action == "outbound2malicious-server"


def test_every_sample_alert_carries_the_four_that_djcp_8_1_3_3_d_asks_for() -> None:
    for line in SAMPLES.read_text(encoding="utf-8").splitlines():
        event = one_event(line)
        assert event.source is not None and event.source.ip
        assert event.destination is not None and event.destination.ip
        assert event.rule is not None and event.rule.name and event.rule.category
        assert "intrusion_detection" in (event.event.category or [])
        assert event.timestamp is not None


def test_without_the_epoch_column_the_device_time_is_read_in_the_sources_timezone() -> None:
    # auto detection wants the epoch column; a per-source setting names the dataset without it
    shanghai = one_event(_line(epoch="bad"), fmt=DATASET)
    assert shanghai.timestamp.isoformat() == "2026-11-27T07:20:00+00:00"
    utc = one_event(_line(epoch="bad"), fmt=DATASET, timezone="UTC")
    assert utc.timestamp.isoformat() == "2026-11-27T15:20:00+00:00"
    assert utc.extra is not None and utc.extra["zhonganwangmai"]["apt"]["time_ms"] == "bad"
    # with the epoch column, the source's timezone does not matter: it is an instant
    assert one_event(_line(), timezone="UTC").timestamp.isoformat() == "2026-11-27T07:20:00.123000+00:00"


def test_a_line_cut_before_the_destination_port_is_dead_lettered_with_the_reason() -> None:
    outcome = parse_record(make_record(_line(columns=15)), fmt=DATASET)
    assert outcome.dead_letter is not None and not outcome.events
    error = outcome.dead_letter.error
    assert error is not None and error.type == "parse_error"
    assert "cut short: 15 of 36 columns" in (error.message or "")
    kept = one_event(_line(columns=16), fmt=DATASET)  # up to the destination port: kept
    assert kept.destination is not None and kept.destination.port == 8181
    assert kept.extra is not None and kept.extra["zhonganwangmai"]["apt"]["truncated"] is True


@pytest.mark.parametrize(
    ("source", "destination", "source_geo", "destination_geo"),
    [
        ("10.20.103.23", "198.51.100.40", False, True),
        ("203.0.113.7", "172.16.5.9", True, False),
        ("2001:db8::7", "fd00::9", True, False),
        ("100.64.1.2", "192.168.1.1", False, False),
    ],
)
def test_geo_is_taken_only_off_the_inside_network(
    source: str, destination: str, source_geo: bool, destination_geo: bool
) -> None:
    event = one_event(_line(source=source, destination=destination, geo=(GEO_OUT, GEO_OUT)))
    assert event.source is not None and event.destination is not None
    assert (event.source.geo is not None) is source_geo
    assert (event.destination.geo is not None) is destination_geo
    if destination_geo:
        assert event.destination.geo is not None
        assert (event.destination.geo.country_iso_code, event.destination.geo.city_name) == ("CN", "Beijing")
    apt = event.extra["zhonganwangmai"]["apt"] if event.extra else {}
    assert apt["source_location"] == apt["destination_location"] == "39.9289,116.3883"  # kept either way


def test_a_sensor_named_by_its_address_is_not_taken_for_the_version_without_the_name() -> None:
    event = one_event(_line().replace("\tATD\t", "\t10.20.123.5\t"))
    assert event.source is not None and event.source.ip == "10.20.103.23"
    assert event.extra is not None and event.extra["zhonganwangmai"]["apt"]["sensor"] == "10.20.123.5"
    without = one_event(_line().replace("\tATD\t", "\t"))
    assert without.source is not None and without.source.ip == "10.20.103.23"
    assert without.rule is not None and without.rule.name == "Weak password"


def test_a_payload_that_is_not_base64_is_left_out() -> None:
    text = _line().split("\t")
    text[20] = "not base64 at all!"
    event = one_event("\t".join(text))
    assert event.extra is not None and "payload_printable" not in event.extra["zhonganwangmai"]["apt"]
    text[20] = base64.b64encode(b"\xff\xfe binary \x00 bytes").decode()
    event = one_event("\t".join(text))
    assert event.extra is not None
    assert event.extra["zhonganwangmai"]["apt"]["payload_printable"].endswith(" binary \x00 bytes")


def test_sigma_category_ids_rules_see_the_alerts() -> None:
    event: Event = one_event(_line())
    assert "category:ids" in shape_keys(event_shape(event))
