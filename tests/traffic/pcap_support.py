"""The packet builders the traffic tests share (they live in :mod:`collectors.traffic.craft`)."""

from collectors.traffic.craft import *  # noqa: F403
from collectors.traffic.craft import __all__ as __all__
