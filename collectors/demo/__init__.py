"""A synthetic day of a district e-government extranet, for ``soc run --demo``.

``scenario`` is the site (zones, assets, log sources), ``lines`` renders one raw log line per
device family in the exact shape its parser reads, ``stories`` are the attacks woven into the
day, and ``generator.DemoGenerator`` hands out the records due at a given moment. Everything
is pure and seeded: the same seed and start give the same bytes.
"""

from collectors.demo.generator import DEFAULT_SEED, DemoGenerator, DemoRecord
from collectors.demo.scenario import ASSETS, SOURCES, LogSource, register_csv, zones
from collectors.demo.stories import STORIES, Story

__all__ = [
    "ASSETS",
    "DEFAULT_SEED",
    "SOURCES",
    "STORIES",
    "DemoGenerator",
    "DemoRecord",
    "LogSource",
    "Story",
    "register_csv",
    "zones",
]
