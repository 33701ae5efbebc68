"""What every block responder shares: the request, the error, the protocol and the command runner."""

from __future__ import annotations

import ipaddress
import os
import shlex
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from soc_core.errors import ShaowangError

__all__ = [
    "BlockRequest",
    "CommandRunner",
    "IPNetwork",
    "Responder",
    "ResponderBase",
    "ResponderConfig",
    "ResponderError",
    "canonical_address",
    "clean_comment",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

COMMAND_TIMEOUT_S = 30.0


def canonical_address(network: IPNetwork) -> str:
    """``198.51.100.2`` for a single host, ``198.51.100.0/25`` for a wider prefix (compressed IPv6)."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


class BlockRequest(BaseModel, frozen=True):
    """Block traffic from ``address``: one IPv4/IPv6 address or a CIDR prefix without host bits."""

    address: str = Field(description="e.g. 198.51.100.7, 198.51.100.0/24, 2001:db8::/64")
    comment: str = Field(default="", description="why; kept next to the rule where the firewall allows")

    @field_validator("address")
    @classmethod
    def _canonical(cls, value: str) -> str:
        text = value.strip()
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            raise ValueError(f"not an IPv4/IPv6 address or CIDR prefix: {value!r} ({exc})") from None
        return canonical_address(network)

    @property
    def network(self) -> IPNetwork:
        """The address as a network (a single host is a /32 or /128)."""
        return ipaddress.ip_network(self.address)

    @property
    def version(self) -> int:
        """4 or 6."""
        return self.network.version


class ResponderError(ShaowangError):
    """A block, unblock or listing failed; the message names the command and what the firewall said."""


@runtime_checkable
class Responder(Protocol):
    """A configured way to block addresses.

    ``block`` returns a JSON-able handle that ``unblock`` takes to lift the block later; with
    ``dry_run`` it only plans (the handle then carries ``"dry_run": true`` and the commands) and
    changes nothing. ``unblock`` is idempotent; ``blocked`` lists what this responder has blocked.
    """

    id: str
    kind: str
    dry_run: bool

    def block(self, request: BlockRequest) -> dict[str, Any]: ...

    def unblock(self, handle: dict[str, Any]) -> None: ...

    def blocked(self) -> list[str]: ...


class ResponderConfig(BaseModel):
    """Fields every responder's settings have; each kind narrows ``kind`` to its own literal."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="stable name used by playbooks")
    kind: str
    dry_run: bool = Field(default=True, description="plan only; nothing on the firewall changes")


ConfigT = TypeVar("ConfigT", bound=ResponderConfig)


class ResponderBase(ABC, Generic[ConfigT]):
    """A responder built from its validated settings; subclasses name their settings model."""

    config_model: ClassVar[type[ResponderConfig]]

    def __init__(self, config: ConfigT) -> None:
        self.config = config
        self.id: str = config.id
        self.kind: str = config.kind
        self.dry_run: bool = config.dry_run

    @abstractmethod
    def block(self, request: BlockRequest) -> dict[str, Any]:
        """Block ``request.address``; the returned handle lifts it again."""

    @abstractmethod
    def unblock(self, handle: dict[str, Any]) -> None:
        """Lift the block ``handle`` describes; lifting an absent block is fine."""

    @abstractmethod
    def blocked(self) -> list[str]:
        """The addresses and prefixes this responder currently blocks."""

    def error(self, message: str) -> ResponderError:
        """A :class:`ResponderError` naming this responder."""
        return ResponderError(message, where=f"{self.kind} responder {self.id}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r}, dry_run={self.dry_run})"


def clean_comment(text: str, *, max_bytes: int) -> str:
    """``text`` fit for a firewall comment: printable, no quotes or backslashes, ``max_bytes`` of UTF-8."""
    kept = "".join(ch for ch in text if ch.isprintable() and ch not in '"\\').strip()
    # a cut inside a multi-byte character leaves an incomplete tail, which "ignore" drops
    return kept.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore").strip()


class CommandRunner:
    """Runs firewall tools, inside a network namespace when one is configured.

    Commands run without a shell, with ``LC_ALL=C`` so that error texts do not depend on the locale.
    Failures become :class:`ResponderError` carrying the command line and the tool's stderr.
    """

    def __init__(
        self, *, netns: str | None, where: str, ip: str = "ip", timeout_s: float = COMMAND_TIMEOUT_S
    ) -> None:
        self.netns = netns
        self.where = where
        self.ip = ip
        self.timeout_s = timeout_s

    def argv(self, *words: str) -> list[str]:
        """``words`` prefixed with ``ip netns exec NS`` when a namespace is configured."""
        if self.netns is None:
            return list(words)
        return [self.ip, "netns", "exec", self.netns, *words]

    @staticmethod
    def display(argv: Sequence[str], stdin: str | None = None) -> str:
        """The command as a shell line an operator could paste (stdin as a here-document)."""
        line = shlex.join(argv)
        if stdin is None:
            return line
        body = stdin if stdin.endswith("\n") else stdin + "\n"
        return f"{line} <<'EOF'\n{body}EOF"

    def attempt(self, argv: Sequence[str], *, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` and return what happened, whatever the exit status."""
        try:
            return subprocess.run(
                list(argv),
                input=stdin,
                capture_output=True,
                text=True,
                timeout=self.timeout_s,
                check=False,
                env={**os.environ, "LC_ALL": "C"},
            )
        except FileNotFoundError as exc:
            raise ResponderError(
                f"{self.display(argv)}: {exc.filename or argv[0]} not found (is it installed?)",
                where=self.where,
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise ResponderError(
                f"{self.display(argv)}: no answer within {self.timeout_s:g} s", where=self.where
            ) from exc
        except OSError as exc:
            raise ResponderError(f"{self.display(argv)}: {exc}", where=self.where) from exc

    def run(self, argv: Sequence[str], *, stdin: str | None = None) -> str:
        """Run ``argv``; its stdout, or :class:`ResponderError` with the command and stderr."""
        done = self.attempt(argv, stdin=stdin)
        if done.returncode != 0:
            raise self.failure(argv, done)
        return done.stdout

    def failure(self, argv: Sequence[str], done: subprocess.CompletedProcess[str]) -> ResponderError:
        """The error for a command that exited non-zero."""
        stderr = done.stderr.strip() or done.stdout.strip() or "(no output)"
        return ResponderError(
            f"{shlex.join(argv)} failed with exit status {done.returncode}: {stderr}", where=self.where
        )
