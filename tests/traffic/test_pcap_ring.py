"""The pcap ring: rotation, the byte bound, restarts, finding files by time, and files that
our reader and tshark both read back packet for packet."""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from pcap_support import SECOND, T0, ether, ipv4, udp

from collectors.traffic.pcapfile import Packet, read_capture
from collectors.traffic.ring import PcapRing

TSHARK = shutil.which("tshark")
TSHARK_FIELDS = ("-e", "frame.time_epoch", "-e", "frame.len", "-e", "frame.cap_len", "-e", "udp.srcport")
NAME = re.compile(r"ring-(\d{8}T\d{6})-(\d{6})\.pcap")


def _packets(count: int, *, step_ns: int = SECOND // 4, seed: int = 7) -> list[Packet]:
    """UDP frames of varied sizes, ``step_ns`` apart, from T0."""
    rng = random.Random(seed)
    packets = []
    for i in range(count):
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(20, 220)))
        frame = ether(ipv4("198.51.100.2", "198.51.100.1", 17, udp(40000 + i % 7, 53, payload)))
        packets.append(Packet(T0 + i * step_ns + rng.randrange(1_000_000), 1, frame, len(frame)))
    return packets


def _partition(packets: list[Packet], file_bytes: int) -> list[list[Packet]]:
    """How the ring must split ``packets`` into files: a file is closed when the next record
    would take it past ``file_bytes``."""
    files: list[list[Packet]] = []
    size = 0
    for packet in packets:
        record = 16 + len(packet.data)
        if not files or size + record > file_bytes:
            files.append([])
            size = 24
        files[-1].append(packet)
        size += record
    return files


def _size(group: list[Packet]) -> int:
    return 24 + sum(16 + len(p.data) for p in group)


def _read(paths: list[Path]) -> list[Packet]:
    return [packet for path in paths for packet in read_capture(path.read_bytes())]


def _seq(path: Path) -> int:
    match = NAME.fullmatch(path.name)
    assert match is not None, path.name
    return int(match[2])


def test_rotation_keeps_the_newest_files_within_the_byte_bound(tmp_path: Path) -> None:
    packets = _packets(400)
    with PcapRing(tmp_path, max_bytes=16_384, file_bytes=4_096) as ring:
        for packet in packets:
            ring.write(packet)
    expected = _partition(packets, 4_096)
    files = ring.files()
    kept = len(files)
    # the newest files, exactly as the partition says, and no file left behind on disk
    assert [list(read_capture(f.read_bytes())) for f in files] == expected[-kept:]
    assert sorted(tmp_path.iterdir()) == files
    assert [f.stat().st_size for f in files] == [_size(group) for group in expected[-kept:]]
    # within the bound, and tight: the newest deleted file would not have fitted
    total = sum(f.stat().st_size for f in files)
    assert total <= 16_384 < total + _size(expected[-kept - 1])
    assert all(f.stat().st_size <= 4_096 for f in files)
    assert [_seq(f) for f in files] == list(range(len(expected) - kept + 1, len(expected) + 1))
    stats = ring.stats()
    assert stats["files"] == kept
    assert stats["bytes"] == total
    assert stats["deleted_files"] == len(expected) - kept
    assert stats["packets"] == 400
    assert stats["oldest_ns"] == expected[-kept][0].ts_ns // SECOND * SECOND
    assert stats["newest_ns"] == packets[-1].ts_ns


def test_file_names_carry_the_first_packets_utc_second_and_the_sequence(tmp_path: Path) -> None:
    packets = _packets(60)
    with PcapRing(tmp_path, max_bytes=1 << 20, file_bytes=2_048) as ring:
        for packet in packets:
            ring.write(packet)
    files = ring.files()
    assert len(files) == len(_partition(packets, 2_048)) > 3
    for index, path in enumerate(files, start=1):
        match = NAME.fullmatch(path.name)
        assert match is not None, path.name
        first = next(read_capture(path.read_bytes()))
        second = dt.datetime.fromtimestamp(first.ts_ns // SECOND, dt.UTC)
        assert match[1] == second.strftime("%Y%m%dT%H%M%S")
        assert int(match[2]) == index
    assert files[0].name == "ring-20261127T080000-000001.pcap"


def test_a_restarted_ring_goes_on_with_the_sequence_and_the_bound(tmp_path: Path) -> None:
    packets = _packets(240)
    with PcapRing(tmp_path, max_bytes=12_288, file_bytes=3_072) as first:
        for packet in packets[:120]:
            first.write(packet)
    before = first.files()
    with PcapRing(tmp_path, max_bytes=12_288, file_bytes=3_072) as second:
        assert second.files() == before
        assert second.stats()["bytes"] == sum(f.stat().st_size for f in before)
        for packet in packets[120:]:
            second.write(packet)
    after = second.files()
    seqs = [_seq(f) for f in after]
    assert seqs == list(range(seqs[0], seqs[0] + len(after)))
    assert seqs[-1] == _seq(before[-1]) + len(_partition(packets[120:], 3_072))
    assert sum(f.stat().st_size for f in after) <= 12_288
    kept = _read(after)
    assert kept == packets[-len(kept) :]
    # a lower bound on the next start deletes the oldest files at once
    with PcapRing(tmp_path, max_bytes=6_144, file_bytes=3_072) as third:
        assert third.files() == after[-len(third.files()) :]
        assert third.stats()["bytes"] <= 6_144
        assert third.stats()["deleted_files"] == len(after) - len(third.files())


def test_find_names_the_files_holding_a_time_range(tmp_path: Path) -> None:
    packets = _packets(200, step_ns=SECOND * 3 // 10)
    ring = PcapRing(tmp_path, max_bytes=1 << 20, file_bytes=1_024)
    for packet in packets:
        ring.write(packet)
    # the file being written is flushed by find, so its packets can be read at once
    assert ring.find(packets[-1].ts_ns, packets[-1].ts_ns) == [ring.files()[-1]]
    assert _read(ring.files()) == packets
    spans = [(path, [p.ts_ns for p in read_capture(path.read_bytes())]) for path in ring.files()]
    rng = random.Random(11)
    for _ in range(200):
        start = rng.randrange(packets[0].ts_ns - 5 * SECOND, packets[-1].ts_ns + 5 * SECOND)
        end = start + rng.randrange(0, 10 * SECOND)
        holding = [path for path, times in spans if any(start <= t <= end for t in times)]
        overlapping = [path for path, times in spans if times[0] <= end and start <= times[-1]]
        # files written by this ring: their first and last packet times are known exactly
        assert ring.find(start, end) == overlapping
        assert set(holding) <= set(overlapping)
    assert ring.find(packets[0].ts_ns - 10 * SECOND, packets[0].ts_ns - 1) == []
    assert ring.find(packets[-1].ts_ns + 1, packets[-1].ts_ns + SECOND) == []
    ring.close()

    # after a restart only the names are known: a file may hold up to the next file's start
    # (to the second), the newest file anything after its start
    reopened = PcapRing(tmp_path, max_bytes=1 << 20, file_bytes=1_024)
    files = reopened.files()
    named = [p.ts_ns // SECOND * SECOND for p in (next(read_capture(f.read_bytes())) for f in files)]
    for _ in range(200):
        start = rng.randrange(packets[0].ts_ns - 5 * SECOND, packets[-1].ts_ns + 5 * SECOND)
        end = start + rng.randrange(0, 10 * SECOND)
        found = reopened.find(start, end)
        may_hold = [
            path
            for index, path in enumerate(files)
            if named[index] <= end and (index + 1 == len(files) or start < named[index + 1] + SECOND)
        ]
        assert found == may_hold
        holding = [path for path, times in spans if any(start <= t <= end for t in times)]
        assert set(holding) <= set(found)
    assert reopened.find(packets[0].ts_ns - 10 * SECOND, packets[0].ts_ns - 2 * SECOND) == []
    assert reopened.find(packets[-1].ts_ns + SECOND, packets[-1].ts_ns + 2 * SECOND) == [reopened.files()[-1]]
    reopened.close()


def test_packets_longer_than_snaplen_are_cut_with_their_wire_length_kept(tmp_path: Path) -> None:
    frame = ether(ipv4("198.51.100.1", "198.51.100.2", 17, udp(53, 40000, bytes(range(256)) * 2)))
    with PcapRing(tmp_path, max_bytes=1 << 20, file_bytes=1 << 16, snaplen=96) as ring:
        ring.write(Packet(T0, 1, frame, len(frame)))
        ring.write(Packet(T0 + 1, 1, frame[:60], 60))
    data = ring.files()[0].read_bytes()
    assert struct.unpack_from("<IHHiIII", data) == (0xA1B23C4D, 2, 4, 0, 0, 96, 1)
    assert list(read_capture(data)) == [
        Packet(T0, 1, frame[:96], len(frame)),
        Packet(T0 + 1, 1, frame[:60], 60),
    ]
    assert len(frame) == 554


def test_a_packet_of_another_link_type_is_refused(tmp_path: Path) -> None:
    with (
        PcapRing(tmp_path, max_bytes=1 << 20, file_bytes=1 << 16) as ring,
        pytest.raises(ValueError, match="link type 101"),
    ):
        ring.write(Packet(T0, 101, b"\x45" + bytes(19), 20))
    with pytest.raises(ValueError, match="smaller than file_bytes"):
        PcapRing(tmp_path, max_bytes=1_000, file_bytes=2_000)


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")
def test_tshark_reads_the_ring_files_as_we_do(tmp_path: Path) -> None:
    assert TSHARK is not None
    packets = _packets(90, step_ns=SECOND // 3 + 123_457)
    big = ether(ipv4("198.51.100.1", "198.51.100.2", 17, udp(53, 40001, bytes(300))))
    packets.insert(45, Packet(packets[44].ts_ns + 1, 1, big, len(big)))
    with PcapRing(tmp_path, max_bytes=1 << 20, file_bytes=4_096, snaplen=300) as ring:
        for packet in packets:
            ring.write(packet)
    files = ring.files()
    assert len(files) > 3
    total = 0
    for path in files:
        ours = list(read_capture(path.read_bytes()))
        done = subprocess.run(
            [TSHARK, "-n", "-r", str(path), "-T", "fields", *TSHARK_FIELDS],
            capture_output=True,
            timeout=120,
            check=True,
        )
        rows = [line.split("\t") for line in done.stdout.decode().splitlines()]
        theirs = [
            (int(epoch.replace(".", "")), int(wire), int(cap), int(port)) for epoch, wire, cap, port in rows
        ]
        assert all(len(epoch.split(".")[1]) == 9 for epoch, *_ in rows)  # nanoseconds kept
        assert theirs == [(p.ts_ns, p.wire_len, len(p.data), int.from_bytes(p.data[34:36])) for p in ours]
        total += len(theirs)
    assert total == len(packets)
    cut = [p for p in _read(files) if p.wire_len != len(p.data)]
    assert [(len(p.data), p.wire_len) for p in cut] == [(300, len(big))]
