"""Parse workers do not outlive their parent: after ``kill -9`` of the process that started the
pool, its workers exit on their own (they would otherwise wait on a queue forever)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

POOL_OWNER = """
import os, sys, time
from soc_api.runtime.workers import ParsePool
pool = ParsePool(workers=2, default_format="auto", default_timezone="Asia/Shanghai")
pool.warm_up()
print(" ".join(str(pid) for pid in pool.worker_pids()), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose (its parent, init, reaps it)
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_exit_when_the_parent_is_killed() -> None:
    owner = subprocess.Popen([sys.executable, "-c", POOL_OWNER], stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        pids = [int(pid) for pid in owner.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [pid for pid in pids if _alive(pid)]
        assert not left, f"parse workers {left} outlived their parent"
    finally:
        if owner.poll() is None:
            owner.kill()
