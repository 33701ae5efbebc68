"""Logsource routing: an event meets only the rules whose ``logsource`` fits it.

An event satisfies a set of keys (``"category:firewall"``, ``"product:zeek"``,
``"service:dns"``) worked out from a few of its fields by :func:`event_keys`; a rule requires
the keys of :func:`rule_keys`, all of them. Both are pure, so the engine caches the event side
per distinct input tuple. The tables are in ``detectors/sigma/README.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from soc_core.events import Event

from soc_core.vocabulary import (
    DATASETS,
    DATASETS_BY_FAMILY,
    EventCategory,
    EventKind,
    EventType,
    ObserverType,
)

__all__ = [
    "CONNECTION_DATASETS",
    "CONNECTION_TYPES",
    "PLAIN_WEBSERVER_DATASETS",
    "event_keys",
    "is_live",
    "known_datasets",
    "possible_keys",
    "rule_keys",
]

_FIREWALL = frozenset(DATASETS_BY_FAMILY["firewall"])
_IDS = frozenset(DATASETS_BY_FAMILY["ids_ips"])
_WAF = frozenset(DATASETS_BY_FAMILY["waf"])
_PROXY = frozenset(DATASETS_BY_FAMILY["proxy"])

# Access logs of a web server: what Sigma's ``webserver`` means, but no firewall for the web.
PLAIN_WEBSERVER_DATASETS: frozenset[str] = frozenset({"nginx.access", "apache.access"})
_WEBSERVER = _WAF | {"network.http", "zeek.http"}
_DNS = frozenset({"network.dns", "zeek.dns"})

# event.type values that make a network event a connection (Sigma's network_connection)
CONNECTION_TYPES: frozenset[str] = frozenset(
    t.value
    for t in (EventType.CONNECTION, EventType.START, EventType.END, EventType.ALLOWED, EventType.DENIED)
)
# Datasets whose network events are connections whatever their types: used when the caller
# does not pass event.type.
CONNECTION_DATASETS: frozenset[str] = _FIREWALL | {"network.flow", "zeek.connection"}

# Other names a Zeek log answers to as a Sigma ``service`` (Sigma uses Zeek's file names).
_ZEEK_SERVICE_ALIASES: dict[str, tuple[str, ...]] = {
    "connection": ("conn", "conn_long"),
    "signature": ("signatures",),
    "ssl": ("tls",),
}

_NETWORK = EventCategory.NETWORK.value
_TRAFFIC_OR_UTM = frozenset(
    c.value
    for c in (
        EventCategory.NETWORK,
        EventCategory.WEB,
        EventCategory.INTRUSION_DETECTION,
        EventCategory.MALWARE,
    )
)
_WEB = EventCategory.WEB.value
_ALERT = EventKind.ALERT.value
_CATEGORY_KEYS: dict[str, str] = {
    EventCategory.AUTHENTICATION.value: "category:authentication",
    EventCategory.CONFIGURATION.value: "category:configuration",
}


def event_keys(
    *,
    dataset: str | None,
    categories: Sequence[str],
    kind: str | None,
    observer_type: str | None,
    has_dns: bool,
    has_url: bool,
    types: Sequence[str] = (),
) -> frozenset[str]:
    """The logsource keys an event with these properties satisfies.

    ``types`` is ``event.type``; left empty, a network event counts as a connection when its
    dataset is one of flows and firewall sessions (:data:`CONNECTION_DATASETS`).
    """
    return _event_keys(
        dataset.lower() if dataset else None,
        frozenset(categories),
        kind,
        observer_type.lower() if observer_type else None,
        has_dns,
        has_url,
        frozenset(types),
    )


EventShape = tuple[str | None, tuple[str, ...], str | None, str | None, bool, bool, tuple[str, ...]]


def event_shape(event: Event) -> EventShape:
    """What routing looks at in an event (events of one shape meet the same rules)."""
    info = event.event
    observer = event.observer
    return (
        info.dataset,
        tuple(info.category or ()),
        info.kind,
        observer.type if observer is not None else None,
        event.dns is not None and event.dns.question is not None,
        event.url is not None,
        tuple(info.type or ()),
    )


def shape_keys(shape: EventShape) -> frozenset[str]:
    """The logsource keys events of ``shape`` satisfy."""
    return event_keys(
        dataset=shape[0],
        categories=shape[1],
        kind=shape[2],
        observer_type=shape[3],
        has_dns=shape[4],
        has_url=shape[5],
        types=shape[6],
    )


@lru_cache(maxsize=4096)
def _event_keys(
    dataset: str | None,
    categories: frozenset[str],
    kind: str | None,
    observer: str | None,
    has_dns: bool,
    has_url: bool,
    types: frozenset[str],
) -> frozenset[str]:
    keys: set[str] = set()
    if dataset in _FIREWALL or observer == ObserverType.FIREWALL:
        keys.add("category:firewall")
    if _NETWORK in categories and ((types & CONNECTION_TYPES) if types else dataset in CONNECTION_DATASETS):
        keys.add("category:network_connection")
    if dataset in _PROXY or observer == ObserverType.PROXY:
        keys.add("category:proxy")
    if dataset in _WEBSERVER or (_WEB in categories and has_url):
        keys.add("category:webserver")
    if dataset in _DNS or has_dns:
        keys.add("category:dns")
    if dataset in _IDS or (observer in (ObserverType.IDS, ObserverType.IPS) and kind == _ALERT):
        keys.add("category:ids")
    if dataset in _WAF and dataset not in PLAIN_WEBSERVER_DATASETS:
        keys.add("category:waf")
    keys.update(key for category, key in _CATEGORY_KEYS.items() if category in categories)
    if dataset:
        vendor, dot, product = dataset.partition(".")
        if dot and vendor and product:
            keys.add(f"product:{vendor}")
            keys.add(f"service:{product}")
            if vendor == "zeek":
                keys.update(f"service:{alias}" for alias in _ZEEK_SERVICE_ALIASES.get(product, ()))
    if dataset == "openssh.sshd":
        keys.add("product:linux")  # SigmaHQ files sshd rules as product: linux, service: sshd
    if dataset == "fortinet.fortigate":
        # SigmaHQ's FortiGate rules say ``product: fortigate`` and name the log type as the
        # service; a FortiGate event log (configuration, logins, VPN) is neither traffic nor UTM
        keys.add("product:fortigate")
        if kind != _ALERT and not categories & _TRAFFIC_OR_UTM:
            keys.add("service:event")
    return frozenset(keys)


def rule_keys(*, category: str | None, product: str | None, service: str | None) -> frozenset[str]:
    """The keys an event must have for a rule of this logsource (empty: every event)."""
    return frozenset(
        f"{part}:{value.strip().lower()}"
        for part, value in (("category", category), ("product", product), ("service", service))
        if value and value.strip()
    )


def known_datasets() -> frozenset[str]:
    """Every dataset our parsers can stamp: the vocabulary's and those the parser registry emits.

    Imported late: detection depends on collectors only for this list (rule health asks it).
    """
    from collectors.parsers import PARSERS

    emitted: set[str] = set()
    for dataset, parser in PARSERS.snapshot().items():
        emitted.add(dataset)
        emitted.update(parser.emits)
    return DATASETS | emitted


_ANY_CATEGORIES = tuple(c.value for c in EventCategory)
_ANY_OBSERVERS: tuple[str | None, ...] = (None, *(o.value for o in ObserverType))


@lru_cache(maxsize=1024)
def possible_keys(dataset: str) -> frozenset[str]:
    """Every key some event of ``dataset`` could satisfy (an upper bound: any category, kind,
    observer type, with DNS and URL fields)."""
    keys: set[str] = set()
    for observer in _ANY_OBSERVERS:
        keys |= event_keys(
            dataset=dataset,
            categories=_ANY_CATEGORIES,
            kind=_ALERT,
            observer_type=observer,
            has_dns=True,
            has_url=True,
            types=tuple(CONNECTION_TYPES),
        )
        # keys only a plain event without traffic categories has (FortiGate's ``service: event``)
        keys |= event_keys(
            dataset=dataset, categories=(), kind=None, observer_type=observer, has_dns=False, has_url=False
        )
    return frozenset(keys)


def is_live(rule: frozenset[str], datasets: Iterable[str]) -> bool:
    """Whether any of ``datasets`` can ever satisfy a rule's keys (rule health: "no live source")."""
    return any(rule <= possible_keys(dataset) for dataset in datasets)
