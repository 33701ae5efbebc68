"""The syslog listeners of a node (``soc run`` or ``soc collector``): UDP+TCP, and TLS when enabled."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from collectors.intake import IntakeQueue, IntakeStats
from collectors.transports.syslog import SyslogServer, SyslogTlsServer
from soc_core.config import SyslogSettings
from soc_core.errors import ConfigError


class SyslogListeners:
    """Both listeners feeding one intake queue; a port that cannot be bound is a clear error."""

    def __init__(self, settings: SyslogSettings, queue: IntakeQueue, stats: IntakeStats) -> None:
        self.settings = settings
        self.syslog = SyslogServer(settings, queue, stats)
        self.tls = SyslogTlsServer(settings.tls, queue, stats) if settings.tls.enabled else None

    async def start(self) -> None:
        """Bind and listen."""
        s = self.settings
        await _listen(self.syslog.start(), "syslog", s.host, s.port)
        if self.tls is not None:
            await _listen(self.tls.start(), "syslog TLS", s.tls.host, s.tls.port)

    async def stop(self) -> None:
        """Stop accepting; what was received stays in the queue."""
        await self.syslog.stop()
        if self.tls is not None:
            await self.tls.stop()


async def _listen(starting: Coroutine[Any, Any, None], what: str, host: str, port: int) -> None:
    try:
        await starting
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", where=what) from exc
