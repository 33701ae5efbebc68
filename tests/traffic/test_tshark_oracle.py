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

import pytest
from corpus_support import CORPUS

from collectors.traffic.session import Dissector, dissect_capture

SURICATA_VERIFY = CORPUS / "suricata-verify" / "tests"
TSHARK = shutil.which("tshark")
pytestmark = pytest.mark.slow

FlowKey = tuple[str, str, int, str, int]
# DNS, mDNS and LLMNR on their ports, over UDP and TCP; DNS over HTTPS is not ours to read
DNS_FILTER = "(dns or llmnr or mdns) and not http2 and not http"


def _pcaps() -> list[Path]:
    return sorted(p for p in SURICATA_VERIFY.rglob("*") if p.suffix in (".pcap", ".pcapng") and p.is_file())


def _canonical(proto: str, a: str, pa: int, b: str, pb: int) -> FlowKey:
    return (proto, a, pa, b, pb) if (a, pa) <= (b, pb) else (proto, b, pb, a, pa)


def _first(value: str) -> str:
    return value.split(",")[0] if value else ""


def _tshark_fields(pcap: Path, display_filter: str, fields: list[str]) -> list[list[str]]:
    assert TSHARK is not None
    args = [TSHARK, "-n", "-r", str(pcap), "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a"]
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
    rows = _tshark_fields(
        pcap,
        "tcp or udp",
        ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "ip.proto", "ipv6.nxt", "tcp.srcport", "tcp.dstport",
         "udp.srcport", "udp.dstport", "ip.frag_offset", "ipv6.fraghdr.offset"],
    )  # fmt: skip
    out: Counter[FlowKey] = Counter()
    for row in rows:
        row += [""] * (12 - len(row))
        src, dst = _first(row[0]) or _first(row[1]), _first(row[2]) or _first(row[3])
        proto = _first(row[4]) or _first(row[5])
        if _first(row[10]) not in ("", "0") or _first(row[11]) not in ("", "0"):
            continue  # non-first fragments carry no ports
        if proto == "6" and row[6]:
            out[_canonical("tcp", src, int(_first(row[6])), dst, int(_first(row[7])))] += 1
        elif proto == "17" and row[8]:
            out[_canonical("udp", src, int(_first(row[8])), dst, int(_first(row[9])))] += 1
    return out


def _ours(pcap: Path) -> tuple[Counter[FlowKey], Counter[str]]:
    flows: Counter[FlowKey] = Counter()
    names: Counter[str] = Counter()
    for event in dissect_capture(pcap.read_bytes(), dissector=Dissector()):
        if (
            event.event.dataset == "network.flow"
            and event.network
            and event.network.transport in ("tcp", "udp")
        ):
            assert event.source is not None and event.destination is not None
            key = _canonical(
                event.network.transport,
                event.source.ip or "",
                event.source.port or 0,
                event.destination.ip or "",
                event.destination.port or 0,
            )
            flows[key] += (event.source.packets or 0) + (event.destination.packets or 0)
        elif event.event.dataset == "network.dns" and event.dns and event.dns.question:
            names[event.dns.question.name or ""] += 1
    return flows, names


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (apt-get install tshark)")
@pytest.mark.skipif(
    not SURICATA_VERIFY.is_dir(), reason=f"suricata-verify corpus not found at {SURICATA_VERIFY}"
)
def test_flows_and_dns_agree_with_tshark_over_suricata_verify() -> None:
    pcaps = _pcaps()
    assert len(pcaps) > 100
    totals = {"flows": [0, 0], "dns names": [0, 0]}  # agreeing, compared
    disagreements: list[str] = []
    for pcap in pcaps:
        theirs_flows = _tshark_flows(pcap)
        theirs_names: Counter[str] = Counter(
            _first(row[0]) for row in _tshark_fields(pcap, DNS_FILTER, ["dns.qry.name"]) if row and row[0]
        )
        ours_flows, ours_names = _ours(pcap)
        for name, (theirs, ours) in {
            "flows": (theirs_flows, ours_flows),
            "dns names": (theirs_names, ours_names),
        }.items():
            keys = set(theirs) | set(ours)
            agree = sum(1 for k in keys if theirs.get(k) == ours.get(k))
            totals[name][0] += agree
            totals[name][1] += len(keys)
            for key in sorted(keys, key=str):
                if theirs.get(key) != ours.get(key) and len(disagreements) < 200:
                    where = pcap.relative_to(SURICATA_VERIFY)
                    disagreements.append(
                        f"{where}: {name} {key}: tshark {theirs.get(key)}, ours {ours.get(key)}"
                    )
    print("\n== dissection vs tshark over suricata-verify ==")
    print(f"pcaps {len(pcaps)}")
    for name, (agree, compared) in totals.items():
        print(f"{name:10s} {agree}/{compared} agree ({100 * agree / max(compared, 1):.2f} %)")
    for line in disagreements:
        print("  " + line)
    for name, (agree, compared) in totals.items():
        assert compared > 0
        assert agree / compared >= 0.99, f"{name}: {agree}/{compared}"
