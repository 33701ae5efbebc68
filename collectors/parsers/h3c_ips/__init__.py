"""``h3c.ips``: H3C SecPath intrusion prevention (``IPS_IPV4_INTERZONE`` …)."""

from collectors.parsers.h3c_ips.parser import H3cIpsParser

__all__ = ["H3cIpsParser"]
