"""The parser registry: dataset id → parser class, and the order ``--format auto`` tries them.

One readable table. A new parser is a folder ``collectors/parsers/<name>/`` (``parser.py``,
``samples/*.log`` and their ``*-expected.ndjson``) plus one line here and, if it can
recognise its own lines, one entry in ``AUTO_ORDER``. Declarative (YAML) parsers are added
at start-up by ``collectors.parsers.declarative`` through ``register``.
"""

from __future__ import annotations

from collectors.parsers.apache_access import ApacheAccessParser
from collectors.parsers.base import Envelope, Parser, SyslogHeader
from collectors.parsers.cef_log import CefParser
from collectors.parsers.chaitin_safeline import SafelineParser
from collectors.parsers.cisco_asa import CiscoAsaParser
from collectors.parsers.fortinet_fortigate import FortigateParser
from collectors.parsers.h3c_ips import H3cIpsParser
from collectors.parsers.h3c_secpath import H3cSecpathParser
from collectors.parsers.hillstone_stoneos import HillstoneParser
from collectors.parsers.huawei_ips import HuaweiIpsParser
from collectors.parsers.huawei_usg import HuaweiUsgParser
from collectors.parsers.iptables_log import IptablesParser
from collectors.parsers.json_log import JsonParser
from collectors.parsers.juniper_srx import JuniperSrxParser
from collectors.parsers.leef_log import LeefParser
from collectors.parsers.modsecurity_auditlog import ModsecurityParser
from collectors.parsers.nginx_access import NginxAccessParser
from collectors.parsers.nsfocus_waf import NsfocusWafParser
from collectors.parsers.panw_panos import PanosParser
from collectors.parsers.pfsense_log import PfsenseParser
from collectors.parsers.qianxin_nsg import QianxinNsgParser
from collectors.parsers.qianxin_waf import QianxinWafParser
from collectors.parsers.sangfor_af import SangforAfParser
from collectors.parsers.snort_alert import SnortParser
from collectors.parsers.squid_access import SquidAccessParser
from collectors.parsers.suricata_eve import SuricataEveParser
from collectors.parsers.syslog_kv import KvParser
from collectors.parsers.topsec_tos import TopsecParser
from collectors.parsers.venustech_leadsec import LeadsecParser
from collectors.parsers.zeek_json import ZeekParser
from collectors.parsers.zhonganwangmai_apt import ZhonganAptParser
from soc_core.registry import Registry

__all__ = [
    "AUTO_ORDER",
    "GENERIC",
    "PARSERS",
    "Envelope",
    "Parser",
    "SyslogHeader",
    "auto_order",
    "register",
    "registry_state",
    "restore_registry",
    "unregister",
]

# dataset id → parser class (keep sorted by id)
_TABLE: dict[str, type[Parser]] = {
    "apache.access": ApacheAccessParser,
    "cef.log": CefParser,
    "chaitin.safeline": SafelineParser,
    "cisco.asa": CiscoAsaParser,
    "fortinet.fortigate": FortigateParser,
    "h3c.ips": H3cIpsParser,
    "h3c.secpath": H3cSecpathParser,
    "hillstone.stoneos": HillstoneParser,
    "huawei.ips": HuaweiIpsParser,
    "huawei.usg": HuaweiUsgParser,
    "iptables.log": IptablesParser,
    "json.log": JsonParser,
    "juniper.srx": JuniperSrxParser,
    "leef.log": LeefParser,
    "modsecurity.auditlog": ModsecurityParser,
    "nginx.access": NginxAccessParser,
    "nsfocus.waf": NsfocusWafParser,
    "panw.panos": PanosParser,
    "pfsense.log": PfsenseParser,
    "qianxin.nsg": QianxinNsgParser,
    "qianxin.waf": QianxinWafParser,
    "sangfor.af": SangforAfParser,
    "snort.alert": SnortParser,
    "squid.access": SquidAccessParser,
    "suricata.eve": SuricataEveParser,
    "syslog.kv": KvParser,
    "topsec.tos": TopsecParser,
    "venustech.leadsec": LeadsecParser,
    "zeek.log": ZeekParser,
    "zhonganwangmai.apt": ZhonganAptParser,
}

PARSERS: Registry[type[Parser]] = Registry("parser")
for _dataset, _parser in _TABLE.items():
    PARSERS.add(_dataset, _parser)

# Most specific first. JSON vendor formats before the generic JSON parser; headers with a
# vendor marker (``%%01``, ``%ASA-``, ``CEF:``) before loose key=value shapes; the generic
# parsers last (a JSON object with "a=b c=d" in a string would otherwise sniff as key=value).
AUTO_ORDER: tuple[str, ...] = (
    "suricata.eve",
    "zeek.log",
    "chaitin.safeline",
    "modsecurity.auditlog",
    "cef.log",
    "leef.log",
    "huawei.ips",
    "huawei.usg",
    "h3c.ips",
    "h3c.secpath",
    "hillstone.stoneos",
    "sangfor.af",
    "qianxin.waf",
    "qianxin.nsg",
    "topsec.tos",
    "venustech.leadsec",
    "zhonganwangmai.apt",
    "nsfocus.waf",
    "cisco.asa",
    "juniper.srx",
    "pfsense.log",
    "iptables.log",
    "panw.panos",
    "fortinet.fortigate",
    "snort.alert",
    "squid.access",
    "nginx.access",
    "apache.access",
)
GENERIC: tuple[str, ...] = ("json.log", "syslog.kv")

_declared: list[str] = []


def register(dataset: str, parser: type[Parser], *, replace: bool = False) -> None:
    """Add a parser at start-up (declarative ones); it is tried before the generic parsers.

    ``replace`` lets a parser take an id already registered (a reload, a site definition
    overriding a built-in one); a replaced built-in keeps its place in the auto order.
    """
    if replace:
        PARSERS.replace(dataset, parser)
    else:
        PARSERS.add(dataset, parser)
    if dataset not in _declared and dataset not in AUTO_ORDER and dataset not in GENERIC:
        _declared.append(dataset)


def unregister(dataset: str) -> None:
    """Remove a parser added by ``register``."""
    PARSERS.remove(dataset)
    if dataset in _declared:
        _declared.remove(dataset)


def registry_state() -> tuple[dict[str, type[Parser]], list[str]]:
    """The registry and the declared order, for ``restore_registry`` (tests, reloads)."""
    return PARSERS.snapshot(), list(_declared)


def restore_registry(state: tuple[dict[str, type[Parser]], list[str]]) -> None:
    """Put the registry and the declared order back as ``registry_state`` saw them."""
    table, declared = state
    PARSERS.restore(table)
    _declared[:] = declared


def auto_order() -> tuple[str, ...]:
    """The order ``--format auto`` tries: built-in vendors, declared parsers, then generic."""
    return (*AUTO_ORDER, *_declared, *GENERIC)
