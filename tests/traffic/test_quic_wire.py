"""QUIC client Initial packets → ClientHello: RFC 9001 / RFC 9369 vectors, reassembly, bad input."""

from __future__ import annotations

import itertools
import struct
import time

import pytest
from corpus_support import CORPUS
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.traffic.dissect import Frame, decode
from collectors.traffic.pcapfile import read_capture
from collectors.traffic.quic import (
    MAX_INITIAL_PACKETS,
    QUIC_V1,
    QUIC_V2,
    InitialKeys,
    QuicInitialReader,
    client_initial_keys,
    looks_like_quic_initial,
)
from collectors.traffic.tls import ClientHello, parse_client_hello_message

DCID = bytes.fromhex("8394c8f03e515708")

# RFC 9001 A.2: the client Initial's payload, one CRYPTO frame (offset 0, 241 bytes) then PADDING.
RFC_CRYPTO_FRAME = bytes.fromhex(
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e86804fe3a47f06a2b69484c000004130113"
    "02010000c000000010000e00000b6578616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fbabaf4559fedba753de171fa71f50f1ce1"
    "5d43e994ec74d748002b0003020304000d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806"
    "048000ffff"
)
RFC_PAYLOAD = RFC_CRYPTO_FRAME + bytes(1162 - len(RFC_CRYPTO_FRAME))
RFC_HELLO_MESSAGE = RFC_CRYPTO_FRAME[4:]  # the handshake message: type 1, length 0x0000ed, body
RFC_V1_HEADER = bytes.fromhex("c300000001088394c8f03e5157080000449e00000002")
RFC_V2_HEADER = bytes.fromhex("d36b3343cf088394c8f03e5157080000449e00000002")

# RFC 9001 A.2: the protected client Initial (1200 bytes).
RFC_V1_PACKET = bytes.fromhex(
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11d242b123dc9bd8bab936b47d92ec356c"
    "0bab7df5976d27cd449f63300099f3991c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df621230c83711b39343fa028cea7f7fb5ff89"
    "eac2308249a02252155e2347b63d58c5457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec4e15daf8500a6ef69ec4e3feb6b1d98e"
    "610ac8b7ec3faf6ad760b7bad1db4ba3485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c7b4378e846d29f37ed7b4ea9ec5d82e7"
    "961b7f25a9323851f681d582363aa5f89937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c7468449a13d8e3b95811a198f3491de3e7"
    "fe942b330407abf82a4ed7c1b311663ac69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632291d6a418211cc2962e20fe47feb3edf"
    "330f2c603a9d48c0fcb5699dbfe5896425c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ffef132eef2fa09346aee33c28eb130ff2"
    "8f5b766953334113211996d20011a198e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73203a4a13e96f5432ec0fd4a1ee65accd"
    "d5e3904df54c1da510b0ff20dcc0c77fcb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03adea2e1fbc5aa463d08ca19896d2bf59a07"
    "1b851e6c239052172f296bfb5e72404790a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f440591f355e12d439ff150aab7613499d"
    "bd49adabc8676eef023b15b65bfc5ca06948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0be79e2fb8f5d5fbbe2e30ecadd220723"
    "c8c0aea8078cdfcb3868263ff8f0940054da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9f96f3ca9ec1dde434da7d2d392b905dd"
    "f3d1f9af93d1af5950bd493f5aa731b4056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241e221af44860018ab0856972e194cd934"
)

# RFC 9369 A.2: the same Initial in QUIC version 2.
RFC_V2_PACKET = bytes.fromhex(
    "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485dd04de806071bf03dceebfa162e75d6c"
    "96058bdbfb127cdfcbf903388e99ad049f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d"
    "250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a12834e3f249a78d395e0d18f4d766004"
    "f1a2674802a747eaa901c3f10cda5500cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68"
    "18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff3312ae50b187c1433c0f028edcc4c2838b"
    "6a9bfc226ca4b4530e7a4ccee1bfa2a3d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd"
    "6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520bcfb7966fc49b393f0061d974a2706df"
    "8c4a9449f11d7f3d2dcbb90c6b877045636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f"
    "ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c1216ccce2d0193f958bb3850a833f7ae43"
    "2b65bc5a53975c155aa4bcb4f7b2c4e54df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4"
    "fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b8017c25ca9052ca1079d8b78aebd4787"
    "6d330a30f6a8c6d61dd1ab5589329de714d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9"
    "9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91abfe43960977c87471cf9ad4074d30e1"
    "0d6a7f03c63bd5d4317f68ff325ba3bd80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db"
    "848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18d703dd84045a274ae8bfa73379661388"
    "d6991fe39b0d93debb41700b41f90a15c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc"
    "7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61f6b5b984d4d3dfa033c1bb7e4f0037fe"
    "bf406d91c0dccf32acf423cfa1e7071010d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b"
    "3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e06ebfde206bfb0fcbc0edc4ebec30966"
    "1bdd908d532eb0c6adc38b7ca7331dce8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1"
    "34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1e86215c2d54e6670e07383a27bbffb5a"
    "ddf47d66aa85a0c6f9f32e59d85a44dd5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3"
    "8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89d5974ee12e5cf7d5da4d6a31123041f3"
    "3e61407e76cffcdcfd7e19ba58cf4b536f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19"
    "9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96ba18b2faa745b6fe189cf772a9f84cbfc"
)

RFC_HELLO = ClientHello(
    version="1.2",
    supported_versions=[0x0304],
    sni="example.com",
    alpn=["alpn"],
    ja3="771,4865-4866,0-65281-10-16-5-51-43-13-45-28-57,29-23-24,",
    ja3_hash="41bc9ae914d6cb3bd0bd0a5453ab7d7f",
    # q, TLS 1.3, SNI, 2 suites, 11 extensions, ALPN "alpn"; hashes from the sorted hex lists
    ja4="q13d0211an_62ed6f6ca7ad_4d634acda6c0",
    ciphers=[0x1301, 0x1302],
    extensions=[0, 65281, 10, 16, 5, 51, 43, 13, 45, 28, 57],
)


# --- building protected packets ---------------------------------------------------------------


def _varint(value: int) -> bytes:
    if value < 0x40:
        return bytes((value,))
    if value < 0x4000:
        return struct.pack("!H", 0x4000 | value)
    return struct.pack("!I", 0x80000000 | value)


def protect(header: bytes, payload: bytes, packet_number: int, keys: InitialKeys) -> bytes:
    """RFC 9001 §5: encrypt ``payload`` under ``header`` (which ends with the packet number)."""
    pn_length = (header[0] & 0x03) + 1
    pn_offset = len(header) - pn_length
    nonce = (int.from_bytes(keys.iv, "big") ^ packet_number).to_bytes(12, "big")
    packet = bytearray(header + AESGCM(keys.key).encrypt(nonce, payload, header))
    sample = bytes(packet[pn_offset + 4 : pn_offset + 20])
    mask = Cipher(algorithms.AES(keys.hp), modes.ECB()).encryptor().update(sample)
    packet[0] ^= mask[0] & 0x0F
    for index in range(pn_length):
        packet[pn_offset + index] ^= mask[1 + index]
    return bytes(packet)


def initial(
    frames: bytes,
    packet_number: int,
    *,
    dcid: bytes = DCID,
    version: int = QUIC_V1,
    token: bytes = b"",
    packet_type: int | None = None,
    pn_length: int = 2,
) -> bytes:
    """A client long-header packet (Initial unless ``packet_type`` says otherwise) whose packet
    number field holds the low ``pn_length`` bytes of ``packet_number``."""
    keys = client_initial_keys(dcid, version)
    assert keys is not None
    if packet_type is None:
        packet_type = 0x00 if version == QUIC_V1 else 0x10
    payload = frames + bytes(max(0, 20 - len(frames)))  # room for the header protection sample
    head = (
        bytes((0xC0 | packet_type | (pn_length - 1),))
        + struct.pack("!IB", version, len(dcid))
        + dcid
        + b"\x00"
    )
    if packet_type == (0x00 if version == QUIC_V1 else 0x10):
        head += _varint(len(token)) + token
    head += _varint(pn_length + len(payload) + 16)
    head += (packet_number & ((1 << (8 * pn_length)) - 1)).to_bytes(pn_length, "big")
    return protect(head, payload, packet_number, keys)


def crypto(offset: int, data: bytes) -> bytes:
    return b"\x06" + _varint(offset) + _varint(len(data)) + data


# --- keys and the cheap check -----------------------------------------------------------------


def test_client_initial_keys_rfc9001_a1() -> None:
    assert client_initial_keys(DCID) == InitialKeys(
        key=bytes.fromhex("1f369613dd76d5467730efcbe3b1a22d"),
        iv=bytes.fromhex("fa044b2f42a3fd3b46fb255c"),
        hp=bytes.fromhex("9f50449e04a0e810283a1e9933adedd2"),
    )


def test_client_initial_keys_rfc9369_a1() -> None:
    assert client_initial_keys(DCID, QUIC_V2) == InitialKeys(
        key=bytes.fromhex("8b1a0bc121284290a29e0971b5cd045d"),
        iv=bytes.fromhex("91f73e2351d8fa91660e909f"),
        hp=bytes.fromhex("45b95e15235d6f45a6b19cbcb0294ba9"),
    )


def test_client_initial_keys_of_unknown_version() -> None:
    assert client_initial_keys(DCID, 0xFF00001D) is None


def test_protect_helper_reproduces_the_rfc_packets() -> None:
    v1_keys = client_initial_keys(DCID)
    v2_keys = client_initial_keys(DCID, QUIC_V2)
    assert v1_keys is not None and v2_keys is not None
    assert protect(RFC_V1_HEADER, RFC_PAYLOAD, 2, v1_keys) == RFC_V1_PACKET
    assert protect(RFC_V2_HEADER, RFC_PAYLOAD, 2, v2_keys) == RFC_V2_PACKET


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (RFC_V1_PACKET, True),
        (RFC_V2_PACKET, True),
        (memoryview(RFC_V1_PACKET), True),
        (b"\xc0\x00\x00\x00\x01\x00\x00", True),  # empty connection IDs: header still an Initial
        (b"\xe0" + RFC_V1_PACKET[1:], False),  # v1 Handshake
        (b"\xd0" + RFC_V1_PACKET[1:], False),  # v1 0-RTT
        (b"\xc0" + RFC_V2_PACKET[1:], False),  # v2 Retry type bits
        (b"\xd0" + RFC_V1_PACKET[1:5] + b"\x6b", False),
        (b"\x80" + RFC_V1_PACKET[1:], False),  # fixed bit clear
        (b"\x40" + RFC_V1_PACKET[1:], False),  # short header
        (b"\xc0\x00\x00\x00\x00" + RFC_V1_PACKET[5:], False),  # version negotiation
        (b"\xc0\xff\x00\x00\x1d" + RFC_V1_PACKET[5:], False),  # draft-29
        (b"\x16\x03\x01\x02\x00\x01\x00", False),  # TLS record
        (b"\xc0\x00\x00\x00\x01\x08", False),  # shorter than any long header
        (b"", False),
    ],
)
def test_looks_like_quic_initial(payload: bytes, expected: bool) -> None:
    assert looks_like_quic_initial(payload) is expected


# --- the RFC packets --------------------------------------------------------------------------


def test_rfc9001_client_initial_gives_its_client_hello() -> None:
    reader = QuicInitialReader()
    assert reader.feed(RFC_V1_PACKET) == RFC_HELLO
    assert reader.done
    assert reader.feed(RFC_V1_PACKET) is None  # one result per reader


def test_rfc9369_version_2_client_initial_gives_the_same_hello() -> None:
    assert QuicInitialReader().feed(memoryview(RFC_V2_PACKET)) == RFC_HELLO


def test_parse_client_hello_message_names_the_transport_in_ja4() -> None:
    assert parse_client_hello_message(RFC_HELLO_MESSAGE, transport="q") == RFC_HELLO
    over_tcp = parse_client_hello_message(RFC_HELLO_MESSAGE + b"trailing bytes are not looked at")
    assert isinstance(over_tcp, ClientHello)
    assert over_tcp.ja4 == "t" + RFC_HELLO.ja4[1:]


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (b"", "TLS handshake ends 0 bytes into the ClientHello header"),
        (RFC_HELLO_MESSAGE[:3], "TLS handshake ends 3 bytes into the ClientHello header"),
        (RFC_HELLO_MESSAGE[:100], "ClientHello truncated: 96 of 237 bytes"),
        (b"\x02" + RFC_HELLO_MESSAGE[1:], "expected a ClientHello (handshake type 1), got type 2"),
        (b"\x01\x00\x00\x05hello", "ClientHello of 5 bytes ends before its session id"),
    ],
)
def test_parse_client_hello_message_reasons(message: bytes, reason: str) -> None:
    assert parse_client_hello_message(message, transport="q") == reason


# --- reassembly -------------------------------------------------------------------------------


def test_hello_split_over_two_packets_fed_out_of_order() -> None:
    first = initial(b"\x01" + crypto(0, RFC_HELLO_MESSAGE[:100]) + b"\x00" * 30, 0)
    second = initial(b"\x00\x00\x01" + crypto(100, RFC_HELLO_MESSAGE[100:]) + b"\x01", 1)
    reader = QuicInitialReader()
    assert reader.feed(second) is None
    assert not reader.done
    assert reader.feed(first) == RFC_HELLO
    assert reader.feed(first) is None


def test_hello_in_crypto_frames_out_of_order_within_a_packet_with_ack_frames() -> None:
    ack = b"\x02\x05\x00\x01\x00\x01\x02"  # largest 5, delay 0, one extra range: gap 1, length 2
    ack_ecn = b"\x03\x00\x00\x00\x00\x01\x02\x03"
    frames = crypto(160, RFC_HELLO_MESSAGE[160:]) + ack + crypto(0, RFC_HELLO_MESSAGE[:90])
    frames += ack_ecn + crypto(80, RFC_HELLO_MESSAGE[80:170])  # overlaps both neighbours
    assert QuicInitialReader().feed(initial(frames, 0)) == RFC_HELLO


def test_coalesced_packets_skip_zero_rtt_and_handshake() -> None:
    datagram = (
        initial(crypto(0, RFC_HELLO_MESSAGE[:120]), 0)
        + initial(b"\x08\x00" + b"stream data", 0, packet_type=0x10)  # 0-RTT, other keys in reality
        + initial(b"\x01", 0, packet_type=0x20)  # Handshake
        + initial(crypto(120, RFC_HELLO_MESSAGE[120:]), 1)
    )
    assert QuicInitialReader().feed(datagram) == RFC_HELLO


def test_version_2_hello_over_two_datagrams() -> None:
    reader = QuicInitialReader()
    assert reader.feed(initial(crypto(0, RFC_HELLO_MESSAGE[:50]), 0, version=QUIC_V2)) is None
    assert reader.feed(initial(crypto(50, RFC_HELLO_MESSAGE[50:]), 1, version=QUIC_V2)) == RFC_HELLO


def test_after_retry_the_new_dcid_keys_are_derived_from_the_packet() -> None:
    retry_dcid = bytes.fromhex("5ae3cd27d46211f0a0b1c2d3e4f5061728394a5b")
    reader = QuicInitialReader()
    assert reader.feed(initial(crypto(0, RFC_HELLO_MESSAGE[:100]), 0)) is None
    after_retry = initial(crypto(0, RFC_HELLO_MESSAGE), 1, dcid=retry_dcid, token=b"retry token")
    assert reader.feed(after_retry) == RFC_HELLO


def test_truncated_packet_numbers_are_expanded_from_the_largest_seen() -> None:
    reader = QuicInitialReader()
    assert reader.feed(initial(crypto(0, RFC_HELLO_MESSAGE[:60]), 0x1FFFE, pn_length=4)) is None
    # One byte on the wire (0x01); the nonce needs 0x20001, the number nearest 0x1FFFF.
    assert reader.feed(initial(crypto(60, RFC_HELLO_MESSAGE[60:]), 0x20001, pn_length=1)) == RFC_HELLO


def test_truncated_packet_number_without_history_is_taken_as_it_stands() -> None:
    reason = QuicInitialReader().feed(initial(crypto(0, RFC_HELLO_MESSAGE), 0x20001, pn_length=1))
    assert reason == "QUIC Initial at offset 0 (DCID 8394c8f03e515708) failed authentication"


def test_large_hello_over_three_packets_fed_out_of_order() -> None:
    # The RFC hello grown by a 2500-byte padding extension (21), as big as a post-quantum key share.
    body = bytearray(RFC_HELLO_MESSAGE[4:])
    extensions_length = int.from_bytes(body[43:45], "big")
    body[43:45] = (extensions_length + 4 + 2500).to_bytes(2, "big")
    body += b"\x00\x15" + (2500).to_bytes(2, "big") + bytes(2500)
    message = b"\x01" + len(body).to_bytes(3, "big") + bytes(body)
    packets = [
        initial(crypto(start, message[start : start + 1100]), number)
        for number, start in enumerate((0, 1100, 2200))
    ]
    reader = QuicInitialReader()
    assert reader.feed(packets[2]) is None
    assert reader.feed(packets[0]) is None
    hello = reader.feed(packets[1])
    assert isinstance(hello, ClientHello)
    assert (hello.sni, hello.alpn, hello.extensions) == ("example.com", ["alpn"], [*RFC_HELLO.extensions, 21])
    assert hello.ja4.startswith("q13d0212an_62ed6f6ca7ad_")


def test_non_initial_datagrams_are_ignored() -> None:
    reader = QuicInitialReader()
    assert reader.feed(b"") is None
    assert reader.feed(b"\x41" + bytes(40)) is None  # short header (1-RTT)
    assert reader.feed(b"\xc0\x00\x00\x00\x00" + bytes(20)) is None  # version negotiation
    assert reader.feed(b"\xf0" + RFC_V1_PACKET[1:]) is None  # Retry from a server
    assert reader.feed(RFC_V1_PACKET + b"\x00" * 40) == RFC_HELLO  # trailing zeros are padding


# --- bad input --------------------------------------------------------------------------------


def test_damaged_ciphertext_fails_authentication_and_reading_goes_on() -> None:
    damaged = bytearray(RFC_V1_PACKET)
    damaged[600] ^= 0x01
    reader = QuicInitialReader()
    assert (
        reader.feed(bytes(damaged))
        == "QUIC Initial at offset 0 (DCID 8394c8f03e515708) failed authentication"
    )
    assert not reader.done
    assert reader.feed(RFC_V1_PACKET) == RFC_HELLO


@pytest.mark.parametrize(
    ("datagram", "reason"),
    [
        (RFC_V1_PACKET[:600], "QUIC packet length 1182 at offset 16 overruns the 600-byte datagram"),
        (RFC_V1_PACKET[:6], "QUIC long header cut short at offset 0"),
        (RFC_V1_PACKET[:14], "QUIC long header cut short at offset 14"),
        (RFC_V1_PACKET[:16], "QUIC packet length missing at offset 16"),
        (
            RFC_V1_PACKET[:15] + b"\x7f\xff" + RFC_V1_PACKET[16:],
            "QUIC token length 16383 at offset 15 overruns the datagram",
        ),
        (RFC_V1_PACKET[:15], "QUIC token length missing at offset 15"),
        (RFC_V1_PACKET[:17], "QUIC packet length cut short at offset 16"),
        (
            RFC_V1_PACKET[:5] + b"\x15" + RFC_V1_PACKET[6:],
            "QUIC destination connection ID length 21 at offset 5",
        ),
        (
            RFC_V1_PACKET[:14] + b"\xff" + RFC_V1_PACKET[15:],
            "QUIC source connection ID length 255 at offset 14",
        ),
        (b"\xc0\xff\x00\x00\x1d" + RFC_V1_PACKET[5:], "QUIC version 0xff00001d not supported at offset 1"),
        (
            b"\xc0\x00\x00\x00\x01\x00\x00\x00\x10" + bytes(16),
            "QUIC Initial at offset 0 too short for a header protection sample",
        ),
    ],
)
def test_malformed_headers_say_what_and_where(datagram: bytes, reason: str) -> None:
    assert QuicInitialReader().feed(datagram) == reason


def test_crypto_frame_overrunning_its_packet() -> None:
    frames = b"\x06\x00\x41\xf4" + RFC_HELLO_MESSAGE[:40]  # claims 500 bytes
    assert QuicInitialReader().feed(initial(frames, 0)) == (
        "QUIC Initial packet number 0: CRYPTO length 500 overruns the payload at offset 4"
    )


def test_ack_frame_cut_short() -> None:
    frames = bytes(20) + b"\x02\x05\x00\x40"  # the range count's second byte is missing
    assert QuicInitialReader().feed(initial(frames, 7)) == (
        "QUIC Initial packet number 7: ACK range count cut short at offset 23"
    )


def test_frames_after_an_unexpected_frame_type_are_not_read() -> None:
    frames = crypto(0, RFC_HELLO_MESSAGE[:50]) + b"\x08\x00\x05hello" + crypto(50, RFC_HELLO_MESSAGE[50:])
    reader = QuicInitialReader()
    assert reader.feed(initial(frames, 0)) is None
    assert reader.feed(initial(crypto(50, RFC_HELLO_MESSAGE[50:]), 1)) == RFC_HELLO


def test_crypto_stream_that_is_not_a_client_hello_ends_the_reading() -> None:
    reader = QuicInitialReader()
    server_hello_like = b"\x02\x00\x00\x04" + bytes(4)
    assert reader.feed(initial(crypto(0, server_hello_like), 0)) == (
        "QUIC CRYPTO stream starts with handshake type 2, not a ClientHello"
    )
    assert reader.done
    assert reader.feed(RFC_V1_PACKET) is None


def test_client_hello_that_does_not_parse_ends_the_reading() -> None:
    reader = QuicInitialReader()
    assert reader.feed(initial(crypto(0, b"\x01\x00\x00\x05hello"), 0)) == (
        "ClientHello of 5 bytes ends before its session id"
    )
    assert reader.done


def test_oversized_client_hello_is_refused_and_far_crypto_data_ignored() -> None:
    reader = QuicInitialReader()
    assert reader.feed(initial(crypto(70_000, b"far beyond any hello"), 0)) is None
    assert reader.feed(initial(crypto(0, b"\x01\x01\x00\x00"), 1)) == (
        "QUIC ClientHello length 65536 exceeds 65532"
    )


def test_at_most_sixteen_initial_packets_are_read() -> None:
    reader = QuicInitialReader()
    for number in range(MAX_INITIAL_PACKETS):
        assert reader.feed(initial(b"\x01", number)) is None
    assert reader.feed(RFC_V1_PACKET) == "no complete ClientHello in 16 QUIC Initial packets"
    assert reader.done
    assert reader.feed(RFC_V1_PACKET) is None


def _outcome_kind(outcome: object) -> bool:
    return outcome is None or isinstance(outcome, str | ClientHello)


@given(st.lists(st.binary(max_size=1300), max_size=4))
@settings(max_examples=400)
def test_random_datagrams_never_raise(datagrams: list[bytes]) -> None:
    reader = QuicInitialReader()
    for datagram in datagrams:
        assert _outcome_kind(reader.feed(datagram))


@given(st.binary(max_size=300))
@settings(max_examples=400)
def test_random_bytes_behind_a_valid_long_header_never_raise(tail: bytes) -> None:
    assert _outcome_kind(QuicInitialReader().feed(RFC_V1_PACKET[:16] + tail))
    assert _outcome_kind(QuicInitialReader().feed(b"\xc0\x00\x00\x00\x01\x00\x00\x00" + tail))


@given(st.integers(0, len(RFC_V1_PACKET)), st.integers(0, len(RFC_V1_PACKET) - 1), st.integers(1, 255))
@settings(max_examples=300)
def test_cut_or_flipped_rfc_packet_never_raises(cut: int, position: int, flip: int) -> None:
    damaged = bytearray(RFC_V1_PACKET)
    damaged[position] ^= flip
    assert _outcome_kind(QuicInitialReader().feed(bytes(damaged[:cut])))
    assert _outcome_kind(QuicInitialReader().feed(RFC_V1_PACKET[:cut]))


@given(st.lists(st.binary(max_size=200), max_size=6))
@settings(max_examples=300)
def test_decrypted_garbage_frames_never_raise(payloads: list[bytes]) -> None:
    reader = QuicInitialReader()
    for number, frames in enumerate(payloads):
        assert _outcome_kind(reader.feed(initial(frames, number)))


@given(st.data())
@settings(max_examples=150)
def test_any_split_and_order_of_the_hello_reassembles(data: st.DataObject) -> None:
    cuts = sorted(data.draw(st.sets(st.integers(1, len(RFC_HELLO_MESSAGE) - 1), max_size=5)))
    bounds = [0, *cuts, len(RFC_HELLO_MESSAGE)]
    pieces = [crypto(start, RFC_HELLO_MESSAGE[start:stop]) for start, stop in itertools.pairwise(bounds)]
    order = data.draw(st.permutations(range(len(pieces))))
    reader = QuicInitialReader()
    outcomes = [reader.feed(initial(pieces[index], number)) for number, index in enumerate(order)]
    assert outcomes[:-1] == [None] * (len(pieces) - 1)
    assert outcomes[-1] == RFC_HELLO


# --- the suricata-verify QUIC captures --------------------------------------------------------

SURICATA_VERIFY = CORPUS / "suricata-verify" / "tests"
CHROME_JA4 = "q13d0310h3_55b375c5d22e_cd85d2d88918"  # also what suricata-verify expects for these
FIREFOX_JA4 = "q13d0314h3_55b375c5d22e_61e396c58b1f"
# Per capture, each client's (SNI, JA4) in order of completion. SNIs as tshark 4.0 shows them;
# JA4 as recomputed from tshark's dissection of the same hellos.
EXPECTED: dict[str, list[tuple[str | None, str]]] = {
    "ja4-quic": [
        ("www.blogger.com", CHROME_JA4),
        ("socpuppet.blogspot.com", CHROME_JA4),
        ("apis.google.com", CHROME_JA4),
        ("www.blogger.com", CHROME_JA4),
        ("apis.google.com", CHROME_JA4),
        ("www.google.com", CHROME_JA4),
        ("www.gstatic.com", CHROME_JA4),
        ("fonts.gstatic.com", CHROME_JA4),
        ("4.bp.blogspot.com", CHROME_JA4),
        ("1.bp.blogspot.com", CHROME_JA4),
        ("2.bp.blogspot.com", CHROME_JA4),
    ],
    "ja4-tls-quic": [("cloudflare-quic.com", CHROME_JA4)],
    "quic-ack3": [("tether.edge.apple", "q13d0111h3_ee47968ec53b_e36affaf772c")],
    "quic-alerts": [],  # Google QUIC, not IETF QUIC
    "quic-cyu": [],
    "quic-frag": [("token.services.mozilla.com", FIREFOX_JA4)],
    "quic-frag-middle-gap": [("optimizationguide-pa.googleapis.com", "q13d0313h3_55b375c5d22e_c7319ce65786")],
    "quic-frag-unordered": [("mastodon.social", "q13d0311h3_55b375c5d22e_5a1f323ef56d")],
    "quic-frag-wait": [("www.google.com", FIREFOX_JA4)],
    # msquic offers TLS 1.3 drafts in supported_versions: the highest is not a JA4 version
    "quic-ietf": [("msquic.net", "q00d0309h9_55b375c5d22e_4facdb9c99ee")],
    "quic-ietf-ja3": [("msquic.net", "q00d0309h9_55b375c5d22e_4facdb9c99ee")],
    "quic-initial-not-first": [("scontent-ams4-1.xx.fbcdn.net", "q13d0311h3_55b375c5d22e_f2a83c8e78ae")],
    "quic-retry": [("www.gravatar.com", FIREFOX_JA4)],
    "quic-retry-multiple": [("public-api.wordpress.com", FIREFOX_JA4)],
    "quic-v2": [(None, "q13i0311h3_55b375c5d22e_c183556c78e2")],
    "quic-v2-ja3": [(None, "q13i0311h3_55b375c5d22e_c183556c78e2")],
}


def _client_hellos(capture: bytes) -> list[object]:
    """What a reader per client endpoint returns, the client being whoever sent the first Initial."""
    readers: dict[tuple[bytes, int, bytes, int], QuicInitialReader] = {}
    servers: set[tuple[bytes, int, bytes, int]] = set()
    outcomes: list[object] = []
    for packet in read_capture(capture):
        frame = decode(packet.linktype, packet.data, packet.ts_ns, packet.wire_len)
        if not isinstance(frame, Frame) or frame.proto != 17:
            continue
        key = (frame.src, frame.sport, frame.dst, frame.dport)
        if key in servers:
            continue
        reader = readers.get(key)
        if reader is None:
            if not looks_like_quic_initial(frame.payload):
                continue
            reader = readers[key] = QuicInitialReader()
            servers.add((frame.dst, frame.dport, frame.src, frame.sport))
        outcome = reader.feed(frame.payload)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def test_suricata_verify_quic_captures_agree_with_tshark() -> None:
    if not SURICATA_VERIFY.is_dir():
        pytest.skip(f"suricata-verify corpus not found at {SURICATA_VERIFY}")
    started = time.monotonic()
    for name, expected in EXPECTED.items():
        outcomes = _client_hellos((SURICATA_VERIFY / name / "input.pcap").read_bytes())
        assert all(isinstance(outcome, ClientHello) for outcome in outcomes), (name, outcomes)
        found = [(hello.sni, hello.ja4) for hello in outcomes if isinstance(hello, ClientHello)]
        assert found == expected, name
    print(f"{len(EXPECTED)} captures read in {time.monotonic() - started:.2f} s")


# --- in the dissector -------------------------------------------------------------------------


def test_a_quic_connection_gives_one_tls_event_with_the_client_hello() -> None:
    from pcap_support import SECOND, T0, ether, ipv4, pcap, udp

    from collectors.traffic.session import Dissector, dissect_capture

    first = initial(b"\x01" + crypto(0, RFC_HELLO_MESSAGE[:100]) + b"\x00" * 30, 0)
    second = initial(b"\x00\x00\x01" + crypto(100, RFC_HELLO_MESSAGE[100:]) + b"\x01", 1)
    client, server = "192.0.2.10", "198.51.100.20"
    frames = [
        (T0, ether(ipv4(client, server, 17, udp(50000, 443, first)))),
        (T0 + SECOND // 100, ether(ipv4(client, server, 17, udp(50000, 443, second)))),
        (T0 + SECOND // 50, ether(ipv4(server, client, 17, udp(443, 50000, bytes(1200))))),
        (T0 + SECOND // 20, ether(ipv4(client, server, 17, udp(50000, 443, first)))),  # a resend
    ]
    dissector = Dissector()
    events = list(dissect_capture(pcap(frames), dissector=dissector))
    (tls,) = [e for e in events if e.event.dataset == "network.tls"]
    assert tls.network is not None and (tls.network.protocol, tls.network.transport) == ("quic", "udp")
    assert tls.tls is not None and tls.tls.client is not None
    assert tls.tls.client.server_name == RFC_HELLO.sni == "example.com"
    assert tls.tls.client.ja4 == RFC_HELLO.ja4 and tls.tls.client.ja4.startswith("q")
    assert tls.destination is not None and tls.destination.domain == "example.com"
    assert tls.source is not None and tls.source.ip == client
    (flow,) = [e for e in events if e.event.dataset == "network.flow"]
    assert flow.network is not None and flow.network.community_id == tls.network.community_id
    assert dissector.stats.errors == {}
