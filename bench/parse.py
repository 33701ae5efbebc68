"""Parser throughput on one core: lines/s through the whole parse path, against orjson.

Workloads (deterministic, seeded; device time advances one second every 50 lines, as on a
busy box): Huawei USG and H3C SecPath key=value firewall lines (policy permits/denies,
session logs with NAT, H3C zone filter decisions) and Suricata EVE JSON (alert, flow, dns,
http, tls in equal parts); the boxes' IPS detections are measured too, for information (they
are not under the firewall target), and so is "Huawei USG, scan": USG lines whose every source
is an IPv6 address the parser has not seen (the address cache is emptied before each pass),
as in a scan or a flood, where the cache of canonical addresses does not help. Each line goes
through ``collectors.parse.parse_record`` — decode (UTF-8/GB18030, syslog header), parse,
finish — as the parse workers do, with the dataset named by a per-source setting, and once
more with ``--format auto``.

Baseline in the same run, over the same lines: ``orjson.loads`` + ``orjson.dumps``. For EVE
the lines are JSON already; key=value lines are not, so their baseline round-trips the ECS
document we make of each line (the same information, as JSON). The ratio says how close a
full parse gets to the fastest JSON round trip in Python.

"parse" is the parser's throughput (each outcome dropped once made); "in worker chunks" keeps
a chunk of 5,000 outcomes alive until the next, as a parse worker does before encoding and
detection (fresh memory for every event costs a few µs a line). Both run with the
garbage-collector settings of a parse worker. The process pins itself to one CPU. Figures
are medians of ``--repeats`` passes (the machine is shared; compare ratios, not absolute
numbers across runs).

The parse path is measured as it is installed: compiled with mypyc when ``make`` could build
it (``python -m collectors.accelerate status``), else Python; ``SOC_PURE_PYTHON=1`` measures
the Python modules on a machine that has the compiled ones. The first lines say which.

Run: ``.venv/bin/python bench/parse.py [--lines 50000] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
from collections.abc import Callable

import orjson

from collectors.compiled import status as parse_path_status
from collectors.parse import parse_record
from collectors.parsers.common import canonical_ip
from soc_api.runtime.workers import WORKER_GC_THRESHOLDS
from soc_core.records import RawRecord

RECEIVED_AT = 1_795_766_400.0  # 2026-11-27T08:00:00Z


def _ip(rng: random.Random, net: str) -> str:
    return f"{net}.{rng.randint(1, 254)}"


def _clock(i: int, per_second: int = 50) -> str:
    """Device time of line ``i``: a busy box logs many lines within each second."""
    seconds = 16 * 3600 + i // per_second
    return f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def huawei_lines(rng: random.Random, n: int, *, ips: bool = False, scan: bool = False) -> list[str]:
    """USG policy and session lines in the shapes real devices send (IPS detections with ``ips``;
    with ``scan``, every line from a source address not seen before, as in a scan or a flood)."""
    out: list[str] = []
    for i in range(n):
        src, dst = _ip(rng, "192.0.2"), _ip(rng, "198.51.100")
        if scan:
            src = f"2001:db8:{i >> 16:x}:{i & 0xFFFF:x}::{rng.randint(1, 0xFFFF):x}"
        sport, dport = rng.randint(1024, 65535), rng.choice((22, 53, 80, 443, 3389, 8080))
        clock = _clock(i)
        kind = 2 if ips else i % 2
        if kind == 0:
            verdict = "POLICYPERMIT" if rng.random() < 0.8 else "POLICYDENY"
            out.append(
                f"<190>Nov 27 2026 {clock} USG6650-A %%01POLICY/6/{verdict}(l):CID=0x814f041e;"
                f"vsys=public, protocol=6, source-ip={src}, source-port={sport}, destination-ip={dst}, "
                f"destination-port={dport}, time=2026/11/27 {clock}, source-zone=trust, "
                f"destination-zone=untrust, application-name=HTTPS, rule-name=办公网访问互联网."
            )
        elif kind == 1:
            nat = _ip(rng, "203.0.113")
            out.append(
                f"<190>Nov 27 2026 {clock} USG6650-A %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4,Protocol=tcp,"
                f"SourceIP={src},DestinationIP={dst},SourcePort={sport},DestinationPort={dport},"
                f"SourceNatIP={nat},SourceNatPort={rng.randint(1024, 65535)},BeginTime=1795766000,"
                f"EndTime=1795766400,SendPkts={rng.randint(1, 900)},SendBytes={rng.randint(60, 90000)},"
                f"RcvPkts={rng.randint(1, 900)},RcvBytes={rng.randint(60, 900000)},SourceVpnID=0,"
                f"DestinationVpnID=0,PolicyName=default."
            )
        else:
            out.append(
                f"<188>Nov 27 2026 {clock}+08:00 USG6650-A %%01IPS/4/DETECT(l):An intrusion was detected. "
                f'(SyslogId={i}, VSys="public", Policy="ips-default", SrcIp={dst}, DstIp={src}, '
                f'SrcPort={sport}, DstPort={dport}, SrcZone=untrust, DstZone=trust, User="unknown", '
                f'Protocol=TCP, Application="HTTP", Profile="default", SignName="SQL Injection Attempt", '
                f"SignId=1002{i % 100:02d}, EventNum=1, Target=server, Severity=high, Os=all, "
                f"Category=Injection, Reference=CVE-2021-44228, Action=Block)"
            )
    return out


def h3c_lines(rng: random.Random, n: int, *, ips: bool = False) -> list[str]:
    """Comware session and filter lines (IPS detections with ``ips``)."""
    out: list[str] = []
    for i in range(n):
        src, dst, nat = _ip(rng, "192.0.2"), _ip(rng, "198.51.100"), _ip(rng, "203.0.113")
        sport, dport = rng.randint(1024, 65535), rng.choice((22, 53, 80, 443, 8080))
        clock = _clock(i)
        kind = 2 if ips else i % 2
        if kind == 0:
            out.append(
                f"<6> Nov 27 {clock} 2026 GW-F1050 %%10session/6/SESSION_IPV4_FLOW: Protocol(1001)=TCP;"
                f"Application(1002)=http;SrcIPAddr(1003)={src};SrcPort(1004)={sport};"
                f"NatSrcIPAddr(1005)={nat};NatSrcPort(1006)={rng.randint(1024, 65535)};"
                f"DstIPAddr(1007)={dst};DstPort(1008)={dport};NatDstIPAddr(1009)={dst};"
                f"NatDstPort(1010)={dport};InitPktCount(1044)={rng.randint(1, 99)};"
                f"InitByteCount(1046)={rng.randint(60, 9000)};RplyPktCount(1045)={rng.randint(0, 99)};"
                f"RplyByteCount(1047)={rng.randint(0, 90000)};RcvVPNInstance(1042)=;SndVPNInstance(1043)=;"
                f"RcvDSLiteTunnelPeer(1040)=;SndDSLiteTunnelPeer(1041)=;"
                f"BeginTime_e(1013)=11272026{clock.replace(':', '')};"
                f"EndTime_e(1014)=;Event(1048)=(8)Session created;"
            )
        elif kind == 1:
            verdict = "Permit" if rng.random() < 0.8 else "Deny"
            out.append(
                f"<190> Nov 27 {clock} 2026 GW-F1050 %%10FILTER/6/FILTER_ZONE_IPV4_EXECUTION: "
                f"SrcZoneName(1025)=Untrust;DstZoneName(1035)=Trust;Type(1067)=ACL;"
                f"SecurityPolicy(1072)=web_in;RuleID(1078)={rng.randint(1, 300)};Protocol(1001)=TCP;"
                f"Application(1002)=general_tcp;SrcIPAddr(1003)={dst};SrcPort(1004)={sport};"
                f"DstIPAddr(1007)={src};DstPort(1008)={dport};MatchCount(1069)=1;Event(1048)={verdict};"
            )
        else:
            out.append(
                f"<188>Nov 27 {clock} 2026 GW-F1050 %%10IPS/4/IPS_IPV4_INTERZONE: Protocol(1001)=TCP; "
                f"Application(1002)=http; SrcIPAddr(1003)={dst}; SrcPort(1004)={sport}; "
                f"DstIPAddr(1007)={src}; DstPort(1008)={dport}; RcvVPNInstance(1042)=; "
                f"SrcZoneName(1025)=Untrust; DstZoneName(1035)=Trust; PolicyName(1079)=ips_default; "
                f"AttackName(1088)=WEB_SQL_Injection_Attempt; AttackID(1089)={23000 + i % 500}; "
                f"Category(1090)=Injection; Protection(1091)=WebServer; SubProtection(1092)=Any; "
                f"Severity(1087)=HIGH; Action(1053)=Block-Source & Logging; CVE(1075)=--; BID(1076)=--; "
                f"MSB(1077)=--; HitDirection(1115)=original; RealSrcIP(1100)=; SubCategory(1124)=SQL; "
            )
    return out


def eve_lines(rng: random.Random, n: int) -> list[str]:
    """Suricata 7 EVE records: alert, flow, dns, http, tls in a realistic mix."""
    out: list[str] = []
    for i in range(n):
        src, dst = _ip(rng, "192.0.2"), _ip(rng, "198.51.100")
        sport, dport = rng.randint(1024, 65535), rng.choice((53, 80, 443))
        stamp = f"2026-11-27T{_clock(i)}.{rng.randint(0, 999999):06d}+0800"
        common = {
            "timestamp": stamp,
            "flow_id": rng.randint(1, 2**50),
            "in_iface": "eth1",
            "src_ip": src,
            "src_port": sport,
            "dest_ip": dst,
            "dest_port": dport,
            "proto": "TCP",
            "community_id": "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        }
        kind = i % 5
        if kind == 0:
            doc = {
                **common,
                "event_type": "alert",
                "tx_id": 0,
                "alert": {
                    "action": "allowed",
                    "gid": 1,
                    "signature_id": 2_000_000 + i % 900,
                    "rev": 3,
                    "signature": "ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT",
                    "category": "Web Application Attack",
                    "severity": 1,
                    "metadata": {"mitre_technique_id": ["T1190"], "cve": ["CVE-2021-44228"]},
                },
                "app_proto": "http",
                "flow": {
                    "pkts_toserver": 4,
                    "pkts_toclient": 3,
                    "bytes_toserver": 700,
                    "bytes_toclient": 900,
                    "start": stamp,
                },
            }
        elif kind == 1:
            doc = {
                **common,
                "event_type": "flow",
                "app_proto": "tls",
                "flow": {
                    "pkts_toserver": rng.randint(1, 99),
                    "pkts_toclient": rng.randint(1, 99),
                    "bytes_toserver": rng.randint(60, 9000),
                    "bytes_toclient": rng.randint(60, 90000),
                    "start": stamp,
                    "end": stamp,
                    "age": 3,
                    "state": "closed",
                    "reason": "timeout",
                    "alerted": False,
                },
                "tcp": {
                    "tcp_flags": "1b",
                    "syn": True,
                    "fin": True,
                    "psh": True,
                    "ack": True,
                    "state": "closed",
                },
            }
        elif kind == 2:
            doc = {
                **common,
                "proto": "UDP",
                "event_type": "dns",
                "dns": {
                    "version": 2,
                    "type": "answer",
                    "id": rng.randint(0, 65535),
                    "flags": "8180",
                    "qr": True,
                    "rd": True,
                    "ra": True,
                    "rrname": f"host{i % 97}.example.com",
                    "rrtype": "A",
                    "rcode": "NOERROR",
                    "answers": [
                        {
                            "rrname": f"host{i % 97}.example.com",
                            "rrtype": "A",
                            "ttl": 300,
                            "rdata": _ip(rng, "203.0.113"),
                        }
                    ],
                },
            }
        elif kind == 3:
            doc = {
                **common,
                "event_type": "http",
                "tx_id": 0,
                "http": {
                    "hostname": "www.example.com",
                    "url": f"/news/{i}.html?page=2",
                    "http_user_agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
                    "http_content_type": "text/html",
                    "http_method": "GET",
                    "protocol": "HTTP/1.1",
                    "status": 200,
                    "length": rng.randint(100, 90000),
                },
            }
        else:
            doc = {
                **common,
                "event_type": "tls",
                "tls": {
                    "subject": "CN=www.example.com",
                    "issuerdn": "CN=Example CA",
                    "serial": "01:02:03",
                    "fingerprint": "aa:bb:cc",
                    "sni": "www.example.com",
                    "version": "TLS 1.3",
                    "notbefore": "2026-01-01T00:00:00",
                    "notafter": "2027-01-01T00:00:00",
                    "ja3": {"hash": "e7d705a3286e19ea42f587b344ee6865", "string": "771,4865-4866,0-23,29,0"},
                    "ja4": "t13d1516h2_8daaf6152771_02713d6af862",
                },
            }
        out.append(orjson.dumps(doc).decode())
    return out


def _records(lines: list[str]) -> list[RawRecord]:
    return [
        RawRecord(
            data=line.encode(),
            received_at=RECEIVED_AT,
            origin="syslog/udp",
            peer="192.0.2.1:514",
            offset=number,
        )
        for number, line in enumerate(lines)
    ]


def _timed(fn: Callable[[], object], repeats: int) -> float:
    times: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(
    name: str, dataset: str, lines: list[str], repeats: int, json_lines: bool, *, cold: bool = False
) -> dict[str, float]:
    """Lines/s for parse (named dataset and auto) and for the orjson baseline; with ``cold``,
    the address cache is emptied before every pass, so each line's addresses are new to it."""
    records = _records(lines)
    dead = 0
    for record in records:
        outcome = parse_record(record, fmt=dataset)
        if outcome.dead_letter is not None:
            dead += 1
            if dead == 1:
                print(f"  {name}: dead letter: {outcome.dead_letter.error}")
    if json_lines:
        payloads = [line.encode() for line in lines]
    else:  # the same information as JSON: our own documents
        outcomes = [parse_record(r, fmt=dataset) for r in records]
        payloads = [(o.events[0] if o.events else o.dead_letter).to_json() for o in outcomes]  # type: ignore[union-attr]

    # As in a parse worker: a chunk's outcomes stay alive until the chunk is encoded.
    chunks = [records[i : i + CHUNK] for i in range(0, len(records), CHUNK)]

    def begin_pass() -> None:
        if cold:  # every address new to the cache, as in a scan
            canonical_ip.cache_clear()

    def ours_named() -> None:
        begin_pass()
        for record in records:
            parse_record(record, fmt=dataset)

    def ours_worker() -> None:
        begin_pass()
        for chunk in chunks:
            kept = [parse_record(record, fmt=dataset) for record in chunk]
        del kept

    def ours_auto() -> None:
        begin_pass()
        for chunk in chunks:
            kept = [parse_record(record) for record in chunk]
        del kept

    def ours_encoded() -> None:
        begin_pass()
        for chunk in chunks:
            kept = [event.to_json() for record in chunk for event in parse_record(record, fmt=dataset).events]
        del kept

    def baseline() -> None:
        loads, dumps = orjson.loads, orjson.dumps
        for payload in payloads:
            dumps(loads(payload))

    n = len(records)
    result = {
        "named": n / _timed(ours_named, repeats),
        "worker": n / _timed(ours_worker, repeats),
        "auto": n / _timed(ours_auto, repeats),
        "encoded": n / _timed(ours_encoded, repeats),
        "baseline": n / _timed(baseline, repeats),
        "dead": float(dead),
    }
    print(
        f"{name:<22} parse {result['named']:>9,.0f}/s  in worker chunks {result['worker']:>9,.0f}/s  "
        f"auto {result['auto']:>9,.0f}/s  "
        f"parse+encode {result['encoded']:>10,.0f}/s  orjson loads+dumps {result['baseline']:>10,.0f}/s  "
        f"ratio {result['named'] / result['baseline']:.2f}  ({1e6 / result['named']:.1f} µs/line, "
        f"{dead} dead letters)"
    )
    return result


CHUNK = 5_000  # records per parse-worker batch (the default ingest.batch_max_records)
TARGETS: dict[str, float] = {"huawei.usg": 50_000, "h3c.secpath": 50_000, "suricata.eve": 100_000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", action="append", metavar="DATASET", help="measure only these datasets")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    gc.freeze()  # the garbage-collector settings of a parse worker
    gc.set_threshold(*WORKER_GC_THRESHOLDS)
    rng = random.Random(20261127)
    workloads = [
        ("huawei.usg", "Huawei USG firewall", huawei_lines(rng, args.lines), False),
        ("h3c.secpath", "H3C SecPath firewall", h3c_lines(rng, args.lines), False),
        ("suricata.eve", "Suricata EVE (JSON)", eve_lines(rng, args.lines), True),
    ]
    extra = [  # not under a target: IPS detections of the same boxes, and a scan
        ("huawei.ips", "Huawei IPS", huawei_lines(rng, args.lines // 4, ips=True), False, False),
        ("h3c.ips", "H3C IPS", h3c_lines(rng, args.lines // 4, ips=True), False, False),
        ("huawei.usg", "Huawei USG, scan", huawei_lines(rng, args.lines, scan=True), False, True),
    ]
    if args.only:
        workloads = [w for w in workloads if w[0] in args.only]
        extra = [w for w in extra if w[0] in args.only]
    compiled, why = parse_path_status()
    print(f"{args.lines:,} lines per workload, median of {args.repeats}, one core")
    print(f"parse path: {'compiled' if compiled else 'Python'} ({why})")
    verdicts: list[str] = []
    for dataset, name, lines, json_lines, cold in extra:  # cold: sources new to the cache each pass
        measure(name, dataset, lines, args.repeats, json_lines, cold=cold)
    for dataset, name, lines, json_lines in workloads:
        result = measure(name, dataset, lines, args.repeats, json_lines)
        target = TARGETS[dataset]
        met = "met" if result["named"] >= target else "NOT met"
        if result["dead"]:
            met = "NOT VALID: lines were dead-lettered"
        verdicts.append(
            f"{name}: {result['named']:,.0f} lines/s (target {target:,.0f}: {met}; stretch {2 * target:,.0f})"
        )
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
