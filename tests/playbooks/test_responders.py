"""Block responders against real firewalls in network namespaces, vendor plans, and their settings."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from netns_support import TwoHosts, require_tools, two_hosts
from pydantic import SecretStr, ValidationError

from playbooks.responders import RESPONDER_KINDS, BlockRequest, Responder, ResponderError, build_responders
from playbooks.responders.iptables import IptablesConfig, IptablesResponder
from playbooks.responders.nftables import NftablesConfig, NftablesResponder
from playbooks.responders.vendor import H3CConfig, H3CResponder, HuaweiConfig, HuaweiResponder
from soc_core.errors import ConfigError

PORT = 8443
BLOCKED_TIMEOUT_S = 1.0  # a dropped SYN is never answered: every blocked check waits this long

SETUP_SCRIPT = """\
add table inet shaowang
add set inet shaowang block4 { type ipv4_addr; flags interval; }
add set inet shaowang block6 { type ipv6_addr; flags interval; }
add chain inet shaowang input { type filter hook input priority -10; policy accept; }
add chain inet shaowang forward { type filter hook forward priority -10; policy accept; }
add rule inet shaowang input ip saddr @block4 counter drop
add rule inet shaowang input ip6 saddr @block6 counter drop
add rule inet shaowang forward ip saddr @block4 counter drop
add rule inet shaowang forward ip6 saddr @block6 counter drop
"""


@pytest.fixture(scope="module")
def tools() -> dict[str, str]:
    return require_tools("nft", "iptables", "ip6tables")


@pytest.fixture
def hosts(tools: dict[str, str]) -> Iterator[TwoHosts]:
    with two_hosts() as pair:
        pair.listen(PORT)
        yield pair


def nftables(hosts: TwoHosts, tools: dict[str, str], *, dry_run: bool = False) -> NftablesResponder:
    return NftablesResponder(
        NftablesConfig(id="edge", netns=hosts.gateway, nft=tools["nft"], dry_run=dry_run)
    )


def iptables(hosts: TwoHosts, tools: dict[str, str], *, dry_run: bool = False) -> IptablesResponder:
    config = IptablesConfig(
        id="legacy",
        netns=hosts.gateway,
        iptables=tools["iptables"],
        ip6tables=tools["ip6tables"],
        dry_run=dry_run,
    )
    return IptablesResponder(config)


def ruleset(hosts: TwoHosts, tools: dict[str, str]) -> list[dict[str, Any]]:
    """The gateway's ruleset as nft JSON objects, metainfo left out."""
    document = json.loads(hosts.run(hosts.gateway, tools["nft"], "-j", "list", "ruleset"))
    return [item for item in document["nftables"] if "metainfo" not in item]


def of_table(objects: list[dict[str, Any]], table: str, kind: str) -> list[dict[str, Any]]:
    return [item[kind] for item in objects if kind in item and item[kind].get("table", "") == table]


def reachable(hosts: TwoHosts) -> tuple[bool, bool]:
    """Whether the client reaches the gateway's listener over (IPv4, IPv6)."""
    return (
        hosts.can_connect(PORT, timeout=BLOCKED_TIMEOUT_S),
        hosts.can_connect(PORT, timeout=BLOCKED_TIMEOUT_S, ipv6=True),
    )


# -- the request ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        (" 198.51.100.7 ", "198.51.100.7"),
        ("198.51.100.7/32", "198.51.100.7"),
        ("198.51.100.0/24", "198.51.100.0/24"),
        ("2001:DB8:0::2", "2001:db8::2"),
        ("2001:db8::2/128", "2001:db8::2"),
        ("2001:db8:0:0::/64", "2001:db8::/64"),
    ],
)
def test_block_request_keeps_one_spelling_of_each_address(given: str, expected: str) -> None:
    assert BlockRequest(address=given).address == expected


@pytest.mark.parametrize(
    "given", ["198.51.100.7/24", "portal.example.com", "", "198.51.100.256", "2001:db8::/129"]
)
def test_block_request_refuses_what_is_not_an_address_or_prefix(given: str) -> None:
    with pytest.raises(ValidationError, match="not an IPv4/IPv6 address or CIDR prefix"):
        BlockRequest(address=given)


# -- nftables ---------------------------------------------------------------------------------


def test_nftables_blocks_the_client_and_lets_it_back(hosts: TwoHosts, tools: dict[str, str]) -> None:
    responder = nftables(hosts, tools)
    assert isinstance(responder, Responder)
    assert reachable(hosts) == (True, True)

    handle = responder.block(BlockRequest(address=hosts.client_ip, comment="告警 42 SSH 暴力破解"))

    assert handle == {"family": "inet", "table": "shaowang", "set": "block4", "address": "198.51.100.2"}
    assert reachable(hosts) == (False, True)  # only the IPv4 address is blocked
    assert responder.blocked() == ["198.51.100.2"]
    objects = ruleset(hosts, tools)
    (block4,) = [s for s in of_table(objects, "shaowang", "set") if s["name"] == "block4"]
    assert block4["elem"] == [{"elem": {"val": "198.51.100.2", "comment": "告警 42 SSH 暴力破解"}}]
    (input4,) = [
        r for r in of_table(objects, "shaowang", "rule") if rule_summary(r) == ("input", "ip", "@block4")
    ]
    (counter,) = [e["counter"] for e in input4["expr"] if "counter" in e]
    assert counter["packets"] >= 1  # the client's SYN was counted and dropped

    responder.unblock(handle)

    assert reachable(hosts) == (True, True)
    assert responder.blocked() == []
    responder.unblock(handle)  # lifting twice is fine
    assert responder.blocked() == []


def test_nftables_blocks_ipv6(hosts: TwoHosts, tools: dict[str, str]) -> None:
    responder = nftables(hosts, tools)

    handle = responder.block(BlockRequest(address=hosts.client_ip6))

    assert handle == {"family": "inet", "table": "shaowang", "set": "block6", "address": "2001:db8::2"}
    assert reachable(hosts) == (True, False)
    assert responder.blocked() == ["2001:db8::2"]
    responder.unblock(handle)
    assert reachable(hosts) == (True, True)
    assert responder.blocked() == []


def test_nftables_blocks_prefixes_and_refuses_overlaps(hosts: TwoHosts, tools: dict[str, str]) -> None:
    responder = nftables(hosts, tools)

    v4 = responder.block(BlockRequest(address="198.51.100.0/25"))
    v6 = responder.block(BlockRequest(address="2001:db8::/64"))

    assert v4 == {"family": "inet", "table": "shaowang", "set": "block4", "address": "198.51.100.0/25"}
    assert v6 == {"family": "inet", "table": "shaowang", "set": "block6", "address": "2001:db8::/64"}
    assert reachable(hosts) == (False, False)
    assert responder.blocked() == ["198.51.100.0/25", "2001:db8::/64"]
    # the same prefix again is the same block; an address inside it is refused, not merged
    assert responder.block(BlockRequest(address="198.51.100.0/25")) == v4
    with pytest.raises(ResponderError, match=r"198\.51\.100\.2 overlaps 198\.51\.100\.0/25, already blocked"):
        responder.block(BlockRequest(address=hosts.client_ip))
    assert responder.blocked() == ["198.51.100.0/25", "2001:db8::/64"]

    responder.unblock(v4)
    responder.unblock(v6)

    assert reachable(hosts) == (True, True)
    assert responder.blocked() == []


def test_nftables_dry_run_changes_nothing_and_returns_the_commands(
    hosts: TwoHosts, tools: dict[str, str]
) -> None:
    responder = nftables(hosts, tools, dry_run=True)
    nft = f"ip netns exec {hosts.gateway} {tools['nft']}"

    handle = responder.block(BlockRequest(address=hosts.client_ip, comment='run 7 "ssh-brute"'))

    assert handle == {
        "dry_run": True,
        "commands": [
            f"{nft} -f - <<'EOF'\n{SETUP_SCRIPT}EOF",
            f"{nft} 'add element inet shaowang block4 {{ 198.51.100.2 comment \"run 7 ssh-brute\" }}'",
        ],
        "family": "inet",
        "table": "shaowang",
        "set": "block4",
        "address": "198.51.100.2",
    }
    assert responder.setup() == [f"{nft} -f - <<'EOF'\n{SETUP_SCRIPT}EOF"]
    assert ruleset(hosts, tools) == []
    assert reachable(hosts) == (True, True)
    assert responder.blocked() == []
    responder.unblock(handle)  # a planned block has nothing to lift
    live = {"family": "inet", "table": "shaowang", "set": "block4", "address": "198.51.100.2"}
    with pytest.raises(
        ResponderError, match=r"dry-run mode .* 'delete element inet shaowang block4 \{ 198\.51\.100\.2 \}'"
    ):
        responder.unblock(live)


def test_nftables_setup_is_idempotent_and_leaves_other_tables_alone(
    hosts: TwoHosts, tools: dict[str, str]
) -> None:
    nft = tools["nft"]
    hosts.run(
        hosts.gateway,
        nft,
        "add table inet keep; add chain inet keep c { type filter hook input priority 0; }",
    )
    hosts.run(hosts.gateway, nft, "add rule inet keep c tcp dport 9 counter accept")
    responder = nftables(hosts, tools)

    first = responder.setup()
    second = responder.setup()

    assert first == [f"ip netns exec {hosts.gateway} {nft} -f - <<'EOF'\n{SETUP_SCRIPT}EOF"]
    assert second == []
    objects = ruleset(hosts, tools)
    assert [t["name"] for t in objects_of(objects, "table")] == ["keep", "shaowang"]
    assert sorted(s["name"] for s in of_table(objects, "shaowang", "set")) == ["block4", "block6"]
    assert sorted(c["name"] for c in of_table(objects, "shaowang", "chain")) == ["forward", "input"]
    assert sorted(rule_summary(r) for r in of_table(objects, "shaowang", "rule")) == [
        ("forward", "ip", "@block4"),
        ("forward", "ip6", "@block6"),
        ("input", "ip", "@block4"),
        ("input", "ip6", "@block6"),
    ]
    assert len(of_table(objects, "keep", "rule")) == 1

    # one rule lost: setup adds exactly that one back
    (lost,) = [
        r for r in of_table(objects, "shaowang", "rule") if rule_summary(r) == ("forward", "ip6", "@block6")
    ]
    hosts.run(
        hosts.gateway, nft, "delete", "rule", "inet", "shaowang", "forward", "handle", str(lost["handle"])
    )
    assert responder.setup() == [
        f"ip netns exec {hosts.gateway} {nft} -f - <<'EOF'\n"
        + "\n".join(SETUP_SCRIPT.splitlines()[:5])
        + "\nadd rule inet shaowang forward ip6 saddr @block6 counter drop\nEOF"
    ]
    assert len(of_table(ruleset(hosts, tools), "shaowang", "rule")) == 4

    # our table deleted behind our back: the next block sets it up again
    hosts.run(hosts.gateway, nft, "delete", "table", "inet", "shaowang")
    handle = responder.block(BlockRequest(address=hosts.client_ip))
    assert hosts.can_connect(PORT, timeout=BLOCKED_TIMEOUT_S) is False
    responder.unblock(handle)
    objects = ruleset(hosts, tools)
    assert len(of_table(objects, "shaowang", "rule")) == 4
    assert len(of_table(objects, "keep", "rule")) == 1


def objects_of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item[kind] for item in objects if kind in item]


def rule_summary(rule: dict[str, Any]) -> tuple[str, str, str]:
    (match,) = [e["match"] for e in rule["expr"] if "match" in e]
    assert {"drop": None} in rule["expr"]
    assert any("counter" in e for e in rule["expr"])
    return rule["chain"], match["left"]["payload"]["protocol"], match["right"]


def test_nftables_errors_name_the_command_and_what_nft_said(tools: dict[str, str]) -> None:
    missing_namespace = NftablesResponder(
        NftablesConfig(id="edge", netns=f"socnone{os.getpid()}", nft=tools["nft"], dry_run=False)
    )
    with pytest.raises(ResponderError) as caught:
        missing_namespace.block(BlockRequest(address="198.51.100.2"))
    assert caught.value.where == "nftables responder edge"
    assert (
        f"ip netns exec socnone{os.getpid()} {tools['nft']} -j list chain inet shaowang input failed"
        in str(caught.value)
    )
    assert f'Cannot open network namespace "socnone{os.getpid()}"' in str(caught.value)

    missing_binary = NftablesResponder(NftablesConfig(id="edge", nft="/nonexistent/nft", dry_run=False))
    with pytest.raises(ResponderError, match="/nonexistent/nft not found"):
        missing_binary.blocked()

    with pytest.raises(ResponderError, match="not an nftables block handle"):
        missing_binary.unblock(
            {"family": "inet", "table": "shaowang; flush ruleset", "set": "block4", "address": "x"}
        )


# -- iptables ---------------------------------------------------------------------------------


def test_iptables_blocks_the_client_and_lets_it_back(hosts: TwoHosts, tools: dict[str, str]) -> None:
    responder = iptables(hosts, tools)
    assert reachable(hosts) == (True, True)

    handle = responder.block(BlockRequest(address=hosts.client_ip, comment="告警 42"))
    again = responder.block(BlockRequest(address=hosts.client_ip, comment="告警 43"))
    handle6 = responder.block(BlockRequest(address=hosts.client_ip6))

    assert (
        handle
        == again
        == {"family": "ipv4", "table": "filter", "chain": "SHAOWANG", "address": "198.51.100.2"}
    )
    assert handle6 == {"family": "ipv6", "table": "filter", "chain": "SHAOWANG", "address": "2001:db8::2"}
    assert reachable(hosts) == (False, False)
    assert responder.blocked() == ["198.51.100.2", "2001:db8::2"]
    rules4 = hosts.run(hosts.gateway, tools["iptables"], "-w", "-S").splitlines()
    assert [line for line in rules4 if "SHAOWANG" in line] == [
        "-N SHAOWANG",
        "-A INPUT -j SHAOWANG",
        "-A FORWARD -j SHAOWANG",
        '-A SHAOWANG -s 198.51.100.2/32 -m comment --comment "shaowang:告警 42" -j DROP',
    ]
    rules6 = hosts.run(hosts.gateway, tools["ip6tables"], "-w", "-S").splitlines()
    assert [line for line in rules6 if "SHAOWANG" in line] == [
        "-N SHAOWANG",
        "-A INPUT -j SHAOWANG",
        "-A FORWARD -j SHAOWANG",
        '-A SHAOWANG -s 2001:db8::2/128 -m comment --comment "shaowang:" -j DROP',
    ]

    responder.unblock(handle)
    assert reachable(hosts) == (True, False)
    responder.unblock(handle6)
    assert reachable(hosts) == (True, True)
    assert responder.blocked() == []
    responder.unblock(handle)  # lifting twice is fine
    assert responder.setup(4) == []  # chain and jumps are still there, nothing added


def test_iptables_blocks_a_prefix(hosts: TwoHosts, tools: dict[str, str]) -> None:
    responder = iptables(hosts, tools)

    handle = responder.block(BlockRequest(address="198.51.100.0/25"))

    assert reachable(hosts) == (False, True)
    assert responder.blocked() == ["198.51.100.0/25"]
    responder.unblock(handle)
    assert reachable(hosts) == (True, True)


def test_iptables_dry_run_changes_nothing_and_returns_the_commands(
    hosts: TwoHosts, tools: dict[str, str]
) -> None:
    responder = iptables(hosts, tools, dry_run=True)
    ipt = f"ip netns exec {hosts.gateway} {tools['iptables']} -w -t filter"

    handle = responder.block(BlockRequest(address=hosts.client_ip, comment="run 7"))

    assert handle == {
        "dry_run": True,
        "commands": [
            f"{ipt} -S SHAOWANG >/dev/null 2>&1 || {ipt} -N SHAOWANG",
            f"{ipt} -C INPUT -j SHAOWANG 2>/dev/null || {ipt} -I INPUT 1 -j SHAOWANG",
            f"{ipt} -C FORWARD -j SHAOWANG 2>/dev/null || {ipt} -I FORWARD 1 -j SHAOWANG",
            f"{ipt} -A SHAOWANG -s 198.51.100.2/32 -m comment --comment 'shaowang:run 7' -j DROP",
        ],
        "family": "ipv4",
        "table": "filter",
        "chain": "SHAOWANG",
        "address": "198.51.100.2",
    }
    assert "SHAOWANG" not in hosts.run(hosts.gateway, tools["iptables"], "-w", "-S")
    assert reachable(hosts) == (True, True)
    responder.unblock(handle)


# -- vendor skeletons -------------------------------------------------------------------------

SECRET = "Sw-device-pass-1"


def huawei(protocol: str, *, dry_run: bool = True) -> HuaweiResponder:
    return HuaweiResponder(
        HuaweiConfig.model_validate(
            {
                "id": "usg",
                "kind": "huawei",
                "dry_run": dry_run,
                "host": "192.0.2.10",
                "protocol": protocol,
                "username": "soc",
                "password": SecretStr(SECRET),
                "address_set": "shaowang-block",
            }
        )
    )


def h3c(protocol: str, *, dry_run: bool = True) -> H3CResponder:
    return H3CResponder(
        H3CConfig.model_validate(
            {
                "id": "secpath",
                "kind": "h3c",
                "dry_run": dry_run,
                "host": "192.0.2.11",
                "port": 2222,
                "protocol": protocol,
                "username": "soc",
                "password": SECRET,
                "address_set": "shaowang-block",
            }
        )
    )


def test_huawei_ssh_plans_a_blacklist_item_or_an_address_set_entry() -> None:
    responder = huawei("ssh")
    target = {"vendor": "Huawei USG", "protocol": "ssh", "host": "192.0.2.10", "port": 22}

    assert responder.block(BlockRequest(address="203.0.113.9")) == {
        "dry_run": True,
        **target,
        "address": "203.0.113.9",
        "commands": [
            "system-view",
            "firewall blacklist enable",
            "firewall blacklist item source-ip 203.0.113.9",
            "return",
        ],
    }
    assert responder.block(BlockRequest(address="203.0.113.0/24"))["commands"] == [
        "system-view",
        "ip address-set shaowang-block type object",
        " address 203.0.113.0 mask 24",
        " quit",
        "return",
    ]
    assert responder.block(BlockRequest(address="2001:db8:5::/48"))["commands"] == [
        "system-view",
        "ip address-set shaowang-block type object",
        " address 2001:db8:5:: 48",
        " quit",
        "return",
    ]
    assert responder.unblock_plan("203.0.113.9")["commands"] == [
        "system-view",
        "undo firewall blacklist item source-ip 203.0.113.9",
        "return",
    ]
    assert responder.blocked() == []
    responder.unblock(responder.block(BlockRequest(address="203.0.113.9")))


def test_huawei_restconf_plans_the_request() -> None:
    responder = huawei("restconf")
    url = "https://192.0.2.10:443/restconf/data/huawei-address-set:address-set/addr-object=shaowang-block"
    body = {
        "huawei-address-set:addr-object": [
            {"name": "shaowang-block", "elements": [{"address-ipv4": "203.0.113.9/32"}]}
        ]
    }

    handle = responder.block(BlockRequest(address="203.0.113.9"))

    assert handle["requests"] == [{"method": "PATCH", "url": url, "body": body}]
    assert handle["commands"] == [f"PATCH {url} {json.dumps(body, sort_keys=True)}"]
    assert responder.unblock_plan("2001:db8::9")["requests"] == [
        {"method": "DELETE", "url": f"{url}/elements=2001%3Adb8%3A%3A9%2F128"}
    ]
    assert SECRET not in json.dumps(handle)


def test_h3c_plans_an_object_group_on_the_blacklist() -> None:
    responder = h3c("ssh")

    handle = responder.block(BlockRequest(address="203.0.113.9"))

    assert {k: handle[k] for k in ("vendor", "protocol", "host", "port")} == {
        "vendor": "H3C SecPath",
        "protocol": "ssh",
        "host": "192.0.2.11",
        "port": 2222,
    }
    assert handle["commands"] == [
        "system-view",
        "object-group ip address shaowang-block",
        " network host address 203.0.113.9",
        " quit",
        "blacklist object-group shaowang-block",
        "blacklist global enable",
        "return",
    ]
    assert responder.block(BlockRequest(address="203.0.113.0/24"))["commands"][2] == (
        " network subnet 203.0.113.0 255.255.255.0"
    )
    assert responder.block(BlockRequest(address="2001:db8:5::/48"))["commands"][1:3] == [
        "object-group ipv6 address shaowang-block-v6",
        " network subnet 2001:db8:5:: 48",
    ]
    assert responder.unblock_plan("203.0.113.9")["commands"] == [
        "system-view",
        "object-group ip address shaowang-block",
        " undo network host address 203.0.113.9",
        " quit",
        "return",
    ]
    assert h3c("netconf").block(BlockRequest(address="203.0.113.9"))["commands"] == [
        '<rpc message-id="shaowang-block" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
        "<CLI><Configuration>object-group ip address shaowang-block\n"
        " network host address 203.0.113.9\n"
        " quit\n"
        "blacklist object-group shaowang-block\n"
        "blacklist global enable</Configuration></CLI></rpc>"
    ]


@pytest.mark.parametrize(
    ("responder", "vendor"),
    [(huawei("ssh", dry_run=False), "Huawei USG"), (h3c("netconf", dry_run=False), "H3C SecPath")],
)
def test_vendor_skeletons_refuse_to_act_live(responder: HuaweiResponder | H3CResponder, vendor: str) -> None:
    refusal = f"the {vendor} adapter is a skeleton: not verified against a device; run with dry_run = true"
    with pytest.raises(ResponderError, match=refusal) as caught:
        responder.block(BlockRequest(address="203.0.113.9"))
    assert SECRET not in str(caught.value)
    with pytest.raises(ResponderError, match=refusal):
        responder.unblock({"address": "203.0.113.9"})
    with pytest.raises(ResponderError, match=refusal):
        responder.blocked()


# -- settings ---------------------------------------------------------------------------------


def test_build_responders_makes_each_kind_dry_run_by_default() -> None:
    vendor = {"host": "192.0.2.10", "username": "soc", "password": SECRET, "address_set": "shaowang-block"}

    built = build_responders(
        [
            {"id": "edge", "kind": "nftables", "netns": "gw"},
            {"id": "legacy", "kind": "iptables", "dry_run": False},
            {"id": "usg", "kind": "huawei", "protocol": "restconf", **vendor},
            {"id": "secpath", "kind": "h3c", **vendor},
        ]
    )

    assert list(RESPONDER_KINDS) == ["nftables", "iptables", "huawei", "h3c"]
    assert {k: (type(r).__name__, r.kind, r.dry_run) for k, r in built.items()} == {
        "edge": ("NftablesResponder", "nftables", True),
        "legacy": ("IptablesResponder", "iptables", False),
        "usg": ("HuaweiResponder", "huawei", True),
        "secpath": ("H3CResponder", "h3c", True),
    }
    assert all(isinstance(r, Responder) for r in built.values())
    usg = built["usg"]
    assert isinstance(usg, HuaweiResponder)
    assert SECRET not in repr(usg) + repr(usg.config)


@pytest.mark.parametrize(
    ("raw", "where", "message"),
    [
        ([{"id": "edge"}], "playbooks.responders[0].kind", "missing"),
        ([{"id": "edge", "kind": "pf"}], "playbooks.responders[0].kind", "unknown responder kind 'pf'"),
        (
            [{"id": "edge", "kind": "nftables"}, {"id": "b", "kind": "nftables", "tabel": "x"}],
            "playbooks.responders[1].tabel",
            "Extra inputs are not permitted",
        ),
        (
            [{"id": "edge", "kind": "nftables"}, {"id": "edge", "kind": "iptables"}],
            "playbooks.responders[1].id",
            "duplicate responder id 'edge' (first at playbooks.responders[0])",
        ),
        (
            [{"id": "edge", "kind": "nftables", "table": "our-table"}],
            "playbooks.responders[0].table",
            "pattern",
        ),
        (
            [{"id": "edge", "kind": "nftables", "dry_run": "maybe"}],
            "playbooks.responders[0].dry_run",
            "boolean",
        ),
        ([{"id": "a b", "kind": "iptables"}], "playbooks.responders[0].id", "pattern"),
        (
            [{"id": "usg", "kind": "huawei", "host": "192.0.2.10", "username": "soc", "address_set": "s"}],
            "playbooks.responders[0].password",
            "Field required",
        ),
        (
            [
                {
                    "id": "usg",
                    "kind": "h3c",
                    "host": "192.0.2.10",
                    "username": "soc",
                    "password": "p",
                    "address_set": "s",
                    "protocol": "restconf",
                }
            ],
            "playbooks.responders[0].protocol",
            "'netconf' or 'ssh'",
        ),
        (["nftables"], "playbooks.responders[0]", "a responder is a table with id and kind"),
    ],
)
def test_build_responders_names_the_bad_key(raw: list[Any], where: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_responders(raw)
    assert caught.value.where == where
    assert message in caught.value.message


def test_build_responders_uses_the_given_key() -> None:
    with pytest.raises(ConfigError) as caught:
        build_responders(
            [{"id": "edge", "kind": "nftables"}, {"id": "x", "kind": "ipfw"}], key="site.responders"
        )
    assert caught.value.where == "site.responders[1].kind"
