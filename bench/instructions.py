"""Parse cost in CPU instructions per line, against orjson — a figure the shared host's noise does not move.

``bench/parse.py`` measures lines/s, which on a shared machine varies by a third from one hour
to the next. This counts instructions instead (valgrind's callgrind, which simulates the CPU):
the same code on the same lines gives the same count to a fraction of a percent, so a change
of a few percent is visible and a regression cannot hide in the noise.

For each workload of ``bench/parse.py`` (its generators, a fixed seed) a child process builds the
lines and records, warms the caches with one pass (``huawei.scan`` empties the address cache
before every pass: its sources are new each time), then runs ``--reps`` passes of
``parse_record`` (dataset named, as a per-source setting does) or of the orjson baseline
(``orjson.loads`` + ``orjson.dumps`` over the same payloads as ``bench/parse.py``). Each is run
twice, with 0 and with ``--reps`` passes; the difference divided by the lines parsed is the cost
of a line, setup and start-up excluded. The ratio is orjson's instructions over ours.

Instructions are not time (cache misses, branch mispredictions and the allocator differ), so
this complements the lines/s figures; it does not replace them.

Run: ``.venv/bin/python bench/instructions.py [--lines 3000] [--reps 2] [--only WORKLOAD]``
(needs ``valgrind``; about a minute per workload).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys

import orjson
from parse import _records as records_of
from parse import eve_lines, h3c_lines, huawei_lines

from collectors.compiled import status as parse_path_status
from collectors.parse import parse_record
from collectors.parsers.common import canonical_ip

SEED = 20261127
WORKLOADS: dict[str, tuple[str, bool]] = {  # workload → (name, lines are JSON already)
    "huawei.usg": ("Huawei USG firewall", False),
    "h3c.secpath": ("H3C SecPath firewall", False),
    "suricata.eve": ("Suricata EVE (JSON)", True),
    "huawei.scan": ("Huawei USG, scan", False),  # every source new to the address cache
}
_COLLECTED = re.compile(r"Collected : (\d+)")


def _lines(workload: str, count: int) -> list[str]:
    rng = random.Random(SEED)
    if workload == "huawei.usg":
        return huawei_lines(rng, count)
    if workload == "huawei.scan":
        return huawei_lines(rng, count, scan=True)
    if workload == "h3c.secpath":
        return h3c_lines(rng, count)
    return eve_lines(rng, count)


def child(workload: str, mode: str, reps: int, count: int) -> None:
    """Build the workload, warm up, then run ``reps`` passes of ``mode`` (parse | orjson)."""
    lines = _lines(workload, count)
    records = records_of(lines)
    dataset = "huawei.usg" if workload == "huawei.scan" else workload
    cold = workload == "huawei.scan"  # a scan's sources are new to the address cache every pass
    outcomes = [parse_record(record, fmt=dataset) for record in records]  # the warm-up pass
    if WORKLOADS[workload][1]:
        payloads = [line.encode() for line in lines]
    else:  # as bench/parse.py: the same information as JSON, our own documents
        payloads = [outcome.events[0].to_json() for outcome in outcomes]
    loads, dumps = orjson.loads, orjson.dumps
    for payload in payloads:
        dumps(loads(payload))
    for _ in range(reps):
        if mode == "parse":
            if cold:
                canonical_ip.cache_clear()
            for record in records:
                parse_record(record, fmt=dataset)
        else:
            for payload in payloads:
                dumps(loads(payload))


def _instructions(workload: str, mode: str, reps: int, count: int) -> int:
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        os.path.abspath(__file__),
        "--child",
        workload,
        mode,
        str(reps),
        str(count),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run failed ({' '.join(command[4:])}):\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=3_000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--only", action="append", metavar="WORKLOAD", choices=sorted(WORKLOADS))
    parser.add_argument(
        "--child", nargs=4, metavar=("WORKLOAD", "MODE", "REPS", "LINES"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        workload, mode, reps, count = args.child
        child(workload, mode, int(reps), int(count))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind): nothing measured")
    compiled, why = parse_path_status()
    print(f"{args.lines:,} lines per workload, {args.reps} passes counted, instructions by callgrind")
    print(f"parse path: {'compiled' if compiled else 'Python'} ({why})")
    parsed = args.lines * args.reps
    for workload in args.only or list(WORKLOADS):
        name = WORKLOADS[workload][0]
        setup = _instructions(workload, "parse", 0, args.lines)
        ours = (_instructions(workload, "parse", args.reps, args.lines) - setup) / parsed
        baseline = (_instructions(workload, "orjson", args.reps, args.lines) - setup) / parsed
        print(
            f"{name:<22} parse {ours:>9,.0f} instructions/line  orjson loads+dumps {baseline:>7,.0f}  "
            f"ratio {baseline / ours:.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
