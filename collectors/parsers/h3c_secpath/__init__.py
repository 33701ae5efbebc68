"""``h3c.secpath``: H3C SecPath firewalls and other Comware boxes (``%%10MOD/sev/MNEMONIC:``)."""

from collectors.parsers.h3c_secpath.parser import H3cSecpathParser

__all__ = ["H3cSecpathParser"]
