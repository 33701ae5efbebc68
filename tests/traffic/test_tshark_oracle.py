"""Our dissection against tshark on every pcap of the suricata-verify corpus.

Compared: flow 5-tuples with their packet counts (summed over a flow's reports; tshark's
per-packet outer headers aggregated the same way) and DNS query names per message. Prints
the agreement per field and every disagreement; fails below 99 %.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Explained:
    """A disagreement read by hand, with the reason; ``check`` names an independent check that
    must confirm our figure (else the disagreement counts against us)."""

    reason: str
    check: str | None = None


STATUS_LINES = "status lines"  # ours = server segments that begin with "HTTP/1.x <code>"
OUT_OF_ORDER = "out of order"  # ours = tshark's figure once it reassembles out-of-order segments
_AFTER_GAP = (
    "a capture gap (segments the client acknowledged but the capture lacks) cuts a response; "
    "tshark loses the stream there, we step over the gap and read the heads that follow"
)
_BODY_CUT = (
    "the response head is complete but its body never is (cut by a gap or the capture's end): "
    "tshark shows a response only once its body is whole, we report the head"
)
EXPLAINED: dict[tuple[str, str, str], Explained] = {
    ("http-gap-simple/input.pcap", "http status", "200"): Explained(_AFTER_GAP, STATUS_LINES),
    ("http-gap-double/input.pcap", "http status", "200"): Explained(_AFTER_GAP, STATUS_LINES),
    ("http-gap-whole-body/input.pcap", "http status", "200"): Explained(_AFTER_GAP, STATUS_LINES),
    ("http-gap-beyond-body/input.pcap", "http status", "200"): Explained(_AFTER_GAP, STATUS_LINES),
    ("http-pipeline-files-with-gap/input.pcap", "http status", "200"): Explained(_AFTER_GAP, STATUS_LINES),
    ("http-body-inspect/http-aptget-ids-02-s2.pcap", "http status", "200"): Explained(
        _BODY_CUT, STATUS_LINES
    ),
    ("http-response-line/input.pcap", "http status", "200"): Explained(_BODY_CUT, STATUS_LINES),
    ("http-range-file/input.pcap", "http status", "206"): Explained(
        "the first response head arrives after later segments; tshark by default does not "
        "reassemble out-of-order segments",
        OUT_OF_ORDER,
    ),
    ("http-multiple-cl/input.pcap", "http uri", "/evil.php"): Explained(
        "request smuggling test: the first request carries two different Content-Length values "
        "(11 and 93), which RFC 9112 §6.3 makes unrecoverable; we frame its body by the first and "
        "read /evil.php next, tshark by the last and reads /bad.php"
    ),
    ("http-multiple-cl/input.pcap", "http uri", "/bad.php"): Explained("the same request, framed by tshark"),
    ("http-uri-spaces/input.pcap", "http uri", "/uri afterspace"): Explained(
        "request line 'GET /uri afterspace HTTP/1.1': we keep the whole target, spaces included "
        "(as Suricata's libhtp does: attacks hide there), tshark stops at the first space"
    ),
    ("http-uri-spaces/input.pcap", "http uri", "/uri"): Explained("the same request line, as tshark cuts it"),
}


def _status_lines_on_the_wire(pcap: Path, code: str) -> int:
    """Server segments whose payload begins with an HTTP/1.x status line of ``code``."""
    prefix = [f"HTTP/1.{minor} {code} ".encode().hex() for minor in (0, 1)]
    rows = _tshark_fields(pcap, "tcp.len > 0", ["tcp.payload"])
    return sum(1 for row in rows if row and row[0].startswith(tuple(prefix)))


def _confirmed(pcap: Path, name: str, key: Any, ours: int | None, explained: Explained) -> bool:
    if explained.check == STATUS_LINES:
        return ours == _status_lines_on_the_wire(pcap, str(key))
    if explained.check == OUT_OF_ORDER:
        rows = _tshark_fields(
            pcap, HTTP_FILTER, ["http.response.code"], ("tcp.reassemble_out_of_order:TRUE",)
        )
        return ours == sum(1 for row in rows if row and row[0] == str(key))
    return True


def _pcaps() -> list[Path]:
    return sorted(p for p in SURICATA_VERIFY.rglob("*") if p.suffix in (".pcap", ".pcapng") and p.is_file())


def _canonical(proto: str, a: str, pa: int, b: str, pb: int) -> FlowKey:
    return (proto, a, pa, b, pb) if (a, pa) <= (b, pb) else (proto, b, pb, a, pa)


def _first(value: str) -> str:
    return value.split(AGGREGATOR)[0] if value else ""


def _tshark_fields(
    pcap: Path, display_filter: str, fields: list[str], preferences: tuple[str, ...] = ()
) -> list[list[str]]:
    assert TSHARK is not None
    args = [
        TSHARK,
        "-n",
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
    for preference in preferences:
        args += ["-o", preference]
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
    fields = ("flows", *APP_FIELDS)
    agree = dict.fromkeys(fields, 0)
    explained_count = dict.fromkeys(fields, 0)
    compared = dict.fromkeys(fields, 0)
    against: list[str] = []
    explained_lines: list[str] = []
    for pcap in pcaps:
        where = str(pcap.relative_to(SURICATA_VERIFY))
        theirs: dict[str, Counter[Any]] = {"flows": _tshark_flows(pcap), **_tshark_app_fields(pcap)}
        ours_flows, ours_fields = _ours(pcap)
        ours: dict[str, Counter[Any]] = {"flows": ours_flows, **ours_fields}
        for name in fields:
            for key in sorted(set(theirs[name]) | set(ours[name]), key=str):
                compared[name] += 1
                mine, tshark = ours[name].get(key), theirs[name].get(key)
                if mine == tshark:
                    agree[name] += 1
                    continue
                line = f"{where}: {name} {key!r}: tshark {tshark}, ours {mine}"
                explanation = EXPLAINED.get((where, name, str(key)))
                if explanation is not None and _confirmed(pcap, name, key, mine, explanation):
                    explained_count[name] += 1
                    explained_lines.append(f"{line} — {explanation.reason}")
                else:
                    against.append(line)
    print("\n== dissection vs tshark over suricata-verify ==")
    print(f"pcaps {len(pcaps)}")
    print(f"{'field':16s} {'compared':>8s} {'agree':>6s} {'explained':>9s} {'against':>7s}  agreement")
    for name in fields:
        bad = compared[name] - agree[name] - explained_count[name]
        share = 100 * (agree[name] + explained_count[name]) / max(compared[name], 1)
        raw = 100 * agree[name] / max(compared[name], 1)
        print(
            f"{name:16s} {compared[name]:8d} {agree[name]:6d} {explained_count[name]:9d} {bad:7d}  "
            f"{share:.2f} % ({raw:.2f} % before explanations)"
        )
    print("explained disagreements (each confirmed where a check is named):")
    for line in explained_lines:
        print("  " + line)
    print("disagreements against us:" if against else "disagreements against us: none")
    for line in against:
        print("  " + line)
    for name in fields:
        assert compared[name] > 0, name
        share = (agree[name] + explained_count[name]) / compared[name]
        assert share >= 0.99, f"{name}: {agree[name]} + {explained_count[name]} explained of {compared[name]}"
