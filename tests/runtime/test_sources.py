"""Per-source settings in the parse workers: by peer address, CIDR, or syslog hostname."""

from __future__ import annotations

from soc_api.runtime.sources import SourceRouter
from soc_api.runtime.workers import parse_records
from soc_core.config import SourceMapping
from soc_core.detection import NoDetector
from soc_core.records import RawRecord

LINE = b'<190>Nov 27 16:00:01 %s {"msg": "x"} src=192.0.2.10 action=deny'


def _parse(router: SourceRouter, line: bytes, peer: str) -> tuple[str | None, str]:
    record = RawRecord(data=line, received_at=1_795_766_400.0, origin="syslog/udp", peer=peer, offset=1)
    events, dead, _ = parse_records(
        [record],
        default_format="auto",
        default_timezone="Asia/Shanghai",
        router=router,
        detector=NoDetector(),
    )
    assert not dead, dead
    return events[0].event.dataset, events[0].timestamp.isoformat()


def test_peer_then_hostname_then_auto() -> None:
    router = SourceRouter(
        [
            SourceMapping(match="198.51.100.0/24", dataset="syslog.kv", timezone="UTC"),
            SourceMapping(match="FW-Branch-7", dataset="syslog.kv", timezone="+09:00"),
        ]
    )
    # peer mapping: key=value, UTC
    assert _parse(router, LINE % b"relay", "198.51.100.9:514") == ("syslog.kv", "2026-11-27T16:00:01+00:00")
    # no peer mapping; the header's hostname matches (case-insensitively)
    assert _parse(router, LINE % b"fw-branch-7", "192.0.2.50:514") == (
        "syslog.kv",
        "2026-11-27T07:00:01+00:00",
    )
    # neither: auto-detection, default timezone
    dataset, stamp = _parse(router, LINE % b"other", "192.0.2.50:514")
    assert stamp == "2026-11-27T08:00:01+00:00"
    assert dataset == "syslog.kv"
    # the peer mapping wins over a hostname mapping
    assert _parse(router, LINE % b"fw-branch-7", "198.51.100.9:514")[1] == "2026-11-27T16:00:01+00:00"
