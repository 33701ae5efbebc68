"""Open the event store the settings select (``store.backend``): embedded or Elasticsearch."""

from __future__ import annotations

from typing import Any

from soc_core.config import Settings
from soc_core.errors import ConfigError
from soc_core.storage.elastic import ElasticEventStore
from soc_core.storage.embedded import EmbeddedEventStore

# Both satisfy ``EventStore``; callers narrow it for backend-only steps (seal_now, refresh).
OpenedStore = EmbeddedEventStore | ElasticEventStore


def open_event_store(settings: Settings, *, writer: bool) -> OpenedStore:
    """The store of ``settings.store.backend``; ``writer`` opens the embedded store for appending.

    Elasticsearch has no separate reader: every client may write, so ``writer`` changes nothing
    there. Failures name the setting or the URL without its credentials.
    """
    store = settings.store
    if store.backend == "elasticsearch":
        url = (store.elasticsearch.url or "").strip()
        if not url:  # settings validation refuses this too; a hand-built StoreSettings may not
            raise ConfigError('needed when store.backend = "elasticsearch"', where="store.elasticsearch.url")
        return ElasticEventStore.open(url, namespace=store.elasticsearch.namespace, settings=store)
    if writer:
        return EmbeddedEventStore.open_writer(settings.data_dir, store)
    return EmbeddedEventStore.open_reader(settings.data_dir)


def store_overrides(backend: str | None, es_url: str | None) -> dict[str, Any]:
    """Settings overrides for ``--store`` and ``--es-url`` (``{}`` when neither is given)."""
    store: dict[str, Any] = {}
    if backend is not None:
        store["backend"] = backend
    if es_url is not None:
        store["elasticsearch"] = {"url": es_url}
    return {"store": store} if store else {}
