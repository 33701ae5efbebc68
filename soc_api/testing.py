"""Drive a real ``soc run`` process: used by the end-to-end tests and the benchmarks."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

_CST = dt.timezone(dt.timedelta(hours=8))

TEST_PASSWORD = "Sh4owang-Test-Pw!"


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 right now."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port found")


def soc_command(*args: str) -> list[str]:
    """argv running ``soc`` with the current interpreter."""
    return [sys.executable, "-m", "soc_api.cli", *args]


def run_soc(
    *args: str, input_text: str | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one ``soc`` command to completion."""
    return subprocess.run(
        soc_command(*args),
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def add_user(data_dir: Path, username: str, role: str, password: str = TEST_PASSWORD) -> None:
    """Create an account with ``soc user add``."""
    done = run_soc(
        "user",
        "add",
        "--data",
        str(data_dir),
        "--username",
        username,
        "--role",
        role,
        "--password-stdin",
        input_text=password + "\n",
    )
    if done.returncode != 0:
        raise RuntimeError(f"soc user add failed: {done.stderr}")


class PlatformProcess:
    """``soc run`` in a subprocess on free loopback ports."""

    def __init__(
        self, data_dir: Path, *, env: dict[str, str] | None = None, extra_args: Sequence[str] = ()
    ) -> None:
        self.data_dir = data_dir
        self.syslog_port = free_port()
        self.api_port = free_port()
        self.env = {**os.environ, **(env or {})}
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-soc-run.log"
        self._token: str | None = None

    @property
    def api(self) -> str:
        """Base URL of the API."""
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, timeout: float = 60) -> PlatformProcess:
        """Start and wait until ``/healthz`` answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            soc_command(
                "run",
                "--data",
                str(self.data_dir),
                "--syslog",
                f"127.0.0.1:{self.syslog_port}",
                "--api",
                f"127.0.0.1:{self.api_port}",
                *self.extra_args,
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"soc run exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.api + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"soc run did not become healthy in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        """What the process printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def login(self, username: str, password: str = TEST_PASSWORD) -> str:
        """A Bearer token."""
        r = httpx.post(
            self.api + "/api/v1/auth/login", json={"username": username, "password": password}, timeout=30
        )
        r.raise_for_status()
        token: str = r.json()["access_token"]
        self._token = token
        return token

    def get(self, path: str, **params: Any) -> Any:
        """GET an API path with the last login's token."""
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        r = httpx.get(self.api + path, params=params, headers=headers, timeout=60)
        r.raise_for_status()
        return r.json()

    def stats(self) -> dict[str, Any]:
        """``GET /api/v1/stats/ingest``."""
        result: dict[str, Any] = self.get("/api/v1/stats/ingest")
        return result

    def kill9(self) -> None:
        """``kill -9``: no chance to flush anything."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait for a clean exit."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def __enter__(self) -> PlatformProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.stop()
        except Exception:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()


def send_tcp(port: int, lines: Iterable[bytes], *, chunk: int = 256 * 1024) -> int:
    """Send LF-framed lines over one TCP connection; returns bytes sent."""
    sent = 0
    buf = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        for line in lines:
            buf += line
            buf += b"\n"
            if len(buf) >= chunk:
                sock.sendall(buf)
                sent += len(buf)
                buf.clear()
        if buf:
            sock.sendall(buf)
            sent += len(buf)
    return sent


def nats_server_binary() -> str | None:
    """Debian's ``nats-server`` (in /usr/sbin, which a user's PATH may lack), or None."""
    found = shutil.which("nats-server")
    if found is None and Path("/usr/sbin/nats-server").exists():
        found = "/usr/sbin/nats-server"
    return found


class NatsServer:
    """A JetStream-enabled ``nats-server`` on a free loopback port, its store in ``workdir``."""

    def __init__(self, workdir: Path, binary: str) -> None:
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "nats.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(workdir / "jetstream")],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 20) -> None:
        """Until the server accepts connections; raises with its log if it exited."""

        def accepting() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited: {self.log_path.read_text(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return False
            return True

        wait_for(accepting, timeout=timeout, interval=0.05)

    def stop(self) -> None:
        """Terminate and wait."""
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self._log.close()


class SocNode:
    """One ``soc collector`` or ``soc worker`` process with its output in ``<workdir>/<name>.log``."""

    def __init__(self, workdir: Path, config: Path, role: str, name: str, *args: str) -> None:
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self._log = self.log_path.open("wb")
        env = {**os.environ, "SOC_CONFIG": str(config), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            soc_command(role, "--name", name, *args), stdout=self._log, stderr=subprocess.STDOUT, env=env
        )

    def log(self) -> str:
        """Everything the process has printed so far."""
        return self.log_path.read_text(errors="replace")

    def wait_for_line(self, pattern: str, *, timeout: float = 60) -> None:
        """Until the output matches ``pattern`` (a regex); raises if the process exits first."""

        def seen() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
            return re.search(pattern, self.log()) is not None

        wait_for(seen, timeout=timeout, interval=0.05)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, then SIGKILL after ``timeout``."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


def search_count(data_dir: Path, query: str = "*") -> int:
    """``soc search --count`` as a separate process (the way an analyst runs it)."""
    done = run_soc("search", "--data", str(data_dir), "--count", query)
    if done.returncode != 0:
        raise RuntimeError(f"soc search failed: {done.stderr}")
    return int(done.stdout.strip())


def wait_for(predicate: Any, *, timeout: float, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns a truthy value or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"condition not met in {timeout}s (last value {json.dumps(last, default=str)})")


def firewall_line(seq: int, at: dt.datetime | None = None) -> bytes:
    """A realistic key=value firewall line with documentation addresses and a unique seq.

    Stamped Nov 27 16:00:00 device time unless ``at`` is given (tests that search "the last
    24 hours" pass the current time).
    """
    header = "Nov 27 16:00:00" if at is None else at.astimezone(_CST).strftime("%b %d %H:%M:%S")
    src = f"192.0.2.{seq % 250 + 1}"
    dst = f"198.51.100.{(seq * 7) % 250 + 1}"
    dport = (22, 80, 443, 3389, 445, 8080, 53)[seq % 7]
    action = "deny" if seq % 5 == 0 else "permit"
    return (
        f"<134>{header} fw01 policy: devname=fw01 seq={seq} src={src} dst={dst} "
        f"sport={1024 + seq % 60000} dport={dport} proto=tcp action={action} policy=p{seq % 40} "
        f"sent={seq % 9000} rcvd={seq % 7000} zone=trust-untrust"
    ).encode()
