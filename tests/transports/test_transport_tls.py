"""Syslog over TLS (RFC 5425) with a throw-away CA generated per test module."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from pathlib import Path

import pytest
from pki_support import Pki, build_pki, client_context
from transport_support import take

from collectors.intake import IntakeQueue, IntakeStats
from collectors.transports.syslog import SyslogTlsServer, build_tls_context
from soc_core.config import TlsListener
from soc_core.errors import ConfigError
from soc_core.records import RawRecord

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return build_pki(tmp_path_factory.mktemp("pki"))


async def eventually_errors(stats: IntakeStats, n: int, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while stats.totals()["errors"] < n:
        if loop.time() > deadline:
            raise AssertionError(f"expected {n} errors, have {stats.totals()['errors']}")
        await asyncio.sleep(0.01)


async def send_tls(port: int, ctx: ssl.SSLContext, payload: bytes) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="127.0.0.1")
    writer.write(payload)
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def rejected(port: int, ctx: ssl.SSLContext) -> bool:
    """True if the server refuses this client (at handshake or on first exchange)."""
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=ctx, server_hostname="127.0.0.1"
        )
    except (ssl.SSLError, ConnectionError, OSError):
        return True
    try:
        # TLS 1.3: the client finishes first; the server's verdict arrives as an alert.
        writer.write(b"<13>should not be accepted\n")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(1), 5)
        return data == b""
    except (ssl.SSLError, ConnectionError, OSError):
        return True
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def octet(msg: bytes) -> bytes:
    return b"%d %s" % (len(msg), msg)


def test_tls_octet_counted_and_lf_records(pki: Pki) -> None:
    async def main() -> None:
        queue, stats = IntakeQueue(1000), IntakeStats()
        settings = TlsListener(
            enabled=True, host="127.0.0.1", port=0, certfile=pki.server_cert, keyfile=pki.server_key
        )
        server = SyslogTlsServer(settings, queue, stats)
        await server.start()
        try:
            payload = octet(b"<34>1 2024-05-01T00:00:00Z fw su - ID47 - multi\nline") + b"<34>lf framed\n"
            await send_tls(server.port, client_context(pki), payload)
            records = await take(queue, 2)
            assert [r.data for r in records] == [
                b"<34>1 2024-05-01T00:00:00Z fw su - ID47 - multi\nline",
                b"<34>lf framed",
            ]
            assert all(r.origin == "syslog/tls" for r in records)
            assert records[0].peer is not None and records[0].peer.startswith("127.0.0.1:")
            assert [r.offset for r in records] == [0, 1]
            (peer,) = stats.snapshot()
            assert (peer.transport, peer.connections, peer.records, peer.errors) == ("syslog/tls", 1, 2, 0)
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 40))


def test_tls_required_client_certificate(pki: Pki) -> None:
    async def main() -> None:
        queue, stats = IntakeQueue(1000), IntakeStats()
        settings = TlsListener(
            enabled=True,
            host="127.0.0.1",
            port=0,
            certfile=pki.server_cert,
            keyfile=pki.server_key,
            client_ca=pki.ca,
            require_client_cert=True,
        )
        server = SyslogTlsServer(settings, queue, stats, handshake_timeout=5)
        await server.start()
        try:
            # No certificate: rejected, counted, nothing queued.
            assert await rejected(server.port, client_context(pki))
            await eventually_errors(stats, 1)
            # Certificate from another CA: rejected too.
            assert await rejected(server.port, client_context(pki, pki.rogue_cert, pki.rogue_key))
            await eventually_errors(stats, 2)
            # Not TLS at all: handshake fails, counted, server unharmed.
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"<13>plain text on the TLS port\n")
            await writer.drain()
            writer.close()
            await eventually_errors(stats, 3)
            assert len(queue) == 0
            # A proper client still gets through.
            good = client_context(pki, pki.client_cert, pki.client_key)
            await send_tls(server.port, good, octet(b"<13>authenticated"))
            (record,) = await take(queue, 1)
            assert record.data == b"<13>authenticated"
            assert record.peer is not None and record.peer.startswith("127.0.0.1:")  # no CN in peer
            totals = stats.totals()
            assert totals["errors"] == 3 and totals["received"] == 1
            (peer,) = stats.snapshot()
            assert peer.connections == 1  # only the successful handshake counts as a connection
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 40))


def test_tls_optional_client_certificate(pki: Pki) -> None:
    async def main() -> None:
        queue, stats = IntakeQueue(1000), IntakeStats()
        settings = TlsListener(
            enabled=True,
            host="127.0.0.1",
            port=0,
            certfile=pki.server_cert,
            keyfile=pki.server_key,
            client_ca=pki.ca,
        )
        server = SyslogTlsServer(settings, queue, stats)
        await server.start()
        try:
            await send_tls(server.port, client_context(pki), b"<13>anonymous\n")
            await send_tls(server.port, client_context(pki, pki.client_cert, pki.client_key), b"<13>known\n")
            records = await take(queue, 2)
            assert sorted(r.data for r in records) == [b"<13>anonymous", b"<13>known"]
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 40))


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
def test_tls_refuses_old_protocol_versions(pki: Pki) -> None:
    settings = TlsListener(certfile=pki.server_cert, keyfile=pki.server_key)
    ctx = build_tls_context(settings)
    assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert ctx.verify_mode == ssl.CERT_NONE

    async def main() -> None:
        queue, stats = IntakeQueue(10), IntakeStats()
        server = SyslogTlsServer(settings.model_copy(update={"host": "127.0.0.1", "port": 0}), queue, stats)
        await server.start()
        try:
            old = client_context(pki)
            old.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            old.maximum_version = ssl.TLSVersion.TLSv1_1
            with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
                await send_tls(server.port, old, b"<13>tls 1.1\n")
            await eventually_errors(stats, 1)
            assert len(queue) == 0
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 40))


def test_tls_settings_errors(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        build_tls_context(TlsListener())
    with pytest.raises(ConfigError):
        build_tls_context(
            TlsListener(certfile=pki.server_cert, keyfile=pki.server_key, require_client_cert=True)
        )
    with pytest.raises(ConfigError):
        build_tls_context(TlsListener(certfile=tmp_path / "missing.pem", keyfile=pki.server_key))
    required = build_tls_context(
        TlsListener(
            certfile=pki.server_cert, keyfile=pki.server_key, client_ca=pki.ca, require_client_cert=True
        )
    )
    assert required.verify_mode == ssl.CERT_REQUIRED


def test_tls_backpressure_loses_nothing(pki: Pki) -> None:
    bound, total = 20, 60_000  # ~12 MB through TLS with a 20-record queue

    async def main() -> None:
        queue, stats = IntakeQueue(bound), IntakeStats()
        settings = TlsListener(host="127.0.0.1", port=0, certfile=pki.server_cert, keyfile=pki.server_key)
        server = SyslogTlsServer(settings, queue, stats)
        await server.start()
        try:
            payload = b"".join(
                octet(b"<13>1 - host app - - - message %d " % i + b"z" * 150) for i in range(total)
            )
            sender = asyncio.create_task(send_tls(server.port, client_context(pki), payload))
            got: list[RawRecord] = []
            peak = 0
            await asyncio.sleep(0.3)  # nobody consumes yet: the sender must be held back
            assert not sender.done()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 40
            while len(got) < total and loop.time() < deadline:
                peak = max(peak, len(queue))
                got += await queue.get_batch(11, timeout=1.0)
            await asyncio.wait_for(sender, 10)
            assert peak <= bound
            assert [r.offset for r in got] == list(range(total))
            assert got[-1].data.startswith(b"<13>1 - host app - - - message %d " % (total - 1))
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 50))
