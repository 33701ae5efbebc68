"""``nginx.access``: Nginx access log (combined)."""

from collectors.parsers.nginx_access.parser import NginxAccessParser

__all__ = ["NginxAccessParser"]
