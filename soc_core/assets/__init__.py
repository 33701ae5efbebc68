"""The asset register (资产台账): assets, security zones (安全域), import, discovery, lookup.

``models`` holds the values, ``register`` reads CSV/XLSX registers (pure), ``service`` the
StateStore operations, ``lookup`` the IP → asset index used to enrich events.
"""

from soc_core.assets.lookup import AssetContext, AssetIndex
from soc_core.assets.models import Asset, AssetInput, AssetPage, ImportReport, ObserveReport, Zone, ZoneInput

__all__ = [
    "Asset",
    "AssetContext",
    "AssetIndex",
    "AssetInput",
    "AssetPage",
    "ImportReport",
    "ObserveReport",
    "Zone",
    "ZoneInput",
]
