"""Syslog over TLS (RFC 5425) with a throw-away CA generated per test module."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

import pytest

from collectors.intake import IntakeQueue, IntakeStats
from collectors.transports.syslog import SyslogTlsServer, build_tls_context
from soc_core.config import TlsListener
from soc_core.errors import ConfigError
from soc_core.records import RawRecord

pytest.importorskip("cryptography")
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from transport_support import take

pytestmark = pytest.mark.timeout(60)


@dataclass
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    rogue_cert: Path  # signed by another CA
    rogue_key: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def _issue(
    cn: str,
    issuer_key: ec.EllipticCurvePrivateKey | None,
    issuer: x509.Name | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer or _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if issuer_key is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
            )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return cert, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca_cert, ca_key = _issue("Shaowang test CA", None, None, ca=True)
    rogue_ca, rogue_ca_key = _issue("Rogue CA", None, None, ca=True)
    server_cert, server_key = _issue("127.0.0.1", ca_key, ca_cert.subject, server=True)
    client_cert, client_key = _issue("fw-01.example", ca_key, ca_cert.subject)
    rogue_cert, rogue_key = _issue("intruder", rogue_ca_key, rogue_ca.subject)
    paths = Pki(
        ca=d / "ca.pem",
        server_cert=d / "server.pem",
        server_key=d / "server.key",
        client_cert=d / "client.pem",
        client_key=d / "client.key",
        rogue_cert=d / "rogue.pem",
        rogue_key=d / "rogue.key",
    )
    paths.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for cert, key, cpath, kpath in (
        (server_cert, server_key, paths.server_cert, paths.server_key),
        (client_cert, client_key, paths.client_cert, paths.client_key),
        (rogue_cert, rogue_key, paths.rogue_cert, paths.rogue_key),
    ):
        cpath.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, kpath)
    return paths


def client_context(pki: Pki, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    if cert is not None:
        ctx.load_cert_chain(str(cert), str(key))
    return ctx




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
