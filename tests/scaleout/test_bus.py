"""Connecting to the bus: a server that does not answer is a clear error naming the setting."""

from __future__ import annotations

import asyncio

import pytest

from soc_api.runtime.scaleout.bus import Bus
from soc_api.testing import free_port
from soc_core.config import ScaleoutSettings
from soc_core.errors import ConfigError


def test_no_server_is_a_clear_error_after_the_wait() -> None:
    url = f"nats://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(ConfigError) as caught:
        asyncio.run(Bus.connect(ScaleoutSettings(nats_url=url), name="t", wait_s=1.5))
    assert caught.value.where == "scaleout.nats_url"
    assert url in caught.value.message
