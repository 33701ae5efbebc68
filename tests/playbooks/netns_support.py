"""Two network namespaces joined by a veth pair, for tests that change real firewalls.

``two_hosts()`` creates a gateway and a client namespace (198.51.100.1 and .2 on a /24,
2001:db8::1 and ::2 on a /64), yields a :class:`TwoHosts`, and deletes both namespaces on the
way out, also when the test failed. Nothing touches the host's own interfaces or tables: every
command runs inside one of the two namespaces.

Needs root and iproute2 (``ip``); :func:`require_tools` fails the test, naming the Debian
packages ``.ci/run`` must install, when they are missing.
"""

from __future__ import annotations

import itertools
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

__all__ = ["PACKAGES", "TwoHosts", "require_tools", "tool", "two_hosts"]

PACKAGES = {"ip": "iproute2", "nft": "nftables", "iptables": "iptables", "ip6tables": "iptables"}
SBIN = os.pathsep.join(("/usr/local/sbin", "/usr/sbin", "/sbin"))
COMMAND_TIMEOUT_S = 20.0
LISTENER_READY_S = 10.0

_pair_numbers = itertools.count()

LISTENER = """\
import socket, sys
server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("::", int(sys.argv[1])))
server.listen(64)
print("ready", flush=True)
while True:
    connection, _ = server.accept()
    connection.close()
"""

CONNECT = """\
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
except OSError:
    sys.exit(1)
"""


def tool(name: str) -> str | None:
    """The path of ``name`` on PATH or in the sbin directories."""
    return shutil.which(name, path=os.pathsep.join((os.environ.get("PATH", ""), SBIN)))


def require_tools(*names: str) -> dict[str, str]:
    """Paths of ``names``; fails (never skips) when not root or a tool is missing."""
    problems = []
    if os.geteuid() != 0:
        problems.append("these tests create network namespaces and must run as root, as .ci/run does")
    found = {name: tool(name) for name in ("ip", *names)}
    missing = sorted(name for name, path in found.items() if path is None)
    if missing:
        packages = sorted({PACKAGES.get(name, name) for name in missing})
        problems.append(
            f"{', '.join(missing)} not found: .ci/run must install the Debian packages "
            f"{', '.join(packages)} (the responder tests need nftables, iptables and iproute2)"
        )
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)
    return {name: path for name, path in found.items() if path is not None}


@dataclass
class TwoHosts:
    """A gateway and a client namespace on one link; the gateway is where firewalls are tested."""

    gateway: str
    client: str
    ip: str
    gateway_ip: str = "198.51.100.1"
    client_ip: str = "198.51.100.2"
    gateway_ip6: str = "2001:db8::1"
    client_ip6: str = "2001:db8::2"
    listeners: list[subprocess.Popen[str]] = field(default_factory=list)

    def run(self, namespace: str, *argv: str) -> str:
        """Run ``argv`` inside ``namespace``; its stdout, or an AssertionError with its stderr."""
        command = [self.ip, "netns", "exec", namespace, *argv]
        done = subprocess.run(command, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False)
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(command)}: {done.stderr.strip()}")
        return done.stdout

    def listen(self, port: int) -> None:
        """A TCP listener on ``port`` (IPv4 and IPv6) in the gateway, accepting until teardown."""
        process = subprocess.Popen(
            [self.ip, "netns", "exec", self.gateway, sys.executable, "-c", LISTENER, str(port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.listeners.append(process)
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], LISTENER_READY_S)
        line = process.stdout.readline() if ready else ""
        if line.strip() != "ready":
            process.kill()
            _, stderr = process.communicate(timeout=COMMAND_TIMEOUT_S)
            raise AssertionError(f"listener on port {port} in {self.gateway} did not start: {stderr.strip()}")

    def can_connect(self, port: int, timeout: float = 2.0, *, ipv6: bool = False) -> bool:
        """Whether the client completes a TCP handshake with the gateway's ``port`` within ``timeout``."""
        address = self.gateway_ip6 if ipv6 else self.gateway_ip
        command = [
            self.ip,
            "netns",
            "exec",
            self.client,
            sys.executable,
            "-c",
            CONNECT,
            address,
            str(port),
            str(timeout),
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout + COMMAND_TIMEOUT_S, check=False
        )
        if done.returncode not in (0, 1):
            raise AssertionError(f"connect from {self.client} failed to run: {done.stderr.strip()}")
        return done.returncode == 0

    def stop(self) -> None:
        """Stop the listeners this object started."""
        for process in self.listeners:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=COMMAND_TIMEOUT_S)
        self.listeners.clear()


def _ip(ip: str, *args: str) -> None:
    done = subprocess.run([ip, *args], capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def _delete_namespaces(ip: str, *names: str) -> None:
    for name in names:
        subprocess.run(
            [ip, "netns", "del", name], capture_output=True, timeout=COMMAND_TIMEOUT_S, check=False
        )


@contextmanager
def two_hosts() -> Iterator[TwoHosts]:
    """A gateway and a client namespace joined by a veth pair, removed again on exit."""
    ip = require_tools()["ip"]
    suffix = f"{os.getpid()}-{next(_pair_numbers)}"
    hosts = TwoHosts(gateway=f"socgw{suffix}", client=f"soccl{suffix}", ip=ip)
    _delete_namespaces(ip, hosts.gateway, hosts.client)  # leftovers of a killed run with the same pid
    try:
        _ip(ip, "netns", "add", hosts.gateway)
        _ip(ip, "netns", "add", hosts.client)
        # both ends are created inside the namespaces, so the host never sees the link
        _ip(
            ip,
            "-n",
            hosts.gateway,
            "link",
            "add",
            "eth0",
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            hosts.client,
        )
        for namespace, v4, v6 in (
            (hosts.gateway, hosts.gateway_ip, hosts.gateway_ip6),
            (hosts.client, hosts.client_ip, hosts.client_ip6),
        ):
            _ip(ip, "-n", namespace, "addr", "add", f"{v4}/24", "dev", "eth0")
            _ip(ip, "-n", namespace, "addr", "add", f"{v6}/64", "dev", "eth0", "nodad")
            _ip(ip, "-n", namespace, "link", "set", "lo", "up")
            _ip(ip, "-n", namespace, "link", "set", "eth0", "up")
        _wait_for_carrier(ip, hosts.gateway)
        yield hosts
    finally:
        hosts.stop()
        _delete_namespaces(ip, hosts.gateway, hosts.client)


def _wait_for_carrier(ip: str, namespace: str) -> None:
    deadline = time.monotonic() + COMMAND_TIMEOUT_S
    while time.monotonic() < deadline:
        done = subprocess.run(
            [ip, "-n", namespace, "-o", "link", "show", "eth0"],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        if "LOWER_UP" in done.stdout:
            return
        time.sleep(0.05)
    raise AssertionError(f"eth0 in {namespace} has no carrier")
