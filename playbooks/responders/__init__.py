"""Block responders: firewalls a playbook can block an address on.

Every kind is configured under ``[[playbooks.responders]]`` with ``id``, ``kind`` and
``dry_run`` (default true: plan, change nothing) plus its own settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from playbooks.responders.base import BlockRequest, Responder, ResponderBase, ResponderError
from playbooks.responders.iptables import IptablesResponder
from playbooks.responders.nftables import NftablesResponder
from playbooks.responders.vendor import H3CResponder, HuaweiResponder
from soc_core.errors import ConfigError

__all__ = ["RESPONDER_KINDS", "BlockRequest", "Responder", "ResponderError", "build_responders"]

RESPONDER_KINDS: dict[str, type[ResponderBase[Any]]] = {
    "nftables": NftablesResponder,  # our own table and sets; the first-class responder
    "iptables": IptablesResponder,  # our own chain, for hosts managed with iptables
    "huawei": HuaweiResponder,  # Huawei USG; plans only (unverified skeleton)
    "h3c": H3CResponder,  # H3C SecPath; plans only (unverified skeleton)
}


def build_responders(raw: list[dict[str, Any]], *, key: str = "playbooks.responders") -> dict[str, Responder]:
    """Responders by id from settings.

    A :class:`ConfigError` names the offending key, e.g. ``playbooks.responders[0].kind``.
    """
    responders: dict[str, Responder] = {}
    first_index: dict[str, int] = {}
    for index, entry in enumerate(raw):
        where = f"{key}[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigError("a responder is a table with id and kind", where=where)
        kind = entry.get("kind")
        if kind is None:
            raise ConfigError(f"missing; one of {', '.join(RESPONDER_KINDS)}", where=f"{where}.kind")
        cls = RESPONDER_KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise ConfigError(
                f"unknown responder kind {kind!r}; one of {', '.join(RESPONDER_KINDS)}", where=f"{where}.kind"
            )
        try:
            config = cls.config_model.model_validate(dict(entry))
        except ValidationError as exc:
            error = exc.errors()[0]
            location = ".".join(str(part) for part in error["loc"])
            raise ConfigError(error["msg"], where=f"{where}.{location}" if location else where) from exc
        if config.id in first_index:
            raise ConfigError(
                f"duplicate responder id {config.id!r} (first at {key}[{first_index[config.id]}])",
                where=f"{where}.id",
            )
        first_index[config.id] = index
        responders[config.id] = cls(config)
    return responders
