"""``iptables``: blocks source addresses with DROP rules in a chain of our own.

For hosts that manage their firewall with iptables rather than nft. The chain (``SHAOWANG`` by
default) lives in the ``filter`` table and is jumped to from ``INPUT`` and ``FORWARD``; each jump
is inserted once (``-C`` checks for it first). A block is one rule::

    -A SHAOWANG -s 198.51.100.7/32 -m comment --comment "shaowang:<comment>" -j DROP

IPv6 addresses go through ``ip6tables`` the same way. Blocking an address that already has a
rule adds nothing; unblocking deletes every DROP rule of the chain for that source. With
``netns`` set every command runs as ``ip netns exec NS iptables …``; with ``dry_run`` (the
default) nothing runs and ``block`` returns the commands it would run.
"""

from __future__ import annotations

import shlex
from typing import Any, Literal

from pydantic import Field, ValidationError

from playbooks.responders.base import (
    BlockRequest,
    CommandRunner,
    IPNetwork,
    ResponderBase,
    ResponderConfig,
    canonical_address,
    clean_comment,
)

__all__ = ["IptablesConfig", "IptablesResponder"]

CHAIN_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,27}$"
NETNS_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
TABLE = "filter"
HOOKS = ("INPUT", "FORWARD")
FAMILIES = {4: "ipv4", 6: "ipv6"}
COMMENT_PREFIX = "shaowang:"
COMMENT_MAX_BYTES = 240  # the comment match keeps at most 255 bytes
CHECK_MISSING = 1  # `iptables -C` exit status when the rule does not exist


class IptablesConfig(ResponderConfig):
    """Settings of an ``iptables`` responder."""

    kind: Literal["iptables"] = "iptables"
    chain: str = Field(default="SHAOWANG", pattern=CHAIN_PATTERN, description="our chain in the filter table")
    netns: str | None = Field(
        default=None, pattern=NETNS_PATTERN, description="run as `ip netns exec NETNS iptables …`"
    )
    iptables: str = Field(default="iptables", min_length=1, description="the iptables binary (IPv4)")
    ip6tables: str = Field(default="ip6tables", min_length=1, description="the ip6tables binary (IPv6)")
    timeout_s: float = Field(default=30.0, gt=0, description="per command")


class IptablesResponder(ResponderBase[IptablesConfig]):
    """Blocks with ``-s ADDR -j DROP`` rules in our own chain."""

    config_model = IptablesConfig

    def __init__(self, config: IptablesConfig) -> None:
        super().__init__(config)
        self.runner = CommandRunner(
            netns=config.netns, where=f"iptables responder {config.id}", timeout_s=config.timeout_s
        )

    # -- the protocol -------------------------------------------------------------------------

    def block(self, request: BlockRequest) -> dict[str, Any]:
        """Append a DROP rule for ``request.address`` (after setup); with ``dry_run`` only return the plan."""
        version = request.version
        handle = {
            "family": FAMILIES[version],
            "table": TABLE,
            "chain": self.config.chain,
            "address": request.address,
        }
        append = self._tool(version, "-A", self.config.chain, *self._match(request.network, request.comment))
        if self.dry_run:
            commands = [*self.setup_commands(version), CommandRunner.display(append)]
            return {"dry_run": True, "commands": commands, **handle}
        self.setup(version)
        rules = self._rules(version, self.config.chain) or []
        if any(network == request.network for _, network in rules):
            return handle
        self.runner.run(append)
        return handle

    def unblock(self, handle: dict[str, Any]) -> None:
        """Delete the chain's DROP rules for the handle's address; none left, or no chain, is fine."""
        if handle.get("dry_run"):
            return  # a planned block changed nothing, so there is nothing to lift
        version, chain, network = self._parse_handle(handle)
        if self.dry_run:
            delete = self._tool(version, "-D", chain, "-s", str(network), "-j", "DROP")
            raise self.error(
                "this responder is in dry-run mode and changes nothing; the block stays in place "
                f"until lifted by hand: {CommandRunner.display(delete)}"
            )
        for words, rule_network in self._rules(version, chain) or []:
            if rule_network == network:
                self.runner.run(self._tool(version, "-D", *words[1:]))

    def blocked(self) -> list[str]:
        """The sources our chain drops, IPv4 (iptables) first, then IPv6 (ip6tables)."""
        found: list[str] = []
        for version in (4, 6):
            for _, network in self._rules(version, self.config.chain) or []:
                address = canonical_address(network)
                if address not in found:
                    found.append(address)
        return found

    # -- setup --------------------------------------------------------------------------------

    def setup(self, version: int) -> list[str]:
        """Create the chain and the jumps to it for IPv4 (4) or IPv6 (6); the commands run.

        With ``dry_run`` nothing is read or run and the full setup is returned.
        """
        if self.dry_run:
            return self.setup_commands(version)
        chain = self.config.chain
        ran: list[str] = []
        if self._rules(version, chain) is None:
            create = self._tool(version, "-N", chain)
            self.runner.run(create)
            ran.append(CommandRunner.display(create))
        for hook in HOOKS:
            check = self._tool(version, "-C", hook, "-j", chain)
            done = self.runner.attempt(check)
            if done.returncode == 0:
                continue
            if done.returncode != CHECK_MISSING:
                raise self.runner.failure(check, done)
            insert = self._tool(version, "-I", hook, "1", "-j", chain)
            self.runner.run(insert)
            ran.append(CommandRunner.display(insert))
        return ran

    def setup_commands(self, version: int) -> list[str]:
        """The setup as idempotent shell lines."""
        chain = self.config.chain
        show = CommandRunner.display(self._tool(version, "-S", chain))
        create = CommandRunner.display(self._tool(version, "-N", chain))
        lines = [f"{show} >/dev/null 2>&1 || {create}"]
        for hook in HOOKS:
            check = CommandRunner.display(self._tool(version, "-C", hook, "-j", chain))
            insert = CommandRunner.display(self._tool(version, "-I", hook, "1", "-j", chain))
            lines.append(f"{check} 2>/dev/null || {insert}")
        return lines

    # -- helpers ------------------------------------------------------------------------------

    def _tool(self, version: int, *words: str) -> list[str]:
        binary = self.config.iptables if version == 4 else self.config.ip6tables
        return self.runner.argv(binary, "-w", "-t", TABLE, *words)

    @staticmethod
    def _match(network: IPNetwork, comment: str) -> list[str]:
        text = COMMENT_PREFIX + clean_comment(comment, max_bytes=COMMENT_MAX_BYTES)
        return ["-s", str(network), "-m", "comment", "--comment", text, "-j", "DROP"]

    def _rules(self, version: int, chain: str) -> list[tuple[list[str], IPNetwork]] | None:
        """The DROP-by-source rules of ``chain`` as (``-S`` words, source); None without the chain."""
        # the whole table: `-S CHAIN` of a missing chain fails with texts that vary by backend
        lines = self.runner.run(self._tool(version, "-S")).splitlines()
        if f"-N {chain}" not in lines:
            return None
        rules: list[tuple[list[str], IPNetwork]] = []
        for line in lines:
            if not line.startswith(f"-A {chain} "):
                continue
            words = shlex.split(line)
            source = _option(words, "-s")
            if source is None or "!" in words or _option(words, "-j") != "DROP":
                continue  # negated matches are not ours
            rules.append((words, BlockRequest(address=source).network))
        return rules

    def _parse_handle(self, handle: dict[str, Any]) -> tuple[int, str, IPNetwork]:
        versions = {name: version for version, name in FAMILIES.items()}
        chain = handle.get("chain")
        family = handle.get("family")
        if family not in versions or handle.get("table") != TABLE or not _is_chain(chain):
            raise self.error(f"not an iptables block handle: {handle!r}")
        try:
            network = BlockRequest(address=str(handle.get("address", ""))).network
        except ValidationError as exc:
            raise self.error(f"not an iptables block handle: {handle!r}") from exc
        if network.version != versions[str(family)]:
            raise self.error(f"not an iptables block handle: {handle!r}")
        return network.version, str(chain), network


def _option(words: list[str], flag: str) -> str | None:
    """The value after ``flag`` in an ``iptables -S`` rule."""
    for index, word in enumerate(words[:-1]):
        if word == flag:
            return words[index + 1]
    return None


def _is_chain(value: Any) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= 28
        and value[0].isalpha()
        and all(ch.isalnum() or ch in "_-" for ch in value)
    )
