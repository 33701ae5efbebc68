"""QUIC client Initial packets → the TLS ClientHello they carry (RFC 9000, RFC 9001, RFC 9369).

Initial packets are encrypted, but with keys derived from the Destination Connection ID the
packet itself shows (RFC 9001 §5.2), so an observer can read them. :class:`QuicInitialReader`
takes the client's datagrams of one connection, removes header protection, decrypts each
Initial packet with AES-128-GCM, gathers the CRYPTO frames by stream offset across packets and
datagrams, and parses the ClientHello once all its bytes are there (JA4 with the QUIC letter
"q"). Versions 1 and 2 are read; 0-RTT and Handshake packets coalesced in a datagram are
skipped. Keys are derived from each packet's own DCID, so the new DCID a client uses after a
Retry works without being told.
"""

from __future__ import annotations

import hmac
import re
import struct
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from collectors.traffic.tls import ClientHello, parse_client_hello_message

__all__ = [
    "MAX_CRYPTO_BYTES",
    "MAX_INITIAL_PACKETS",
    "QUIC_V1",
    "QUIC_V2",
    "InitialKeys",
    "QuicInitialReader",
    "client_initial_keys",
    "looks_like_quic_initial",
]

QUIC_V1 = 0x00000001
QUIC_V2 = 0x6B3343CF

_U32 = struct.Struct("!I")
_LONG_HEADER = 0xC0  # header form and fixed bit
_TYPE_BITS = 0x30
_MAX_CID = 20  # RFC 9000 §17.2: versions 1 and 2 limit connection IDs to 20 bytes
_SAMPLE_OFFSET = 4  # the sample starts 4 bytes after the packet number field (RFC 9001 §5.4.2)
_SAMPLE_LENGTH = 16

# A ClientHello is a few KiB even with post-quantum key shares; beyond these the sender is not
# a browser and keeping state would only cost memory.
MAX_CRYPTO_BYTES = 65_536
MAX_INITIAL_PACKETS = 16
_MAX_CACHED_KEYS = 4  # original DCID plus the DCIDs of a few Retries

_FRAME_PADDING = 0x00
_FRAME_PING = 0x01
_FRAME_ACK = 0x02
_FRAME_ACK_ECN = 0x03
_FRAME_CRYPTO = 0x06
_HANDSHAKE_CLIENT_HELLO = 1
_NOT_PADDING = re.compile(b"[^\x00]")


@dataclass(frozen=True, slots=True)
class _Version:
    salt: bytes
    key_label: bytes
    iv_label: bytes
    hp_label: bytes
    initial: int  # type bits of an Initial packet
    retry: int


_VERSIONS = {
    QUIC_V1: _Version(
        salt=bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),
        key_label=b"quic key",
        iv_label=b"quic iv",
        hp_label=b"quic hp",
        initial=0x00,
        retry=0x30,
    ),
    QUIC_V2: _Version(  # RFC 9369 §3.2, §3.3
        salt=bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9"),
        key_label=b"quicv2 key",
        iv_label=b"quicv2 iv",
        hp_label=b"quicv2 hp",
        initial=0x10,
        retry=0x00,
    ),
}


class InitialKeys(NamedTuple):
    """AES-128-GCM key, IV and header protection key of the client's Initial packets."""

    key: bytes
    iv: bytes
    hp: bytes


class _Malformed(Exception):
    """Bytes that cannot be what they should; the message says what and where."""


class _PacketKeys:
    """Ready-made ciphers for one DCID: building them costs more than using them."""

    __slots__ = ("aead", "iv", "mask")

    def __init__(self, keys: InitialKeys) -> None:
        self.aead = AESGCM(keys.key)
        self.iv = int.from_bytes(keys.iv, "big")
        # ECB of one block is the header protection mask; the encryptor keeps no state between blocks.
        self.mask: CipherContext = Cipher(algorithms.AES(keys.hp), modes.ECB()).encryptor()


def looks_like_quic_initial(payload: bytes | memoryview) -> bool:
    """Whether a UDP payload starts with a QUIC version 1 or 2 Initial packet header."""
    if len(payload) < 7:
        return False
    first = payload[0]
    if first & _LONG_HEADER != _LONG_HEADER:
        return False
    version = _U32.unpack_from(payload, 1)[0]
    if version == QUIC_V1:
        return first & _TYPE_BITS == 0x00
    return version == QUIC_V2 and first & _TYPE_BITS == 0x10


def client_initial_keys(dcid: bytes, version: int = QUIC_V1) -> InitialKeys | None:
    """The client's Initial keys for a Destination Connection ID; None for other versions."""
    spec = _VERSIONS.get(version)
    if spec is None:
        return None
    initial_secret = hmac.digest(spec.salt, dcid, "sha256")  # HKDF-Extract
    client_secret = _expand_label(initial_secret, b"client in", 32)
    return InitialKeys(
        key=_expand_label(client_secret, spec.key_label, 16),
        iv=_expand_label(client_secret, spec.iv_label, 12),
        hp=_expand_label(client_secret, spec.hp_label, 16),
    )


def _expand_label(secret: bytes, label: bytes, length: int) -> bytes:
    """HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1), empty context, up to one SHA-256 block."""
    full_label = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes((len(full_label),)) + full_label + b"\x00"
    return hmac.digest(secret, info + b"\x01", "sha256")[:length]


class QuicInitialReader:
    """The ClientHello of one QUIC connection, from the datagrams its client sends.

    ``feed`` returns None while the hello is incomplete (or the datagram holds no Initial
    packet), the :class:`~collectors.traffic.tls.ClientHello` once complete, and a string when
    the datagram could not be read (what and where). A damaged datagram does not end the
    reading, since a later one may still complete the hello; ``done`` turns true once a hello
    or a final reason was returned (the hello did not parse, or no hello within
    ``MAX_INITIAL_PACKETS`` Initial packets), and from then on ``feed`` returns None.
    """

    __slots__ = ("_crypto", "_keys", "_largest_pn", "_packets", "_ranges", "_result", "done")

    def __init__(self) -> None:
        self._keys: dict[tuple[int, bytes], _PacketKeys] = {}
        self._crypto = bytearray()
        self._ranges: list[tuple[int, int]] = []  # received CRYPTO byte ranges, sorted, disjoint
        self._largest_pn = -1
        self._packets = 0
        self._result: ClientHello | str = ""
        self.done = False

    def feed(self, datagram: bytes | memoryview) -> ClientHello | str | None:
        """Read the Initial packets of one client datagram."""
        if self.done:
            return None
        data = bytes(datagram)
        size = len(data)
        pos = 0
        while pos < size:
            try:
                next_pos = self._packet(data, pos)
            except _Malformed as exc:
                return str(exc)  # what follows a damaged packet cannot be located
            if self.done:
                return self._finish()
            if next_pos is None:
                break
            pos = next_pos
        return None

    def _finish(self) -> ClientHello | str:
        """The outcome once the reader is done; frees the reassembly buffer."""
        result = self._result
        self._crypto = bytearray()
        self._ranges = []
        return result

    def _packet(self, data: bytes, pos: int) -> int | None:
        """Decrypt the packet at ``pos`` if it is an Initial; the offset after it, or None to stop."""
        size = len(data)
        first = data[pos]
        if first & _LONG_HEADER != _LONG_HEADER:
            return None  # short header or trailing padding: the rest of the datagram is not ours
        if pos + 7 > size:
            raise _Malformed(f"QUIC long header cut short at offset {pos}")
        version = _U32.unpack_from(data, pos + 1)[0]
        spec = _VERSIONS.get(version)
        if spec is None:
            if version == 0:
                return None  # version negotiation comes from servers
            raise _Malformed(f"QUIC version 0x{version:08x} not supported at offset {pos + 1}")
        packet_type = first & _TYPE_BITS
        if packet_type == spec.retry:
            return None  # only servers send Retry, and it runs to the end of the datagram
        dcid_length = data[pos + 5]
        if dcid_length > _MAX_CID:
            raise _Malformed(f"QUIC destination connection ID length {dcid_length} at offset {pos + 5}")
        cursor = pos + 6 + dcid_length
        if cursor >= size:
            raise _Malformed(f"QUIC long header cut short at offset {cursor}")
        dcid = data[pos + 6 : cursor]
        scid_length = data[cursor]
        if scid_length > _MAX_CID:
            raise _Malformed(f"QUIC source connection ID length {scid_length} at offset {cursor}")
        cursor += 1 + scid_length
        if packet_type == spec.initial:
            token_length, token_start = _varint(data, cursor, "QUIC token length")
            if token_start + token_length > size:
                raise _Malformed(f"QUIC token length {token_length} at offset {cursor} overruns the datagram")
            cursor = token_start + token_length
        length, pn_offset = _varint(data, cursor, "QUIC packet length")
        end = pn_offset + length
        if end > size:
            raise _Malformed(
                f"QUIC packet length {length} at offset {cursor} overruns the {size}-byte datagram"
            )
        if packet_type == spec.initial:
            self._initial(data, pos, pn_offset, end, version, dcid)
        return end

    def _initial(self, data: bytes, pos: int, pn_offset: int, end: int, version: int, dcid: bytes) -> None:
        """Remove the protection of the Initial packet ``data[pos:end]`` and take its frames."""
        self._packets += 1
        if self._packets > MAX_INITIAL_PACKETS:
            self._conclude(f"no complete ClientHello in {MAX_INITIAL_PACKETS} QUIC Initial packets")
            return
        sample_start = pn_offset + _SAMPLE_OFFSET
        if sample_start + _SAMPLE_LENGTH > end:
            raise _Malformed(f"QUIC Initial at offset {pos} too short for a header protection sample")
        keys = self._keys_for(version, dcid)
        mask = keys.mask.update(data[sample_start : sample_start + _SAMPLE_LENGTH])
        first = data[pos] ^ (mask[0] & 0x0F)
        pn_length = (first & 0x03) + 1
        payload_start = pn_offset + pn_length  # the sample check above leaves room for the tag
        truncated = int.from_bytes(data[pn_offset:payload_start], "big") ^ int.from_bytes(
            mask[1 : 1 + pn_length], "big"
        )
        header = bytearray(data[pos:payload_start])
        header[0] = first
        header[pn_offset - pos :] = truncated.to_bytes(pn_length, "big")
        packet_number = _packet_number(truncated, pn_length, self._largest_pn)
        nonce = (keys.iv ^ packet_number).to_bytes(12, "big")
        try:
            payload = keys.aead.decrypt(nonce, data[payload_start:end], bytes(header))
        except InvalidTag:
            # Wrong direction (a server Initial), damage, or a sender not following RFC 9001.
            raise _Malformed(
                f"QUIC Initial at offset {pos} (DCID {dcid.hex()}) failed authentication"
            ) from None
        self._largest_pn = max(self._largest_pn, packet_number)
        self._frames(payload, packet_number)
        self._check_hello()

    def _keys_for(self, version: int, dcid: bytes) -> _PacketKeys:
        cache_key = (version, dcid)
        keys = self._keys.get(cache_key)
        if keys is None:
            derived = client_initial_keys(dcid, version)
            assert derived is not None  # the caller only passes versions of _VERSIONS
            keys = _PacketKeys(derived)
            if len(self._keys) < _MAX_CACHED_KEYS:
                self._keys[cache_key] = keys
        return keys

    def _frames(self, payload: bytes, packet_number: int) -> None:
        """Take the CRYPTO frames of a decrypted Initial payload."""
        size = len(payload)
        pos = 0
        try:
            while pos < size:
                frame_type = payload[pos]
                if frame_type == _FRAME_PADDING:
                    found = _NOT_PADDING.search(payload, pos)
                    if found is None:
                        return
                    pos = found.start()
                elif frame_type == _FRAME_PING:
                    pos += 1
                elif frame_type in (_FRAME_ACK, _FRAME_ACK_ECN):
                    pos = _skip_ack(payload, pos + 1, frame_type == _FRAME_ACK_ECN)
                elif frame_type == _FRAME_CRYPTO:
                    offset, pos = _varint(payload, pos + 1, "CRYPTO offset")
                    length, pos = _varint(payload, pos, "CRYPTO length")
                    if pos + length > size:
                        raise _Malformed(f"CRYPTO length {length} overruns the payload at offset {pos}")
                    self._add_crypto(offset, payload[pos : pos + length])
                    pos += length
                else:
                    return  # CONNECTION_CLOSE, or a frame Initial packets may not carry
        except _Malformed as exc:
            raise _Malformed(f"QUIC Initial packet number {packet_number}: {exc}") from None

    def _add_crypto(self, offset: int, chunk: bytes) -> None:
        end = min(offset + len(chunk), MAX_CRYPTO_BYTES)
        if end <= offset:
            return
        if len(self._crypto) < end:
            self._crypto.extend(bytes(end - len(self._crypto)))
        self._crypto[offset:end] = chunk[: end - offset]
        ranges = sorted([*self._ranges, (offset, end)])
        merged = [ranges[0]]
        for start, stop in ranges[1:]:
            last_start, last_stop = merged[-1]
            if start <= last_stop:
                merged[-1] = (last_start, max(last_stop, stop))
            else:
                merged.append((start, stop))
        self._ranges = merged

    def _check_hello(self) -> None:
        """Parse the ClientHello once the CRYPTO stream holds all of it."""
        if not self._ranges or self._ranges[0][0] != 0:
            return
        contiguous = self._ranges[0][1]
        crypto = self._crypto
        if contiguous < 4:
            return
        if crypto[0] != _HANDSHAKE_CLIENT_HELLO:
            self._conclude(f"QUIC CRYPTO stream starts with handshake type {crypto[0]}, not a ClientHello")
            return
        message_end = 4 + int.from_bytes(crypto[1:4], "big")
        if message_end > MAX_CRYPTO_BYTES:
            self._conclude(f"QUIC ClientHello length {message_end - 4} exceeds {MAX_CRYPTO_BYTES - 4}")
        elif contiguous >= message_end:
            self._conclude(parse_client_hello_message(bytes(crypto[:message_end]), transport="q"))

    def _conclude(self, result: ClientHello | str) -> None:
        self._result = result
        self.done = True


def _varint(data: bytes, pos: int, what: str) -> tuple[int, int]:
    """A QUIC variable-length integer (RFC 9000 §16) and the offset after it."""
    if pos >= len(data):
        raise _Malformed(f"{what} missing at offset {pos}")
    first = data[pos]
    size = 1 << (first >> 6)
    if pos + size > len(data):
        raise _Malformed(f"{what} cut short at offset {pos}")
    value = first & 0x3F
    for index in range(pos + 1, pos + size):
        value = (value << 8) | data[index]
    return value, pos + size


def _skip_ack(payload: bytes, pos: int, with_ecn: bool) -> int:
    """The offset after an ACK frame whose type byte ended at ``pos``."""
    _, pos = _varint(payload, pos, "ACK largest acknowledged")
    _, pos = _varint(payload, pos, "ACK delay")
    range_count, pos = _varint(payload, pos, "ACK range count")
    _, pos = _varint(payload, pos, "ACK first range")
    if range_count > len(payload):
        raise _Malformed(f"ACK range count {range_count} exceeds the payload at offset {pos}")
    for _ in range(range_count):
        _, pos = _varint(payload, pos, "ACK gap")
        _, pos = _varint(payload, pos, "ACK range length")
    if with_ecn:
        for _ in range(3):
            _, pos = _varint(payload, pos, "ACK ECN count")
    return pos


def _packet_number(truncated: int, length: int, largest: int) -> int:
    """The full packet number closest to the next expected one (RFC 9000 Appendix A.3)."""
    expected = largest + 1
    window = 1 << (8 * length)
    half = window // 2
    candidate = (expected & ~(window - 1)) | truncated
    if candidate <= expected - half and candidate < (1 << 62) - window:
        return candidate + window
    if candidate > expected + half and candidate >= window:
        return candidate - window
    return candidate
