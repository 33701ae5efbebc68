"""The event bus between ``soc collector`` and ``soc worker``: NATS JetStream.

One stream holds parsed events, one subject per partition (``<prefix>.events.<p>``). A
collector sends each event to the partition of its first ``scaleout.partition_fields`` value
(``source.ip`` by default), so every event of one attacker reaches the same worker and the
correlation windows keyed on it stay whole. A message is a batch of events as NDJSON of the
ECS model; its ``Nats-Msg-Id`` is derived from the event ids, so a collector that re-sends
after a lost acknowledgement is stored once by JetStream's duplicate window.

Workers own partitions through leases in a JetStream key-value bucket (a lease is a key with
the bucket's TTL, renewed by compare-and-set); each partition has one durable pull consumer.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
import nats
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    KeyValueConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue

from soc_core.config import ScaleoutSettings
from soc_core.errors import ConfigError
from soc_core.events import Event
from soc_core.storage.embedded import encode_batch

log = logging.getLogger("shaowang.bus")
_events_decoder = msgspec.json.Decoder(Event)

#: The bus keeps events this long when no worker takes them (a worker outage of a day loses nothing).
STREAM_MAX_AGE_S = 7 * 86_400
#: JetStream drops a message whose Nats-Msg-Id it saw this recently (collector re-sends).
DUPLICATE_WINDOW_S = 120


def subject_prefix(settings: ScaleoutSettings) -> str:
    """``shaowang`` for the default stream ``SHAOWANG``."""
    return settings.stream.lower()


def subject(settings: ScaleoutSettings, partition: int) -> str:
    """The subject of one partition."""
    return f"{subject_prefix(settings)}.events.{partition}"


def durable_name(partition: int) -> str:
    """The durable consumer of one partition."""
    return f"partition-{partition}"


def partition_of(event: Event, *, fields: Sequence[str], partitions: int) -> int:
    """The partition of ``event``: by its first ``fields`` value, else by its id.

    CRC-32 of the value: stable across processes and Python versions (``hash()`` is salted).
    """
    for name in fields:
        value = event.get(name)
        if value is not None and value != "":
            return zlib.crc32(str(value).encode()) % partitions
    return zlib.crc32((event.event.id or "").encode()) % partitions


def decode_events(payload: bytes) -> list[Event]:
    """The events of a bus message."""
    return _events_decoder.decode_lines(payload)


def message_id(events: Sequence[Event]) -> str:
    """The same events give the same id: JetStream keeps a re-sent message once."""
    digest = hashlib.blake2b(digest_size=16)
    for event in events:
        digest.update((event.event.id or "").encode())
        digest.update(b"\n")
    return digest.hexdigest()


#: How long a collector or worker waits at start for a NATS server to answer.
CONNECT_WAIT_S = 30.0


async def _log_error(exc: Exception) -> None:
    log.warning("NATS: %s", exc or type(exc).__name__)


async def _log_disconnected() -> None:
    log.warning("NATS: disconnected; reconnecting")


async def _log_reconnected() -> None:
    log.info("NATS: reconnected")


@dataclass(slots=True)
class Bus:
    """A connection to the bus, with the stream and the lease bucket in place."""

    settings: ScaleoutSettings
    client: NatsClient
    js: JetStreamContext
    leases: KeyValue

    @classmethod
    async def connect(cls, settings: ScaleoutSettings, *, name: str, wait_s: float = CONNECT_WAIT_S) -> Bus:
        """Connect (waiting up to ``wait_s`` for a server) and make sure the stream and the
        lease bucket exist. Once connected, the client reconnects on its own, without limit."""
        servers = [url.strip() for url in settings.nats_url.split(",") if url.strip()]
        try:
            client = await asyncio.wait_for(
                nats.connect(
                    servers=servers,
                    name=name,
                    connect_timeout=5,
                    max_reconnect_attempts=-1,
                    allow_reconnect=True,
                    error_cb=_log_error,
                    disconnected_cb=_log_disconnected,
                    reconnected_cb=_log_reconnected,
                ),
                timeout=wait_s,
            )
        except TimeoutError:
            raise ConfigError(
                f"no NATS server answered at {', '.join(servers)} within {wait_s:.0f} s",
                where="scaleout.nats_url",
            ) from None
        except Exception as exc:  # nats raises several unrelated types for "cannot connect"
            raise ConfigError(
                f"cannot reach NATS: {exc or type(exc).__name__}", where="scaleout.nats_url"
            ) from exc
        js = client.jetstream()
        await _ensure_stream(js, settings)
        leases = await js.create_key_value(
            KeyValueConfig(bucket=f"{settings.stream}_leases", ttl=settings.lease_s, history=1)
        )
        return cls(settings=settings, client=client, js=js, leases=leases)

    async def publish(self, partition: int, events: Sequence[Event]) -> int:
        """Send events to ``partition``; returns the stream sequence (raises if not accepted)."""
        ack = await self.js.publish(
            subject(self.settings, partition),
            encode_batch(events),  # NDJSON of the events: the event store's own batch encoding
            headers={"Nats-Msg-Id": message_id(events)},
        )
        return ack.seq

    async def consumer(self, partition: int) -> JetStreamContext.PullSubscription:
        """The partition's durable consumer, restarted at its acknowledgement floor.

        A new owner of a partition gets every event the previous owner had not acknowledged,
        in stream order, at once: the consumer is re-created from the first unacknowledged
        sequence instead of waiting ``ack_wait`` for redeliveries that could come after newer
        events.
        """
        durable = durable_name(partition)
        start = 1
        try:
            info = await self.js.consumer_info(self.settings.stream, durable)
        except NotFoundError:
            info = None
        if info is not None:
            floor = info.ack_floor.stream_seq if info.ack_floor is not None else 0
            start = (floor or 0) + 1
            await self.js.delete_consumer(self.settings.stream, durable)
        config = ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.settings.ack_wait_s,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start,
            filter_subject=subject(self.settings, partition),
            max_ack_pending=FETCH_MESSAGES,
        )
        await self.js.add_consumer(self.settings.stream, config)
        return await self.js.pull_subscribe_bind(durable, stream=self.settings.stream)

    async def close(self) -> None:
        """Flush and close the connection."""
        if not self.client.is_closed:
            await self.client.drain()


#: Bus messages a worker takes at once from one partition (each holds up to ``batch_max`` events).
FETCH_MESSAGES = 8


async def _ensure_stream(js: JetStreamContext, settings: ScaleoutSettings) -> None:
    wanted = f"{subject_prefix(settings)}.events.*"
    try:
        info = await js.stream_info(settings.stream)
    except NotFoundError:
        info = None
    if info is None:
        await js.add_stream(
            StreamConfig(
                name=settings.stream,
                subjects=[wanted],
                retention=RetentionPolicy.LIMITS,
                storage=StorageType.FILE,
                max_age=STREAM_MAX_AGE_S,
                duplicate_window=DUPLICATE_WINDOW_S,
            )
        )
        return
    if wanted not in (info.config.subjects or []):
        raise ConfigError(
            f"stream {settings.stream} exists with subjects {info.config.subjects}, not {wanted}",
            where="scaleout.stream",
        )
