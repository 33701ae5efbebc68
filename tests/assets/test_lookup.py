"""IP → asset lookup: exact hosts, longest-prefix networks, IPv6, zone CIDRs, misses and the cache."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soc_core.assets.lookup import AssetContext, AssetIndex
from soc_core.assets.models import Asset, Zone, default_zones
from soc_core.vocabulary import Criticality

ZONES = [
    *[z for z in default_zones() if z.id != "private"],
    Zone(id="private", name="专用网络区", cidrs=["198.51.100.0/24", "2001:db8:100::/48"]),
    Zone(id="office", name="办公区", cidrs=["198.51.100.128/25"]),
]
ASSETS = [
    Asset(
        id=1,
        ip="192.0.2.10",
        hostname="web01.example.com",
        zone="dmz",
        owner_unit="区大数据局",
        level=3,
        criticality=Criticality.CRITICAL,
        device_type="Web服务器",
    ),
    Asset(id=2, cidr="192.0.2.0/24", hostname="dmz-net", zone="dmz", owner_unit="区大数据局", level=2),
    Asset(id=3, cidr="192.0.2.0/28", hostname="dmz-mgmt", zone="management"),
    Asset(id=4, cidr="192.0.0.0/16", owner_unit="区政府"),
    Asset(id=5, ip="2001:db8::53", hostname="dns01", zone="public", criticality=Criticality.HIGH),
    Asset(id=6, cidr="2001:db8::/32", owner_unit="区电子政务外网"),
    Asset(id=7, cidr="2001:db8:0:1::/64", hostname="v6-office"),
    Asset(id=8, ip="198.51.100.200", hostname="pc-200"),
]


@pytest.fixture(scope="module")
def index() -> AssetIndex:
    return AssetIndex.build(ASSETS, ZONES)


def test_exact_host_carries_the_asset_context(index: AssetIndex) -> None:
    assert index.lookup("192.0.2.10") == AssetContext(
        asset_id=1,
        name="web01.example.com",
        zone="dmz",
        zone_name="DMZ",
        owner_unit="区大数据局",
        level=3,
        criticality="critical",
        device_type="Web服务器",
    )


@pytest.mark.parametrize(
    ("ip", "asset_id"),
    [
        ("192.0.2.11", 3),  # /28 beats /24 and /16
        ("192.0.2.15", 3),
        ("192.0.2.16", 2),
        ("192.0.2.255", 2),
        ("192.0.3.1", 4),
        ("192.0.255.255", 4),
        ("192.1.0.1", None),
        ("2001:db8::53", 5),
        ("2001:DB8:0:0:0:0:0:53", 5),  # another spelling of the same host
        ("2001:db8:0:1::99", 7),
        ("2001:db8:ffff::1", 6),
        ("2001:db9::1", None),
        ("::ffff:192.0.2.10", 1),  # IPv4-mapped IPv6 is the IPv4 host
        ("::ffff:192.0.2.12", 3),
        ("203.0.113.1", None),
        ("not-an-ip", None),
        ("", None),
        ("192.0.2.300", None),
    ],
)
def test_longest_prefix_and_misses(index: AssetIndex, ip: str, asset_id: int | None) -> None:
    found = index.lookup(ip)
    assert (found.asset_id if found else None) == asset_id
    again = index.lookup(ip)  # now answered from the cache
    assert again == found


def test_network_context_has_zone_name(index: AssetIndex) -> None:
    found = index.lookup("192.0.2.77")
    assert found is not None
    assert (found.name, found.zone, found.zone_name, found.level) == ("dmz-net", "dmz", "DMZ", 2)


def test_zone_cidrs_fill_a_missing_asset_zone(index: AssetIndex) -> None:
    host = index.lookup("198.51.100.200")
    assert host is not None
    assert (host.zone, host.zone_name) == ("office", "办公区")  # /25 beats the /24 of private


@pytest.mark.parametrize(
    ("ip", "zone"),
    [
        ("192.0.2.10", "dmz"),  # the asset's own zone
        ("192.0.2.3", "management"),
        ("198.51.100.7", "private"),  # no asset: the zone CIDR
        ("198.51.100.129", "office"),
        ("2001:db8:100::1", "private"),
        ("2001:db8::1", None),  # an asset without a zone, inside no zone CIDR
        ("203.0.113.9", None),
        ("garbage", None),
    ],
)
def test_zone_of(index: AssetIndex, ip: str, zone: str | None) -> None:
    assert index.zone_of(ip) == zone


def test_zone_name_and_size(index: AssetIndex) -> None:
    assert index.zone_name("private") == "专用网络区"
    assert index.zone_name("nowhere") is None
    assert len(index) == len(ASSETS)


def test_bounded_cache_keeps_answering_correctly() -> None:
    small = AssetIndex.build(ASSETS, ZONES, cache_size=4)
    for round_ in range(3):
        for last in range(40):
            ip = f"192.0.2.{last}"
            found = small.lookup(ip)
            expected = 1 if last == 10 else 3 if last < 16 else 2
            assert found is not None and found.asset_id == expected, (round_, ip)
        assert small.lookup("203.0.113.5") is None
    assert len(small._answers) <= 4


def test_empty_index() -> None:
    empty = AssetIndex.build([])
    assert empty.lookup("192.0.2.1") is None
    assert empty.zone_of("192.0.2.1") is None
    assert len(empty) == 0


def test_first_of_two_equal_networks_wins() -> None:
    twice = AssetIndex.build([Asset(id=1, cidr="192.0.2.0/24"), Asset(id=2, cidr="192.0.2.0/24")])
    found = twice.lookup("192.0.2.9")
    assert found is not None and found.asset_id == 1


@given(st.ip_addresses())
def test_any_address_agrees_with_a_linear_scan(address: object) -> None:
    ip = ipaddress.ip_address(str(address))
    index = AssetIndex.build(ASSETS, ZONES)
    best: tuple[int, int] | None = None
    for asset in ASSETS:
        network = ipaddress.ip_network(asset.ip or asset.cidr or "")
        if ip.version == network.version and ip in network and (best is None or network.prefixlen > best[0]):
            best = (network.prefixlen, asset.id)
    found = index.lookup(str(ip))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return  # folded to IPv4: covered above
    assert (found.asset_id if found else None) == (best[1] if best else None)
