"""``panw.panos``: Palo Alto Networks PAN-OS (CSV)."""

from collectors.parsers.panw_panos.parser import PanosParser

__all__ = ["PanosParser"]
