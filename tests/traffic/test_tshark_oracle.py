"""Our dissection against tshark on every pcap of the suricata-verify corpus.

Compared: flow 5-tuples with their packet counts (summed over a flow's reports; tshark's
per-packet outer headers aggregated the same way) and DNS query names per message. Prints
the agreement per field and every disagreement; fails below 99 %.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from corpus_support import CORPUS

from collectors.traffic.session import Dissector, dissect_capture

SURICATA_VERIFY = CORPUS / "suricata-verify" / "tests"
TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.slow

FlowKey = tuple[str, str, int, str, int]
# DNS, mDNS and LLMNR on their ports, over UDP and TCP; DNS over HTTPS is not ours to read
DNS_FILTER = "(dns or llmnr or mdns) and not http2 and not http and not icmp and not icmpv6"
AGGREGATOR = "\x1f"  # between a field's occurrences in one packet (values may hold commas)
HTTP_FILTER = "http.request or http.response"
TLS_FILTER = "tls.handshake.type == 1"
APP_FIELDS = (
    "dns names",
    "http method",
    "http host",
    "http uri",
    "http user agent",
    "http status",
    "tls sni",
)


def _pcaps() -> list[Path]:
    return sorted(p for p in SURICATA_VERIFY.rglob("*") if p.suffix in (".pcap", ".pcapng") and p.is_file())


def _canonical(proto: str, a: str, pa: int, b: str, pb: int) -> FlowKey:
    return (proto, a, pa, b, pb) if (a, pa) <= (b, pb) else (proto, b, pb, a, pa)


def _first(value: str) -> str:
    return value.split(AGGREGATOR)[0] if value else ""


def _tshark_fields(pcap: Path, display_filter: str, fields: list[str]) -> list[list[str]]:
    assert TSHARK is not None
    args = [
        TSHARK,
        "-n",
        # segments that arrive ahead of a gap are reassembled once the gap fills, as we do
        "-o",
        "tcp.reassemble_out_of_order:TRUE",
        "-r",
        str(pcap),
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        f"aggregator={AGGREGATOR}",
    ]
    if display_filter:
        args += ["-Y", display_filter]
    for name in fields:
        args += ["-e", name]
    done = subprocess.run(args, capture_output=True, timeout=120, check=False)
    error = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0 and "damaged or corrupt" not in error and "cut short" not in error:
        raise AssertionError(f"tshark failed on {pcap}: {error[-500:]}")
    # a damaged file: tshark (like us) gives the packets before the damage
    return [line.split("\t") for line in done.stdout.decode("utf-8", "replace").splitlines()]


def _tshark_flows(pcap: Path) -> Counter[FlowKey]:
    # ICMP errors quote the headers of the packet they answer: those are not packets of a flow
    rows = _tshark_fields(
        pcap,
        "(tcp or udp) and not icmp and not icmpv6",
        ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport",
         "udp.dstport", "ip.frag_offset", "ipv6.fraghdr.offset"],
    )  # fmt: skip
    out: Counter[FlowKey] = Counter()
    for row in rows:
        row += [""] * (10 - len(row))
        src, dst = _first(row[0]) or _first(row[1]), _first(row[2]) or _first(row[3])
        if _first(row[8]) not in ("", "0") or _first(row[9]) not in ("", "0"):
            continue  # non-first fragments carry no ports
        if row[4]:
            out[_canonical("tcp", src, int(_first(row[4])), dst, int(_first(row[5])))] += 1
        elif row[6]:
            out[_canonical("udp", src, int(_first(row[6])), dst, int(_first(row[7])))] += 1
    return out


def _host(value: str) -> str:
    """A Host header without its port, as we keep it in ``url.domain``."""
    return value.rsplit(":", 1)[0] if value and not value.endswith("]") else value


def _tshark_app_fields(pcap: Path) -> dict[str, Counter[str]]:
    """DNS query names, HTTP request and response fields and TLS SNI, as tshark reads them."""
    out: dict[str, Counter[str]] = {name: Counter() for name in APP_FIELDS}
    for row in _tshark_fields(pcap, DNS_FILTER, ["dns.qry.name"]):
        if row and row[0]:
            out["dns names"][_first(row[0])] += 1
    http_fields = [
        "http.request.method",
        "http.host",
        "http.request.uri",
        "http.user_agent",
        "http.response.code",
    ]
    for row in _tshark_fields(pcap, HTTP_FILTER, http_fields):
        row += [""] * (5 - len(row))
        # one frame may end several pipelined heads: tshark lists each field once per head
        methods, hosts, uris, agents, codes = (value.split(AGGREGATOR) if value else [] for value in row)
        for method in methods:
            out["http method"][method] += 1
        for host in hosts:
            out["http host"][_host(host)] += 1
        for uri in uris:
            out["http uri"][uri] += 1
        for agent in agents:
            out["http user agent"][agent] += 1
        for code in codes:
            out["http status"][code] += 1
    for row in _tshark_fields(pcap, TLS_FILTER, ["tls.handshake.extensions_server_name"]):
        if row and row[0]:
            out["tls sni"][_first(row[0])] += 1
    return out


def _ours(pcap: Path) -> tuple[Counter[FlowKey], dict[str, Counter[str]]]:
    flows: Counter[FlowKey] = Counter()
    fields: dict[str, Counter[str]] = {name: Counter() for name in APP_FIELDS}
    for event in dissect_capture(pcap.read_bytes(), dissector=Dissector()):
        dataset = event.event.dataset
        if dataset == "network.flow" and event.network and event.network.transport in ("tcp", "udp"):
            assert event.source is not None and event.destination is not None
            key = _canonical(
                event.network.transport,
                event.source.ip or "",
                event.source.port or 0,
                event.destination.ip or "",
                event.destination.port or 0,
            )
            flows[key] += (event.source.packets or 0) + (event.destination.packets or 0)
        elif dataset == "network.dns" and event.dns and event.dns.question:
            fields["dns names"][event.dns.question.name or ""] += 1
        elif dataset == "network.http" and event.http:
            if event.http.request is not None:
                fields["http method"][event.http.request.method or ""] += 1
                if event.url is not None:
                    if event.url.domain:
                        fields["http host"][event.url.domain] += 1
                    fields["http uri"][event.url.original or ""] += 1
                if event.user_agent is not None:
                    fields["http user agent"][event.user_agent.original or ""] += 1
            elif event.http.response is not None:
                fields["http status"][str(event.http.response.status_code)] += 1
        elif dataset == "network.tls" and event.tls and event.tls.client and event.tls.client.server_name:
            fields["tls sni"][event.tls.client.server_name] += 1
    return flows, fields


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (apt-get install tshark)")
@pytest.mark.skipif(
    not SURICATA_VERIFY.is_dir(), reason=f"suricata-verify corpus not found at {SURICATA_VERIFY}"
)
def test_flows_dns_http_and_tls_agree_with_tshark_over_suricata_verify() -> None:
    pcaps = _pcaps()
    assert len(pcaps) > 100
    totals = {name: [0, 0] for name in ("flows", *APP_FIELDS)}  # agreeing, compared
    disagreements: list[str] = []
    for pcap in pcaps:
        theirs: dict[str, Counter[Any]] = {"flows": _tshark_flows(pcap), **_tshark_app_fields(pcap)}
        ours_flows, ours_fields = _ours(pcap)
        ours: dict[str, Counter[Any]] = {"flows": ours_flows, **ours_fields}
        for name in totals:
            keys = set(theirs[name]) | set(ours[name])
            agree = sum(1 for k in keys if theirs[name].get(k) == ours[name].get(k))
            totals[name][0] += agree
            totals[name][1] += len(keys)
            for key in sorted(keys, key=str):
                if theirs[name].get(key) != ours[name].get(key) and len(disagreements) < 300:
                    where = pcap.relative_to(SURICATA_VERIFY)
                    disagreements.append(
                        f"{where}: {name} {key!r}: tshark {theirs[name].get(key)}, ours {ours[name].get(key)}"
                    )
    print("\n== dissection vs tshark over suricata-verify ==")
    print(f"pcaps {len(pcaps)}")
    for name, (agree, compared) in totals.items():
        print(f"{name:16s} {agree}/{compared} agree ({100 * agree / max(compared, 1):.2f} %)")
    for line in disagreements:
        print("  " + line)
    for name, (agree, compared) in totals.items():
        assert compared > 0, name
        assert agree / compared >= 0.99, f"{name}: {agree}/{compared}"
