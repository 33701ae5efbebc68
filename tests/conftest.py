"""Suite-wide settings: deterministic hypothesis, fast password hashing, isolated settings."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Fixed seeds: CI must be deterministic.
settings.register_profile(
    "shaowang", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("shaowang")

# Cheap Argon2 parameters for the suite (production uses argon2-cffi's defaults).
os.environ.setdefault("SOC_ARGON2_FAST", "1")
# Tests never read a developer's ./shaowang.toml.
os.environ.setdefault("SOC_CONFIG", os.devnull)
