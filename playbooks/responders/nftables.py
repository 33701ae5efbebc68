"""``nftables``: blocks source addresses with named sets in a table of our own.

The responder keeps everything in one table (``inet shaowang`` by default) and never touches
another table::

    table inet shaowang {
        set block4 { type ipv4_addr; flags interval; }
        set block6 { type ipv6_addr; flags interval; }
        chain input   { type filter hook input priority -10; policy accept;
                        ip saddr @block4 counter drop; ip6 saddr @block6 counter drop; }
        chain forward { type filter hook forward priority -10; policy accept;
                        ip saddr @block4 counter drop; ip6 saddr @block6 counter drop; }
    }

Blocking adds an element to a set, unblocking deletes it, so rules are written once and a block
is one set operation. Setup runs before every block (it only reads when all is in place): it
creates the table, sets and chains with ``add`` (a no-op when they exist) and adds a drop rule only
when ``nft -j list chain`` shows it missing, so a reload of the host's ruleset heals on the next
block. An address inside an already blocked prefix is refused rather than merged, so that each
handle lifts exactly what it added.

With ``netns`` set every command runs as ``ip netns exec NS nft …``. With ``dry_run`` (the
default) nothing runs: ``block`` returns the commands it would run.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
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

__all__ = ["NftablesConfig", "NftablesResponder"]

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,31}$"
NETNS_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
FAMILY = "inet"
FAMILIES = frozenset({"inet", "ip", "ip6"})
SETS = {4: "block4", 6: "block6"}
SET_TYPES = {4: "ipv4_addr", 6: "ipv6_addr"}
PROTOCOLS = {4: "ip", 6: "ip6"}
CHAINS = ("input", "forward")
PRIORITY = -10
COMMENT_MAX_BYTES = 128  # nft refuses longer element comments
MISSING = "Error: No such file or directory"  # nft's line for an absent table, set or chain (LC_ALL=C)


class NftablesConfig(ResponderConfig):
    """Settings of an ``nftables`` responder."""

    kind: Literal["nftables"] = "nftables"
    table: str = Field(default="shaowang", pattern=NAME_PATTERN, description="our table in the inet family")
    netns: str | None = Field(
        default=None, pattern=NETNS_PATTERN, description="run as `ip netns exec NETNS nft …`"
    )
    nft: str = Field(default="nft", min_length=1, description="the nft binary")
    timeout_s: float = Field(default=30.0, gt=0, description="per nft command")


class NftablesResponder(ResponderBase[NftablesConfig]):
    """Blocks by adding elements to ``block4``/``block6`` in our own nftables table."""

    config_model = NftablesConfig

    def __init__(self, config: NftablesConfig) -> None:
        super().__init__(config)
        self.runner = CommandRunner(
            netns=config.netns, where=f"nftables responder {config.id}", timeout_s=config.timeout_s
        )

    # -- the protocol -------------------------------------------------------------------------

    def block(self, request: BlockRequest) -> dict[str, Any]:
        """Add ``request.address`` to its set (after setup); with ``dry_run`` only return the plan."""
        handle = self._handle(request)
        add = self._nft(self._element_statement("add", handle, comment=request.comment))
        if self.dry_run:
            commands = [*self.setup_commands(missing=self._all_rules()), CommandRunner.display(add)]
            return {"dry_run": True, "commands": commands, **handle}
        self.setup()
        wanted = request.network
        present = self._elements(FAMILY, self.config.table, handle["set"]) or []
        if wanted in present:
            return handle
        overlapping = [canonical_address(n) for n in present if n.overlaps(wanted)]
        if overlapping:
            raise self.error(
                f"{request.address} overlaps {', '.join(overlapping)}, already blocked in "
                f"{FAMILY} {self.config.table} {handle['set']}; lift that block first"
            )
        self.runner.run(add)
        return handle

    def unblock(self, handle: dict[str, Any]) -> None:
        """Delete the element ``handle`` names; an element, set or table that is gone is fine."""
        if handle.get("dry_run"):
            return  # a planned block changed nothing, so there is nothing to lift
        family, table, set_name, network = self._parse_handle(handle)
        target = {"family": family, "table": table, "set": set_name, "address": canonical_address(network)}
        delete = self._nft(self._element_statement("delete", target))
        if self.dry_run:
            raise self.error(
                "this responder is in dry-run mode and changes nothing; the block stays in place "
                f"until lifted by hand: {CommandRunner.display(delete)}"
            )
        present = self._elements(family, table, set_name)
        if present is None or network not in present:
            return
        self.runner.run(delete)

    def blocked(self) -> list[str]:
        """The addresses and prefixes in ``block4`` and ``block6``, IPv4 first."""
        found: list[str] = []
        for version in (4, 6):
            found.extend(
                canonical_address(n) for n in self._elements(FAMILY, self.config.table, SETS[version]) or []
            )
        return found

    # -- setup --------------------------------------------------------------------------------

    def setup(self) -> list[str]:
        """Create the table, sets, chains and missing drop rules; the commands run (none when all exists).

        With ``dry_run`` nothing is read or run and the full setup is returned.
        """
        if self.dry_run:
            return self.setup_commands(missing=self._all_rules())
        missing = self._missing_rules()
        if not missing:
            return []
        argv = self._nft("-f", "-")
        script = self.setup_script(missing)
        self.runner.run(argv, stdin=script)
        return [CommandRunner.display(argv, script)]

    def setup_commands(self, *, missing: list[tuple[str, int]]) -> list[str]:
        """The setup as shell lines: ``nft -f -`` with :meth:`setup_script` as its input."""
        return [CommandRunner.display(self._nft("-f", "-"), self.setup_script(missing))]

    def setup_script(self, missing: list[tuple[str, int]]) -> str:
        """An ``nft -f`` script adding the table, sets, chains and the ``missing`` (chain, version) rules."""
        table = f"{FAMILY} {self.config.table}"
        lines = [f"add table {table}"]
        for version, set_name in SETS.items():
            lines.append(f"add set {table} {set_name} {{ type {SET_TYPES[version]}; flags interval; }}")
        for chain in CHAINS:
            hook = f"type filter hook {chain} priority {PRIORITY}; policy accept;"
            lines.append(f"add chain {table} {chain} {{ {hook} }}")
        for chain, version in missing:
            lines.append(f"add rule {table} {chain} {PROTOCOLS[version]} saddr @{SETS[version]} counter drop")
        return "\n".join(lines) + "\n"

    def _missing_rules(self) -> list[tuple[str, int]]:
        missing: list[tuple[str, int]] = []
        for chain in CHAINS:
            argv = self._nft("-j", "list", "chain", FAMILY, self.config.table, chain)
            done = self.runner.attempt(argv)
            if done.returncode != 0:
                if not _absent(done):
                    raise self.runner.failure(argv, done)
                rules: list[dict[str, Any]] = []
            else:
                rules = [item["rule"] for item in _nft_objects(done.stdout) if "rule" in item]
            missing.extend((chain, v) for v in (4, 6) if not any(_drops_from_set(r, v) for r in rules))
        return missing

    @staticmethod
    def _all_rules() -> list[tuple[str, int]]:
        return [(chain, version) for chain in CHAINS for version in (4, 6)]

    # -- helpers ------------------------------------------------------------------------------

    def _nft(self, *words: str) -> list[str]:
        return self.runner.argv(self.config.nft, *words)

    def _handle(self, request: BlockRequest) -> dict[str, Any]:
        return {
            "family": FAMILY,
            "table": self.config.table,
            "set": SETS[request.version],
            "address": request.address,
        }

    @staticmethod
    def _element_statement(verb: str, handle: dict[str, Any], *, comment: str = "") -> str:
        # one argument: nft joins its arguments and parses the result, and this reads best in a plan
        text = clean_comment(comment, max_bytes=COMMENT_MAX_BYTES)
        element = f'{handle["address"]} comment "{text}"' if text else handle["address"]
        return f"{verb} element {handle['family']} {handle['table']} {handle['set']} {{ {element} }}"

    def _parse_handle(self, handle: dict[str, Any]) -> tuple[str, str, str, IPNetwork]:
        family, table, set_name = handle.get("family"), handle.get("table"), handle.get("set")
        names_ok = all(isinstance(n, str) and _is_name(n) for n in (table, set_name))
        if family not in FAMILIES or not names_ok:
            raise self.error(f"not an nftables block handle: {handle!r}")
        try:
            request = BlockRequest(address=str(handle.get("address", "")))
        except ValidationError as exc:
            raise self.error(f"not an nftables block handle: {handle!r}") from exc
        return str(family), str(table), str(set_name), request.network

    def _elements(self, family: str, table: str, set_name: str) -> list[IPNetwork] | None:
        """The set's elements as networks; None when the table or set does not exist."""
        argv = self._nft("-j", "list", "set", family, table, set_name)
        done = self.runner.attempt(argv)
        if done.returncode != 0:
            if _absent(done):
                return None
            raise self.runner.failure(argv, done)
        networks: list[IPNetwork] = []
        for item in _nft_objects(done.stdout):
            for element in item.get("set", {}).get("elem", []):
                networks.extend(_element_networks(element))
        return networks


def _absent(done: subprocess.CompletedProcess[str]) -> bool:
    """Whether nft failed because the table, set or chain does not exist.

    Only nft's own error line counts: ``ip netns exec`` reports a missing namespace with the same
    errno text, and that must stay an error.
    """
    return done.returncode == 1 and any(line.strip() == MISSING for line in done.stderr.splitlines())


def _is_name(text: str) -> bool:
    return text[:1].isalpha() and all(ch.isalnum() or ch == "_" for ch in text) and len(text) <= 32


def _nft_objects(stdout: str) -> list[dict[str, Any]]:
    """The objects of ``nft -j`` output (metainfo included)."""
    document = json.loads(stdout) if stdout.strip() else {}
    objects = document.get("nftables", [])
    return [o for o in objects if isinstance(o, dict)]


def _drops_from_set(rule: dict[str, Any], version: int) -> bool:
    """Whether ``rule`` is ``<ip|ip6> saddr @block<4|6> … drop``."""
    expressions = rule.get("expr", [])
    matches_set = any(
        isinstance(e, dict)
        and isinstance(e.get("match"), dict)
        and e["match"].get("op") in ("==", "in")
        and e["match"].get("left") == {"payload": {"protocol": PROTOCOLS[version], "field": "saddr"}}
        and e["match"].get("right") == f"@{SETS[version]}"
        for e in expressions
    )
    drops = any(isinstance(e, dict) and "drop" in e for e in expressions)
    return matches_set and drops


def _element_networks(element: Any) -> list[IPNetwork]:
    """Networks of one ``nft -j list set`` element: an address, prefix or range, bare or with a comment."""
    if isinstance(element, dict) and "elem" in element:
        return _element_networks(element["elem"].get("val"))
    if isinstance(element, str):
        return [ipaddress.ip_network(element)]
    if isinstance(element, dict) and "prefix" in element:
        prefix = element["prefix"]
        return [ipaddress.ip_network(f"{prefix['addr']}/{prefix['len']}")]
    if isinstance(element, dict) and "range" in element:
        first, last = (ipaddress.ip_address(a) for a in element["range"])
        return list(ipaddress.summarize_address_range(first, last))
    return []
