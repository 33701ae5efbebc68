"""``soc pcap FILE...``: capture files → ECS NDJSON (network.flow, .dns, .http, .tls) on stdout.

Each file is dissected on its own (flows do not continue across files). A damaged file is
read as far as it goes; its problems are counted. The last line of stderr is the JSON summary
``{"files":N,"packets":N,"events":{dataset:N},"errors":{reason:N}, ...}``. Exit 0, or 1 when
a file cannot be read.

``soc pcap inspect [FILE...] [--filter F] [--community-id ID] [--data DIR --start T --end T]``:
the analyst's pivot from an alert to its packets — tshark's deep dissection of the packets that
match a Wireshark display filter and/or a flow's Community ID, from the given files or from
the live capture's pcap ring in the data directory for a time range.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from collectors.traffic.ring import ring_files
from collectors.traffic.session import Dissector, dissect_capture
from soc_api.commands.common import parse_time
from soc_api.runtime.capture import RING_DIR
from soc_core.errors import ShaowangError

INSPECT = "inspect"
TSHARK_MISSING = "tshark not found: install it (apt-get install tshark) for soc pcap inspect"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc pcap``."""
    p = sub.add_parser(
        "pcap",
        help="dissect pcap/pcapng files into ECS NDJSON flows, DNS, HTTP and TLS events",
        description="Dissect pcap/pcapng files into ECS NDJSON: network.flow, .dns, .http and .tls events.",
    )
    p.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="capture files; 'inspect FILE...' shows matching packets through tshark instead",
    )
    inspect = p.add_argument_group("inspect (soc pcap inspect [FILE...] ...)")
    inspect.add_argument("--filter", metavar="DISPLAY_FILTER", help="Wireshark display filter")
    inspect.add_argument("--community-id", metavar="ID", help="only the packets of this flow (1:...)")
    inspect.add_argument("--data", type=Path, metavar="DIR", help="read the pcap ring of this data directory")
    inspect.add_argument(
        "--start", metavar="TIME", help="ring: from this ISO time (e.g. an alert's first event)"
    )
    inspect.add_argument("--end", metavar="TIME", help="ring: until this ISO time (default: start + 1 h)")
    inspect.add_argument(
        "--format",
        choices=("summary", "verbose", "json"),
        default="verbose",
        help="one line per packet, the full protocol tree (default), or tshark's JSON",
    )
    inspect.add_argument("--limit", type=int, metavar="N", help="at most N matching packets")
    p.add_argument("--idle-timeout", type=float, default=60.0, metavar="S", help="a flow idle this long ends")
    p.add_argument(
        "--active-timeout", type=float, default=1800.0, metavar="S", help="a longer flow is reported every S"
    )
    p.set_defaults(func=run_pcap)


def run_pcap(args: argparse.Namespace) -> int:
    """Dissect every file (or inspect packets); events on stdout, the summary on stderr."""
    if args.files and args.files[0] == Path(INSPECT) and not args.files[0].exists():
        return run_inspect(args, args.files[1:])
    if not args.files:
        raise ShaowangError("no capture file given (soc pcap FILE... or soc pcap inspect ...)")
    out = sys.stdout.buffer
    totals: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    events: Counter[str] = Counter()
    code = 0
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"soc pcap: {path}: {exc.strerror or exc}", file=sys.stderr)
            code = 1
            continue
        dissector = Dissector(idle_timeout_s=args.idle_timeout, active_timeout_s=args.active_timeout)
        for event in dissect_capture(data, dissector=dissector):
            out.write(event.to_json() + b"\n")
        stats = dissector.stats.as_dict()
        totals["files"] += 1
        totals["packets"] += stats["packets"]
        totals["not_ip"] += stats["not_ip"]
        totals["fragments"] += stats["fragments"]
        events.update(stats["events"])
        for reason, count in stats["errors"].items():
            errors[f"{path.name}: {reason}"] += count
    out.flush()
    summary = {**totals, "events": dict(events), "errors": dict(errors)}
    print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
    return code


def inspect_command(
    files: list[Path],
    *,
    display_filter: str | None,
    community_id: str | None,
    output: str,
    limit: int | None,
    tshark: str,
) -> list[str]:
    """The tshark command line that shows the packets of ``files`` matching the filters."""
    conditions = [f"({display_filter})"] if display_filter else []
    if community_id:
        conditions.append(f'communityid == "{community_id}"')
    command = [tshark, "-n", "--enable-protocol", "communityid"]
    if conditions:
        command += ["-Y", " and ".join(conditions)]
    if output == "verbose":
        command.append("-V")
    elif output == "json":
        command += ["-T", "json"]
    if limit is not None:
        command += ["-c", str(limit)]
    if len(files) == 1:
        return [*command, "-r", str(files[0])]
    # several files (ring pieces): tshark reads one, so they are concatenated in time order
    return [*command, "-r", "-"]


def _ring_selection(data_dir: Path, start: str | None, end: str | None) -> list[Path]:
    if start is None:
        raise ShaowangError("--data needs --start (the time of the alert or event to pivot from)")
    begin = parse_time(start)
    assert begin is not None
    until = parse_time(end) or begin + dt.timedelta(hours=1)
    directory = data_dir / RING_DIR
    found = ring_files(directory, int(begin.timestamp() * 1e9), int(until.timestamp() * 1e9))
    if not found:
        raise ShaowangError(f"no ring file in {directory} covers {begin.isoformat()} to {until.isoformat()}")
    return found


def run_inspect(args: argparse.Namespace, files: list[Path]) -> int:
    """tshark's view of the matching packets, on stdout."""
    if args.data is not None:
        files = files + _ring_selection(args.data, args.start, args.end)
    if not files:
        raise ShaowangError("soc pcap inspect needs capture files or --data DIR --start TIME")
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise ShaowangError(f"no such capture file: {', '.join(missing)}")
    tshark = shutil.which("tshark")
    if tshark is None:
        raise ShaowangError(TSHARK_MISSING)
    mergecap = shutil.which("mergecap")
    if len(files) > 1 and mergecap is None:
        raise ShaowangError("mergecap (from the wireshark-common package) is needed to read several files")
    command = inspect_command(
        files,
        display_filter=args.filter,
        community_id=args.community_id,
        output=args.format,
        limit=args.limit,
        tshark=tshark,
    )
    sys.stdout.flush()
    if mergecap is None or len(files) == 1:
        done = subprocess.run(command, stderr=subprocess.PIPE, check=False)
    else:
        merge = subprocess.Popen(
            [mergecap, "-F", "pcap", "-w", "-", *map(str, files)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        done = subprocess.run(command, stdin=merge.stdout, stderr=subprocess.PIPE, check=False)
        assert merge.stdout is not None
        merge.stdout.close()
        merge.wait()
    problems = [
        line
        for line in done.stderr.decode("utf-8", "replace").splitlines()
        if line and not line.startswith("Running as user")
    ]
    if done.returncode != 0:
        raise ShaowangError("tshark: " + (" | ".join(problems) or f"exit {done.returncode}"))
    for line in problems:
        print(f"soc pcap inspect: {line}", file=sys.stderr)
    return 0
