"""``apache.access``: Apache httpd access log (common / combined)."""

from collectors.parsers.apache_access.parser import ApacheAccessParser

__all__ = ["ApacheAccessParser"]
