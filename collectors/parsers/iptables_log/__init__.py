"""``iptables.log``: Linux netfilter LOG target (``IN= OUT= SRC= DST=``)."""

from collectors.parsers.iptables_log.parser import IptablesParser

__all__ = ["IptablesParser"]
