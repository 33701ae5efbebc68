"""canonical_ip: the C library's fast path gives exactly what ``ipaddress`` gives."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from collectors.parsers.common import canonical_ip

convert = canonical_ip.__wrapped__  # the cache would answer repeated inputs without converting


def _reference(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    except ValueError:
        return None


def _groups(words: list[int]) -> str:
    return ":".join(f"{word:x}" for word in words)


@settings(max_examples=2000, derandomize=True)
@given(st.binary(min_size=16, max_size=16))
def test_every_ipv6_address_is_written_as_ipaddress_writes_it(packed: bytes) -> None:
    address = ipaddress.IPv6Address(packed)
    for text in (address.exploded, address.compressed, address.exploded.upper()):
        assert convert(text) == str(address)


@settings(max_examples=2000, derandomize=True)
@given(st.lists(st.sampled_from([0, 0, 0, 1, 0xFFFF, 0xDB8, 0x2001]), min_size=8, max_size=8))
def test_runs_of_zero_groups_compress_where_ipaddress_compresses_them(words: list[int]) -> None:
    # zero runs of every length and position, ties between runs, a lone zero group, mapped
    # and compatible IPv4 (ipaddress writes those in hex; the C library writes them dotted)
    text = _groups(words)
    assert convert(text) == _reference(text)


@settings(max_examples=2000, derandomize=True)
@given(st.ip_addresses(v=4))
def test_every_ipv4_address_is_its_own_canonical_form(address: ipaddress.IPv4Address) -> None:
    assert convert(str(address)) == str(address)
    assert convert(f" [{address}] ") == str(address)


@settings(max_examples=3000, derandomize=True)
@given(st.text(alphabet="0123456789abcdefABCDEF.:%[] x-", max_size=45))
@example("01.2.3.4")
@example("1.2.3")
@example("256.1.1.1")
@example("1.2.3.4.")
@example("0x1.2.3.4")
@example("2001:db8::1.2.3.4")
@example("::ffff:192.0.2.1")
@example("::192.0.2.1")
@example("fe80::1%eth0")
@example("2001:db8::1%2")
@example(":::")
@example("1::2::3")
@example("2001:db8:0:0:0:0:0:1:2")
@example("")
def test_any_text_gets_what_ipaddress_gives_it(text: str) -> None:
    assert convert(text) == _reference(text)


@pytest.mark.parametrize("text", ["192.0.2.1\x00", "１９２.0.2.1", "198.51.100.7\u200b", "2001:db8::\x001"])
def test_nul_and_non_ascii_digits_are_not_addresses_unless_ipaddress_says_so(text: str) -> None:
    assert convert(text) == _reference(text)
