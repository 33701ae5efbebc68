"""Behaviour of ``suricata.eve``, ``modsecurity.auditlog`` and ``chaitin.safeline`` beyond the goldens.

Corpus checks: every line of Elastic's ``suricata/eve/test-eve-small.log`` and the four EVE lines
of Wazuh's ``malicious-ioc.ini`` are ``suricata.eve``; Wazuh's ``owlh.ini`` holds Zeek (not
Suricata) JSON, which must not be taken for EVE; both lines of Elastic's
``modsecurity/auditlog/test-audit.log`` and every line of Wazuh's ``modsecurity.ini`` (Apache
error-log ModSecurity lines) are ``modsecurity.auditlog``; the 瑞数 (River Security)
``ParsedAccessLog`` JSON in ``cn_devices/other_cn_vendors.log`` is not SafeLine.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from corpus_support import CORPUS, make_record

from collectors.decode import decode_record
from collectors.parse import ParseOutcome, parse_record
from collectors.parsers.chaitin_safeline.parser import ATTACK_TYPES, SafelineParser, attack_type
from collectors.parsers.modsecurity_auditlog.shapes import parse_message
from soc_core.events import Event
from soc_core.vocabulary import DeadLetterReason

PARSERS_DIR = Path(__file__).resolve().parents[2] / "collectors" / "parsers"
EVE, MODSEC, SAFELINE = "suricata.eve", "modsecurity.auditlog", "chaitin.safeline"


_record = make_record  # syslog/udp from 192.0.2.1 at RECEIVED_AT; keywords override


def _parse(data: bytes | str | dict[str, Any], fmt: str = "auto", **kwargs: Any) -> ParseOutcome:
    if isinstance(data, dict):
        data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return parse_record(_record(data, **kwargs), fmt=fmt)


def _event(data: bytes | str | dict[str, Any], fmt: str = "auto", **kwargs: Any) -> Event:
    outcome = _parse(data, fmt, **kwargs)
    assert outcome.dead_letter is None, outcome.dead_letter.to_json()
    assert len(outcome.events) == 1
    return outcome.events[0]


def _doc(event: Event) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(event.to_json())
    return doc


def _corpus(relative: str) -> Path:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file {path} is absent (the shared corpus is not mounted here)")
    return path


def _lines(relative: str) -> list[bytes]:
    return [line for line in _corpus(relative).read_bytes().split(b"\n") if line.strip()]


def _ini_lines(relative: str) -> list[bytes]:
    """The ``log N pass = <line>`` lines of a Wazuh ruleset test file."""
    found = []
    for line in _corpus(relative).read_bytes().split(b"\n"):
        if line.startswith(b"log ") and b" pass = " in line:
            found.append(line.split(b" pass = ", 1)[1])
    return found


def _samples(folder: str) -> list[bytes]:
    lines: list[bytes] = []
    for sample in sorted((PARSERS_DIR / folder / "samples").glob("*.log")):
        lines.extend(line for line in sample.read_bytes().split(b"\n") if line.strip())
    return lines


EVE_ALERT = {
    "timestamp": "2026-11-27T16:00:00.000001+0800",
    "flow_id": 1,
    "event_type": "alert",
    "src_ip": "203.0.113.9",
    "src_port": 40000,
    "dest_ip": "192.168.10.20",
    "dest_port": 80,
    "proto": "TCP",
    "alert": {
        "action": "allowed",
        "gid": 1,
        "signature_id": 2100498,
        "rev": 7,
        "signature": "GPL ATTACK_RESPONSE id check returned root",
        "category": "Potentially Bad Traffic",
        "severity": 2,
    },
}


# -- suricata.eve ----------------------------------------------------------------------------------


def test_every_elastic_eve_line_is_suricata_eve() -> None:
    lines = _lines("elastic/suricata/eve/test-eve-small.log")
    assert len(lines) == 12
    for number, line in enumerate(lines, start=1):
        for fmt in ("auto", EVE):
            event = _event(line, fmt, offset=number)
            assert event.event.dataset == EVE, (number, fmt)
            assert event.observer is not None and event.observer.product == "Suricata"
    alert = _doc(_event(lines[1]))
    assert alert["event"]["kind"] == "alert"
    assert alert["rule"] == {
        "id": "2024833",
        "name": "ET POLICY Observed IP Lookup Domain (l2 .io in TLS SNI)",
        "category": "Potential Corporate Privacy Violation",
        "version": "3",
    }
    assert alert["event"]["severity"] == 4  # Suricata severity 1
    assert alert["@timestamp"] == "2018-07-05T19:07:20.910626Z"
    assert alert["source"] == {"ip": "192.168.86.85", "port": 55641, "bytes": 793, "packets": 4}
    assert alert["tls"]["client"]["server_name"] == "l2.io"
    assert alert["suricata"]["eve"]["alert"] == {"gid": 1}
    dns = _doc(_event(lines[4]))
    assert dns["dns"]["question"] == {"name": "clients.l.google.com", "type": "A"}
    assert dns["dns"]["resolved_ip"] == ["175.16.199.1"]
    flow = _doc(_event(lines[7]))
    assert flow["source"]["ip"] == "fe80::fada:cff:fedc:87f1"
    assert flow["event"]["type"] == ["connection", "end"]
    assert flow["suricata"]["eve"]["app_proto"] == "failed"
    stats = _doc(_event(lines[5]))
    assert stats["event"]["kind"] == "metric"
    assert stats["suricata"]["eve"]["stats"]["uptime"] == 5400


def test_owlh_ini_holds_zeek_lines_not_suricata_eve() -> None:
    lines = _ini_lines("wazuh/owlh.ini")
    assert len(lines) == 4
    for line in lines:
        assert b'"event_type"' not in line  # OwlH's lines here are Zeek (bro_engine) JSON
        outcome = _parse(line)
        assert outcome.dead_letter is None
        assert outcome.events[0].event.dataset not in (EVE, MODSEC, SAFELINE)
        forced = _parse(line, EVE)
        assert forced.dead_letter is not None
        assert forced.dead_letter.error is not None and "event_type" in (
            forced.dead_letter.error.message or ""
        )


def test_wazuh_malicious_ioc_eve_lines() -> None:
    lines = [line for line in _ini_lines("wazuh/malicious-ioc.ini") if b'"event_type"' in line]
    assert len(lines) == 4
    kinds = []
    for line in lines:
        doc = _doc(_event(line))
        assert doc["event"]["dataset"] == EVE
        kinds.append(doc["event"]["kind"])
        if doc["event"]["kind"] == "alert":
            assert doc["vulnerability"]["id"] == ["CVE-2014-6271"]  # from the signature text
            assert doc["rule"]["category"] == "Attempted Administrator Privilege Gain"
            assert doc["observer"]["hostname"] == "suricata.com"
            assert doc["suricata"]["eve"]["payload_printable"] == "hi test"
    assert kinds == ["alert", "alert", "event", "event"]


def test_unknown_keys_and_wrong_types_are_kept_not_lost() -> None:
    base = _doc(_event(EVE_ALERT))
    extended = dict(EVE_ALERT, new_top={"a": 1}, alert={**EVE_ALERT["alert"], "new_field": "x"})  # type: ignore[dict-item]
    doc = _doc(_event(extended))
    assert doc["rule"] == base["rule"] and doc["source"] == base["source"]
    assert doc["suricata"]["eve"]["new_top"] == {"a": 1}
    assert doc["suricata"]["eve"]["alert"] == {"gid": 1, "new_field": "x"}
    wrong = _doc(_event(dict(EVE_ALERT, src_port="http", dest_port=70000)))
    assert "port" not in wrong["source"] and "port" not in wrong["destination"]
    assert wrong["suricata"]["eve"]["src_port"] == "http"
    assert wrong["suricata"]["eve"]["dest_port"] == 70000
    assert wrong["rule"] == base["rule"]


def test_alert_metadata_cve_and_attack() -> None:
    alert = dict(
        EVE_ALERT,
        alert={
            **EVE_ALERT["alert"],  # type: ignore[dict-item]
            "action": "blocked",
            "severity": 3,
            "category": "",
            "signature": "ET EXPLOIT Possible CVE-2023-1234 attempt",
            "metadata": {
                "cve": ["CVE_2021_44228"],
                "mitre_technique_id": ["T1190"],
                "former_category": ["EXPLOIT"],
            },
        },
    )
    doc = _doc(_event(alert))
    assert doc["event"]["type"] == ["info", "denied"] and doc["event"]["outcome"] == "failure"
    assert doc["event"]["severity"] == 2
    assert doc["vulnerability"]["id"] == ["CVE-2021-44228", "CVE-2023-1234"]
    assert doc["threat"] == {"framework": "MITRE ATT&CK", "technique": {"id": ["T1190"]}}
    assert doc["rule"]["category"] == "EXPLOIT"  # Suricata gave none: ET's former_category
    assert doc["suricata"]["eve"]["alert"]["metadata"] == {"former_category": ["EXPLOIT"]}


def test_eve_timezone_override_for_times_without_offset() -> None:
    line = dict(EVE_ALERT, timestamp="2026-11-27T16:00:00.000001")
    assert _event(line).timestamp == dt.datetime(2026, 11, 27, 8, 0, 0, 1, tzinfo=dt.UTC)
    utc = _event(line, timezone="UTC")
    assert utc.timestamp == dt.datetime(2026, 11, 27, 16, 0, 0, 1, tzinfo=dt.UTC)


def test_eve_after_syslog_header_and_cee_prefix() -> None:
    body = json.dumps(EVE_ALERT, separators=(",", ":"))
    for text in (
        f"<134>Nov 27 16:00:00 ids-01 suricata[99]: {body}",
        f"<134>Nov 27 16:00:00 ids-01 suricata: @cee: {body}",
    ):
        event = _event(text)
        assert event.event.dataset == EVE
        assert event.observer is not None and event.observer.hostname == "ids-01"


def test_eve_broken_records_are_dead_lettered_with_a_reason() -> None:
    truncated = json.dumps(EVE_ALERT)[:120]
    outcome = _parse(truncated, EVE)
    assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
    assert "not valid JSON" in (outcome.dead_letter.error.message or "")
    deep = '{"timestamp":"2026-11-27T16:00:00+0800","event_type":"alert","x":' + "[" * 100 + "]" * 100 + "}"
    outcome = _parse(deep, EVE)
    assert outcome.dead_letter is not None and "nested deeper" in (outcome.dead_letter.error.message or "")  # type: ignore[union-attr]
    outcome = _parse('{"timestamp":"2026-11-27T16:00:00+0800","event_type":17}', EVE)
    assert outcome.dead_letter is not None
    outcome = _parse("[1, 2, 3]", EVE)
    assert outcome.dead_letter is not None


def test_eve_sniff_is_specific() -> None:
    generic = {"timestamp": "2026-11-27T16:00:00Z", "event_type": "login", "user": "zhangsan"}
    assert _event(generic).event.dataset == "json.log"
    ecs = {
        "@timestamp": "2026-11-27T08:00:00Z",
        "event": {"dataset": "suricata.eve"},
        "source": {"ip": "192.0.2.1"},
    }
    assert _event(ecs).event.dataset == "json.log"


# -- modsecurity.auditlog -----------------------------------------------------------------------------

# The native serial format: one record holds the whole multi-line transaction, so these
# samples cannot be lines of a *.log golden file.
SERIAL = PARSERS_DIR / "modsecurity_auditlog" / "samples" / "serial"
NATIVE_V2 = (SERIAL / "apache-v2.txt").read_text("utf-8")
NATIVE_V3 = (SERIAL / "nginx-v3.txt").read_text("utf-8")


def test_native_serial_transaction_is_one_event() -> None:
    for fmt in ("auto", MODSEC):
        doc = _doc(_event(NATIVE_V2, fmt))
        assert doc["event"]["dataset"] == MODSEC
        assert doc["event"]["kind"] == "alert" and doc["event"]["action"] == "intercepted"
        assert doc["event"]["type"] == ["info", "denied"]
        assert doc["@timestamp"] == "2026-11-27T08:50:00.654321Z"
        assert doc["source"] == {"ip": "203.0.113.45", "port": 51600}
        assert doc["destination"]["ip"] == "192.168.10.20"
        # the attack rule, not the anomaly-score evaluation, names the attack
        assert doc["rule"]["id"] == "930120" and doc["rule"]["category"] == "attack-lfi"
        assert doc["url"]["query"] == "page=../../../../etc/passwd"
        assert doc["http"]["response"]["status_code"] == 403
        assert doc["user_agent"]["original"] == "curl/8.5.0"
        kept = doc["modsecurity"]["auditlog"]
        assert kept["rule_ids"] == ["930120", "930100", "949110"] and kept["phase"] == 2
        assert "attack-lfi" in kept["tags"]
    doc = _doc(_event(NATIVE_V3))
    assert doc["event"]["action"] == "warning" and doc["event"]["type"] == ["info", "allowed"]
    assert doc["source"]["ip"] == "2001:db8:100::5"
    assert doc["rule"]["name"] == "SQL Injection Attack Detected via libinjection"
    assert doc["event"]["severity"] == 4
    assert doc["http"]["request"]["body"]["content"] == "user=admin'--&password=x"


def test_elastic_modsecurity_audit_lines() -> None:
    lines = _lines("elastic/modsecurity/auditlog/test-audit.log")
    assert len(lines) == 2
    statuses = []
    for line in lines:
        doc = _doc(_event(line))
        assert doc["event"]["dataset"] == MODSEC
        assert doc["event"]["kind"] == "event" and doc["event"]["category"] == ["web"]  # no rule messages
        assert doc["source"]["ip"] == "89.160.20.112" and doc["destination"]["ip"] == "10.0.1.175"
        assert doc["url"]["domain"] == "test.com.mm"
        statuses.append(doc["http"]["response"]["status_code"])
    assert statuses == [400, 403]


def test_wazuh_modsecurity_error_log_lines() -> None:
    lines = _ini_lines("wazuh/modsecurity.ini")
    assert len(lines) == 6
    actions = []
    for line in lines:
        doc = _doc(_event(line))
        assert doc["event"]["dataset"] == MODSEC
        assert doc["source"]["ip"].startswith("172.16.10.")
        assert doc["destination"]["ip"] == "172.16.10.91"
        actions.append(doc["event"]["action"])
        if doc["event"]["kind"] == "alert":
            assert doc["rule"]["name"] and doc["rule"]["category"] and doc["rule"]["id"]
    assert actions == ["warning", "warning", "error", "error", "intercepted", "intercepted"]
    denied = _doc(_event(lines[4]))
    assert denied["rule"]["category"] == "PROTOCOL_VIOLATION/MISSING_HEADER_ACCEPT"
    assert denied["event"]["severity"] == 2  # NOTICE
    assert denied["http"]["response"]["status_code"] == 403


def test_modsecurity_message_fields() -> None:
    message = parse_message(
        'Warning. Pattern match "a\\"b" at ARGS:x. [id "1"] [msg "say \\"hi\\""] '
        '[tag "a"] [tag "b"] [severity "WARNING"]'
    )
    assert message.text == 'Warning. Pattern match "a\\"b" at ARGS:x.'
    assert message.fields == {"id": "1", "msg": 'say "hi"', "severity": "WARNING"}
    assert message.tags == ["a", "b"] and message.level() == 4


def test_modsecurity_sniff_is_specific() -> None:
    assert _event('{"transactions":[1],"msg":"x"}').event.dataset == "json.log"
    outcome = _parse("ModSecurity: Warning. no bracket before it", MODSEC)
    assert outcome.dead_letter is not None


# -- chaitin.safeline ----------------------------------------------------------------------------------


def test_river_security_access_log_is_not_safeline() -> None:
    lines = [line for line in _lines("cn_devices/other_cn_vendors.log") if b"ParsedAccessLog:" in line]
    assert lines, "the 瑞数 ParsedAccessLog line is missing from the corpus"
    for line in lines:
        # The corpus line is cut short (its JSON is not closed), so no parser claims it and it is
        # dead-lettered as such; a closed copy is generic JSON. Never SafeLine.
        outcome = _parse(line)
        assert not outcome.events and outcome.dead_letter is not None
        assert (
            outcome.dead_letter.error is not None
            and outcome.dead_letter.error.type == DeadLetterReason.NO_PARSER.value
        )
        closed = line + b'":"79"}'
        assert _event(closed).event.dataset == "json.log"
        assert not SafelineParser().sniff(decode_record(_record(closed)))


def test_safeline_attack_type_codes() -> None:
    assert attack_type("0") == ("sql_injection", "SQL 注入")
    assert attack_type("backdoor") == ("backdoor", "后门")
    assert attack_type("Something_New") == ("something_new", None)
    assert len({name for name, _ in ATTACK_TYPES.values()}) == len(ATTACK_TYPES)


def test_safeline_samples_carry_the_four_and_values_as_strings_work() -> None:
    docs = [_doc(_event(line)) for line in _samples("chaitin_safeline")]
    alerts = [doc for doc in docs if doc["event"]["kind"] == "alert"]
    assert len(alerts) == 4
    strings = alerts[1]  # the relay that turned every value into a string
    assert strings["source"]["port"] == 49142 and strings["rule"]["name"] == "禁用php"
    assert strings["event"]["start"] == "2026-11-27T08:21:30.392000Z"


def test_safeline_broken_json_is_dead_lettered() -> None:
    line = '<30>1 2026-11-27T16:20:01+08:00 h /matio/mario 1 safeline_event - {"attack_type":"xss",'
    outcome = _parse(line, SAFELINE)
    assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
    assert outcome.dead_letter.error.type == "parse_error"


# -- all three ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["suricata_eve", "modsecurity_auditlog", "chaitin_safeline"])
def test_every_detection_carries_the_dengbao_four(folder: str) -> None:
    """等保 8.1.3.3 d): attack source, attack type (rule name and category), target, time."""
    lines = _samples(folder)
    if folder == "modsecurity_auditlog":
        lines += [NATIVE_V2.encode(), NATIVE_V3.encode()]
    alerts = 0
    for line in lines:
        doc = _doc(_event(line))
        if doc["event"]["kind"] != "alert":
            continue
        alerts += 1
        assert doc["source"]["ip"], line
        assert doc["rule"]["name"] and doc["rule"]["category"], line
        target = doc.get("destination", {})
        assert target.get("ip") or target.get("domain") or doc.get("url"), line
        assert doc["@timestamp"]
    assert alerts >= 3


def test_safeline_refuses_deep_json_but_not_wide_json() -> None:
    """The shared depth guard: nesting is refused, many sibling brackets are not."""
    line = Path(__file__).resolve().parents[2] / "collectors/parsers/chaitin_safeline/samples/attacks.log"
    sample = line.read_text(encoding="utf-8").splitlines()[0]
    wide = sample.replace('"payload":""', '"payload":"","extra":[' + ",".join(["{}"] * 100) + "]", 1)
    deep = sample.replace('"payload":""', '"payload":"","extra":' + "[" * 100 + "]" * 100, 1)
    assert wide != sample and deep != sample
    assert _event(wide, SAFELINE).event.dataset == SAFELINE
    outcome = _parse(deep, SAFELINE)
    assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
    assert "nested deeper than 64 levels" in (outcome.dead_letter.error.message or "")
