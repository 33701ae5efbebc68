"""SHA-256 and SM3 (GB/T 32905-2016) digests of files and bytes.

SM3 comes from OpenSSL through ``hashlib`` when the linked OpenSSL provides it; otherwise a
pure-Python implementation is used, so sealed partitions always carry both digests.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import Protocol

_CHUNK = 1 << 20


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600, 0xA96F30BC, 0x163138AA, 0xE38DEE4D, 0xB0FB0E4E)
_T = tuple(_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64))


class PureSM3:
    """Pure-Python SM3, used only when OpenSSL lacks it (slow, but correct)."""

    def __init__(self, data: bytes = b"") -> None:
        self._v = list(_IV)
        self._buf = b""
        self._length = 0
        self.update(data)

    def update(self, data: bytes, /) -> None:
        self._length += len(data)
        buf = self._buf + data
        full = len(buf) - len(buf) % 64
        for off in range(0, full, 64):
            self._compress(buf[off : off + 64])
        self._buf = buf[full:]

    def _compress(self, block: bytes) -> None:
        w = list(struct.unpack(">16I", block))
        for j in range(16, 68):
            x = w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)
            p1 = x ^ _rotl(x, 15) ^ _rotl(x, 23)
            w.append(p1 ^ _rotl(w[j - 13], 7) ^ w[j - 6])
        w1 = [w[j] ^ w[j + 4] for j in range(64)]
        a, b, c, d, e, f, g, h = self._v
        for j in range(64):
            a12 = _rotl(a, 12)
            ss1 = _rotl((a12 + e + _T[j]) & 0xFFFFFFFF, 7)
            ss2 = ss1 ^ a12
            if j < 16:
                ff = a ^ b ^ c
                gg = e ^ f ^ g
            else:
                ff = (a & b) | (a & c) | (b & c)
                gg = (e & f) | (~e & g)
            tt1 = (ff + d + ss2 + w1[j]) & 0xFFFFFFFF
            tt2 = (gg + h + ss1 + w[j]) & 0xFFFFFFFF
            d, c, b, a = c, _rotl(b, 9), a, tt1
            h, g, f = g, _rotl(f, 19), e
            e = tt2 ^ _rotl(tt2, 9) ^ _rotl(tt2, 17)
        self._v = [x ^ y for x, y in zip(self._v, (a, b, c, d, e, f, g, h), strict=True)]

    def hexdigest(self) -> str:
        """Digest of everything fed so far (the object stays usable)."""
        saved = (list(self._v), self._buf, self._length)
        bits = self._length * 8
        pad = b"\x80" + b"\x00" * ((55 - self._length) % 64) + struct.pack(">Q", bits)
        self.update(pad)
        out = "".join(f"{x:08x}" for x in self._v)
        self._v, self._buf, self._length = saved
        return out


def _openssl_sm3() -> bool:
    try:
        hashlib.new("sm3")
    except ValueError:
        return False
    return True


HAVE_OPENSSL_SM3 = _openssl_sm3()


def new_sm3() -> _Hasher:
    """A fresh SM3 hasher (OpenSSL when available)."""
    if HAVE_OPENSSL_SM3:
        return hashlib.new("sm3")
    return PureSM3()


def sm3_hex(data: bytes) -> str:
    """SM3 hex digest of ``data``."""
    h = new_sm3()
    h.update(data)
    return h.hexdigest()


def sha256_hex(data: bytes) -> str:
    """SHA-256 hex digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def file_digests(path: str | Path) -> tuple[str, str]:
    """(SHA-256, SM3) hex digests of a file, read once in 1 MiB chunks."""
    sha = hashlib.sha256()
    sm3 = new_sm3()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            sha.update(chunk)
            sm3.update(chunk)
    return sha.hexdigest(), sm3.hexdigest()
