"""Constants shared by the StateStore tests."""

from __future__ import annotations

import datetime as dt

T0 = dt.datetime(2024, 11, 27, 8, 0, tzinfo=dt.UTC)
GOOD_PASSWORD = "Gongan-Lan-2024"
