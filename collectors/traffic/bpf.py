"""Classic BPF: tcpdump filter expressions compiled by the machine's libpcap, attached to sockets.

libpcap is loaded through ctypes (Debian's ``libpcap0.8``): the expression language is
libpcap's own, so a filter means exactly what it means to tcpdump, dumpcap and Suricata.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import socket
import threading
from collections.abc import Sequence

from soc_core.errors import ShaowangError

__all__ = ["BPF_MAXINSNS", "CaptureError", "Instruction", "attach_filter", "compile_bpf"]

Instruction = tuple[int, int, int, int]  # (code, jt, jf, k) as in struct sock_filter

SO_ATTACH_FILTER = 26  # <asm-generic/socket.h>; the socket module does not export it
BPF_MAXINSNS = 4096  # the kernel refuses longer classic programs
PCAP_NETMASK_UNKNOWN = 0xFFFFFFFF  # only "ip broadcast" needs a netmask; it then fails clearly
_FALLBACK_NAMES = ("libpcap.so.0.8", "libpcap.so.1", "libpcap.so")
# pcap_open_dead takes a DLT_ value: the same number as the file's LINKTYPE_ except for raw IP
_LINKTYPE_TO_DLT = {101: 12}


class CaptureError(ShaowangError):
    """A capture could not be opened, filtered or read; ``where`` names the interface or filter."""


class _Insn(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    )


class _BpfProgram(ctypes.Structure):
    """libpcap's ``struct bpf_program``."""

    _fields_ = (("bf_len", ctypes.c_uint), ("bf_insns", ctypes.POINTER(_Insn)))


class _SockFprog(ctypes.Structure):
    """The kernel's ``struct sock_fprog``."""

    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Insn)))


_load_lock = threading.Lock()
# libpcap before 1.8 kept the parser's state in globals; a lock costs nothing at this rate
_compile_lock = threading.Lock()
_libpcap: ctypes.CDLL | None = None


def load_libpcap(names: Sequence[str | None]) -> ctypes.CDLL:
    """The first of ``names`` that loads, with the prototypes we call declared."""
    tried: list[str] = []
    for name in names:
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            tried.append(f"{name}: {exc}")
            continue
        lib.pcap_open_dead.argtypes = (ctypes.c_int, ctypes.c_int)
        lib.pcap_open_dead.restype = ctypes.c_void_p
        lib.pcap_compile.argtypes = (
            ctypes.c_void_p,
            ctypes.POINTER(_BpfProgram),
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_uint32,
        )
        lib.pcap_compile.restype = ctypes.c_int
        lib.pcap_geterr.argtypes = (ctypes.c_void_p,)
        lib.pcap_geterr.restype = ctypes.c_char_p
        lib.pcap_freecode.argtypes = (ctypes.POINTER(_BpfProgram),)
        lib.pcap_freecode.restype = None
        lib.pcap_close.argtypes = (ctypes.c_void_p,)
        lib.pcap_close.restype = None
        return lib
    raise CaptureError(
        "libpcap is needed to compile capture filters; install the libpcap0.8 package"
        + (f" (tried {'; '.join(tried)})" if tried else ""),
        where="libpcap",
    )


def _library() -> ctypes.CDLL:
    global _libpcap
    with _load_lock:
        if _libpcap is None:
            _libpcap = load_libpcap((ctypes.util.find_library("pcap"), *_FALLBACK_NAMES))
        return _libpcap


def compile_bpf(expression: str, *, linktype: int = 1, snaplen: int = 262144) -> list[Instruction]:
    """A tcpdump filter expression → optimised classic BPF for frames of ``linktype``; accepted
    frames are cut to ``snaplen`` by the program's return value."""
    where = f"filter {expression!r}"
    if "\x00" in expression:
        raise CaptureError("bad capture filter: it holds a NUL character", where=where)
    lib = _library()
    with _compile_lock:
        handle = lib.pcap_open_dead(_LINKTYPE_TO_DLT.get(linktype, linktype), snaplen)
        if not handle:
            raise CaptureError(f"libpcap cannot open a handle for link type {linktype}", where=where)
        try:
            program = _BpfProgram()
            status = lib.pcap_compile(
                handle, ctypes.byref(program), expression.encode("utf-8"), 1, PCAP_NETMASK_UNKNOWN
            )
            if status != 0:
                message = (lib.pcap_geterr(handle) or b"unknown error").decode("utf-8", "replace")
                raise CaptureError(f"bad capture filter: {message}", where=where)
            try:
                return [(i.code, i.jt, i.jf, i.k) for i in program.bf_insns[: program.bf_len]]
            finally:
                lib.pcap_freecode(ctypes.byref(program))
        finally:
            lib.pcap_close(handle)


def attach_filter(sock: socket.socket, instructions: Sequence[Instruction]) -> None:
    """Make the kernel run ``instructions`` on every frame before ``sock`` queues it."""
    count = len(instructions)
    if not 0 < count <= BPF_MAXINSNS:
        raise CaptureError(
            f"a BPF program needs 1 to {BPF_MAXINSNS} instructions, this one has {count}", where="bpf"
        )
    array = (_Insn * count)(*(_Insn(code, jt, jf, k) for code, jt, jf, k in instructions))
    program = _SockFprog(count, ctypes.cast(array, ctypes.POINTER(_Insn)))
    try:
        # bytes(program) carries the array's address: ``array`` must outlive this call, in which
        # the kernel copies the instructions
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(program))
    except OSError as exc:
        raise CaptureError(
            f"the kernel refused the BPF filter ({count} instructions): {exc.strerror or exc}", where="bpf"
        ) from exc
    finally:
        del array
