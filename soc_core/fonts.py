"""Locate a CJK font the PDF writer can embed, from Debian's font packages."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from soc_core.errors import ConfigError

FONT_PACKAGE = "fonts-wqy-zenhei"

# TrueType-outlined fonts only: reportlab embeds glyf outlines, so fonts-noto-cjk (CFF-outlined OTC)
# cannot be used even when installed.
CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)


def find_cjk_font(explicit: Path | None = None, *, candidates: Sequence[Path] = CANDIDATES) -> Path:
    """Return ``explicit`` if given and present, else the first installed candidate."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"CJK font {explicit} does not exist", where=str(explicit))
        return explicit
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise ConfigError(
        f"no TrueType CJK font found (tried {tried}); install the Debian package {FONT_PACKAGE} "
        f"(apt-get install {FONT_PACKAGE})"
    )
