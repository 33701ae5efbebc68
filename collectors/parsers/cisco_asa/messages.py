"""The ASA message table: message id → regexes, ``event.action`` and categorisation.

The regexes use named groups with one meaning everywhere (``si``/``sa``/``sp`` ingress
interface, source address and port; ``di``/``da``/``dp`` the destination; ``msa``/``msp``/
``mda``/``mdp`` the NAT-mapped address and port; ``proto``; ``dir``; ``acl`` …), turned into ECS by
``CiscoAsaParser._apply``; any other group is kept under ``cisco.asa.<group>``. Message formats
follow Cisco's "ASA Series Syslog Messages" reference.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from soc_core.vocabulary import EventCategory, EventOutcome, EventType

# -- regex building blocks -------------------------------------------------------------------
# Interface names never contain ":" or "/", so "outside:2001:db8::1/443" splits at the first ":".
_ADDR = r"[^\s/()]+"
_IF = r"[^\s:/()]+"
_USER = r"(?:\s*\((?!type )(?:[^()]|\([^()]*\))*\))?"  # optional "(LOCAL\user)" / "(12:sgt)" after an address
_SRC = rf"(?P<si>{_IF}):(?P<sa>{_ADDR})/(?P<sp>\d+)"
_DST = rf"(?P<di>{_IF}):(?P<da>{_ADDR})/(?P<dp>\d+)"


def _rx(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


class _Spec(NamedTuple):
    """What one message id means: its regexes (tried in order) and its categorisation."""

    action: str
    patterns: tuple[re.Pattern[str], ...]
    category: tuple[str, ...] = (EventCategory.NETWORK.value,)
    types: tuple[str, ...] = (EventType.CONNECTION.value,)
    outcome: str | None = None
    alert: bool = False  # an IDS detection: kind alert, category intrusion_detection
    hook: Callable[[re.Match[str], dict[str, Any]], None] | None = None


_NET = (EventCategory.NETWORK.value,)
_AUTH = (EventCategory.AUTHENTICATION.value, EventCategory.NETWORK.value)
_CONF = (EventCategory.CONFIGURATION.value,)
_SESSION = (EventCategory.NETWORK.value, EventCategory.SESSION.value)
_DENIED = (EventType.CONNECTION.value, EventType.DENIED.value)
_ALLOWED = (EventType.CONNECTION.value, EventType.ALLOWED.value)
_START = (EventType.CONNECTION.value, EventType.START.value, EventType.ALLOWED.value)
_END = (EventType.CONNECTION.value, EventType.END.value)
_OK, _FAIL = EventOutcome.SUCCESS.value, EventOutcome.FAILURE.value


def _deny(*patterns: str) -> _Spec:
    return _Spec("firewall-rule", _rx(*patterns), _NET, _DENIED, _FAIL)


def _acl_verdict(m: re.Match[str], out: dict[str, Any]) -> None:
    """106100/106102: ``permitted``/``est-allowed`` or ``denied`` decides the type."""
    denied = m.group("verdict").lower() == "denied"
    out["types"] = _DENIED if denied else _ALLOWED
    out["outcome"] = _FAIL if denied else _OK


def _login_verdict(m: re.Match[str], out: dict[str, Any]) -> None:
    """605004/605005 and 611101/611102: the verb says whether the login worked."""
    ok = m.group("verdict").lower() in ("permitted", "succeeded")
    out["types"] = (EventType.START.value, EventType.ALLOWED.value) if ok else (EventType.DENIED.value,)
    out["outcome"] = _OK if ok else _FAIL
    out["action"] = "logged-in" if ok else "logon-failed"


def _dynamic_filter(m: re.Match[str], out: dict[str, Any]) -> None:
    """338xxx botnet traffic filter: ``dropped`` is a denial, ``monitored`` only information."""
    dropped = m.group("filter_action").lower() == "dropped"
    out["types"] = _DENIED if dropped else (EventType.CONNECTION.value, EventType.INFO.value)
    out["outcome"] = _FAIL if dropped else None
    if m.group("threat_category"):
        out["rule_category"] = m.group("threat_category")


def _ids_category(m: re.Match[str], out: dict[str, Any]) -> None:
    """400000-400050: Cisco's class of the signature (Attack or Informational) as rule.category."""
    out["rule_category"] = "attack" if m.group("sig") in _ATTACK_SIGNATURES else "informational"


def _threat_target(m: re.Match[str], out: dict[str, Any]) -> None:
    """733101: ``is attacking`` names the source, ``is targeted`` the destination."""
    if m.group("role").lower() == "is targeted":
        out["swap"] = True


# Signature ids of the ASA's built-in IDS (``ip audit``) that Cisco classes as attacks; the
# rest of 400000-400050 are informational signatures.
_ATTACK_SIGNATURES = frozenset(
    {
        "1100",
        "1102",
        "1103",
        "2150",
        "2151",
        "2154",
        "3040",
        "3041",
        "3042",
        "4050",
        "4051",
        "4052",
        "6103",
        "6190",
    }
)

_BUILT = _rx(
    rf"Built (?P<dir>inbound|outbound) (?P<proto>\S+) connection (?P<connection_id>\d+) for {_SRC} "
    rf"\((?P<msa>{_ADDR})/(?P<msp>\d+)\){_USER} to {_DST} \((?P<mda>{_ADDR})/(?P<mdp>\d+)\){_USER}"
    r"(?:\s*\((?P<user>[^()]*)\))?"
)
_TEARDOWN = _rx(
    rf"Teardown (?P<proto>\S+) (?:state-bypass )?connection (?P<connection_id>\d+) (?:for|from) {_SRC}"
    rf"(?: \((?P<msa>{_ADDR})/(?P<msp>\d+)\))?{_USER} to {_DST}(?: \((?P<mda>{_ADDR})/(?P<mdp>\d+)\))?{_USER}"
    r"(?: duration (?P<duration>\d+:\d\d:\d\d) bytes (?P<bytes>\d+))?"
    r"(?: (?P<reason>.*?))?(?: from (?P<initiator>[^\s()]+))?(?:\s*\((?P<user>[^()]*)\))?\s*$"
)
# 302020/302021: faddr is the foreign (outside) host, gaddr the global (mapped) address of the
# local host, laddr the local host. The interface prefix is optional: kept as one token and
# split in code (an IPv6 address also contains ":").
_ICMP_CONN = _rx(
    r"(?:Built (?P<dir>inbound|outbound)|Teardown) (?P<proto>\S+) connection for "
    rf"faddr (?P<faddr>\S+?)/(?P<fnum>\d+){_USER} gaddr (?P<gaddr>\S+?)/(?P<gnum>\d+) "
    rf"laddr (?P<laddr>\S+?)/(?P<lnum>\d+){_USER}(?:\s*type (?P<icmp_type>\d+) code (?P<icmp_code>\d+))?"
)
_VPN_GROUP = (
    r"Group <(?P<group>[^<>]*)> User <(?P<user>[^<>]*)> IP <(?P<sa>[^<>]*)>\s*(?P<reason>.*)",
    r"Group (?P<group>\S+) User (?P<user>\S+) IP (?P<sa>\S+)\s*(?P<reason>.*)",
)

_SPECS: dict[str, _Spec] = {
    # -- access decisions ---------------------------------------------------------------------
    "106001": _deny(
        r"(?P<dir>inbound|outbound) (?P<proto>\S+) connection denied from (?P<sa>[^\s/]+)/(?P<sp>\d+) "
        r"to (?P<da>[^\s/]+)/(?P<dp>\d+) flags (?P<tcp_flags>.*?)\s+on interface (?P<si>\S+)"
    ),
    "106006": _deny(
        r"Deny (?P<dir>inbound|outbound) (?P<proto>\S+) from (?P<sa>[^\s/]+)/(?P<sp>\d+) "
        r"to (?P<da>[^\s/]+)/(?P<dp>\d+) on interface (?P<si>\S+)"
    ),
    "106007": _deny(
        r"Deny (?P<dir>inbound|outbound) (?P<proto>\S+) from (?P<sa>[^\s/]+)/(?P<sp>\d+) "
        r"to (?P<da>[^\s/]+)/(?P<dp>\d+) due to (?P<app>\S+) (?P<dns_message>\S+)"
    ),
    "106010": _deny(
        rf"Deny (?P<dir>inbound|outbound) (?:protocol (?P<num>\d+)|(?P<proto>\S+)) "
        rf"src (?P<si>{_IF}):(?P<sa>{_ADDR})(?:/(?P<sp>\d+))?{_USER} dst "
        rf"(?P<di>{_IF}):(?P<da>{_ADDR})(?:/(?P<dp>\d+))?"
    ),
    "106014": _deny(
        rf"Deny (?P<dir>inbound|outbound) (?P<proto>\S+) src (?P<si>{_IF}):(?P<sa>{_ADDR}){_USER} "
        rf"dst (?P<di>{_IF}):(?P<da>{_ADDR}){_USER}\s*(?:\(type (?P<icmp_type>\d+), code "
        r"(?P<icmp_code>\d+)\))?"
    ),
    "106015": _deny(
        r"Deny (?P<proto>\S+) \(no connection\) from (?P<sa>[^\s/]+)/(?P<sp>\d+) to "
        r"(?P<da>[^\s/]+)/(?P<dp>\d+) "
        r"flags (?P<tcp_flags>.*?)\s+on interface (?P<si>\S+)"
    ),
    "106016": _deny(r"Deny IP spoof from \(?(?P<sa>[^\s()]+)\)? to (?P<da>\S+) on interface (?P<si>[^\s.]+)"),
    "106017": _deny(r"Deny IP due to Land Attack from (?P<sa>\S+) to (?P<da>[^\s.]+(?:\.[^\s.]+)*)"),
    "106020": _deny(
        r"Deny IP teardrop fragment \(size = (?P<fragment_size>\d+), offset = (?P<fragment_offset>\d+)\) "
        r"from (?P<sa>\S+) to (?P<da>\S+?)\.?$"
    ),
    "106021": _deny(
        r"Deny (?P<proto>\S+) reverse path check from (?P<sa>\S+) to (?P<da>\S+) on interface (?P<si>[^\s.]+)"
    ),
    "106022": _deny(
        r"Deny (?P<proto>\S+) connection spoof from (?P<sa>\S+) to (?P<da>\S+) on interface (?P<si>[^\s.]+)"
    ),
    "106023": _deny(
        r"Deny (?:protocol (?P<num>\d+)|(?P<proto>\S+)) src "
        rf"(?P<si>{_IF}):(?P<sa>{_ADDR})(?:/(?P<sp>\d+))?{_USER} "
        rf"dst (?P<di>{_IF}):(?P<da>{_ADDR})(?:/(?P<dp>\d+))?{_USER}\s*"
        r"(?:\(type (?P<icmp_type>\d+), code (?P<icmp_code>\d+)\)\s*)?"
        r"by access-group \"(?P<acl>[^\"]*)\"(?:\s*\[(?P<rule_hash>[^\]]*)\])?"
    ),
    "106100": _Spec(
        "firewall-rule",
        _rx(
            rf"access-list (?P<acl>\S+) (?P<verdict>permitted|denied|est-allowed) (?P<proto>\S+) "
            rf"(?P<si>{_IF})/(?P<sa>[^\s(]+)\((?P<sp>\d+)\){_USER} -> "
            rf"(?P<di>{_IF})/(?P<da>[^\s(]+)\((?P<dp>\d+)\){_USER}"
            r"(?: hit-cnt (?P<hit_count>\d+))?(?: "
            r"(?P<interval>[^\[]*?))?\s*(?:\[(?P<rule_hash>[^\]]*)\])?\s*$"
        ),
        hook=_acl_verdict,
    ),
    "106102": _Spec(
        "firewall-rule",
        _rx(
            r"access-list (?P<acl>\S+) (?P<verdict>permitted|denied) (?P<proto>\S+) for user "
            r"'?(?P<user>[^\s']*)'? "
            rf"(?P<si>{_IF})/(?P<sa>[^\s(]+)\((?P<sp>\d+)\) -> (?P<di>{_IF})/(?P<da>[^\s(]+)\((?P<dp>\d+)\)"
            r"(?: hit-cnt (?P<hit_count>\d+))?"
        ),
        hook=_acl_verdict,
    ),
    "106103": _deny(
        rf"access-list (?P<acl>\S+) denied (?P<proto>\S+) for user '?(?P<user>[^\s']*)'? "
        rf"(?P<si>{_IF})/(?P<sa>[^\s(]+)\((?P<sp>\d+)\) -> (?P<di>{_IF})/(?P<da>[^\s(]+)\((?P<dp>\d+)\)"
    ),
    "313001": _deny(
        r"Denied (?P<proto>ICMP\S*) type=(?P<icmp_type>\d+), code=(?P<icmp_code>\d+) from (?P<sa>\S+) "
        r"on interface (?P<si>\S+?)(?: to (?P<da>\S+))?$"
    ),
    "313004": _deny(
        r"Denied (?P<proto>ICMP\S*) type=(?P<icmp_type>\d+), (?:code=(?P<icmp_code>\d+), )?from (?:laddr "
        r")?(?P<sa>\S+) "
        r"on interface (?P<si>\S+) to (?P<da>\S+?):? no matching session"
    ),
    "313005": _deny(
        r"No matching connection for ICMP error message: (?P<proto>\S+) src "
        rf"(?P<si>{_IF}):(?P<sa>{_ADDR}){_USER} "
        rf"dst (?P<di>{_IF}):(?P<da>{_ADDR}){_USER} \(type (?P<icmp_type>\d+), code (?P<icmp_code>\d+)\) "
        r"on \S+ interface\.\s*(?:Original IP payload: (?P<original_payload>.*?)\.?)?$"
    ),
    "313008": _deny(
        r"Denied (?P<proto>ICMPv6) type=(?P<icmp_type>\d+), code=(?P<icmp_code>\d+) from (?P<sa>\S+) "
        r"on interface (?P<si>\S+)"
    ),
    "710003": _deny(
        r"(?P<proto>\S+) access denied by ACL from (?P<sa>[^\s/]+)/(?P<sp>\d+) to "
        rf"(?P<si>{_IF}):(?P<da>{_ADDR})/(?P<dp>\w+)"
    ),
    "710005": _deny(
        r"(?P<proto>\S+) request discarded from (?P<sa>[^\s/]+)/(?P<sp>\d+) to "
        rf"(?P<si>{_IF}):(?P<da>{_ADDR})/(?P<dp>\w+)"
    ),
    "710002": _Spec(
        "firewall-rule",
        _rx(
            rf"(?P<proto>\S+) (?:access|request) permitted from (?P<sa>[^\s/]+)/(?P<sp>\d+) "
            rf"to (?P<si>{_IF}):(?P<da>{_ADDR})/(?P<dp>\w+)"
        ),
        _NET,
        _ALLOWED,
        _OK,
    ),
    "434002": _deny(
        rf"SFR requested to drop (?P<proto>\S+) packet from {_SRC} to {_DST}",
    ),
    "420002": _deny(
        rf"IPS requested to drop (?P<proto>\S+) packet from {_SRC} to {_DST}",
    ),
    "419002": _Spec(
        "firewall-rule",
        _rx(
            rf"(?:Received )?(?P<reason>Duplicate TCP SYN) from {_SRC} to {_DST} "
            r"with different initial sequence number"
        ),
        _NET,
        (EventType.CONNECTION.value, EventType.INFO.value),
        hook=lambda m, out: out.update(transport="tcp"),
    ),
    "304001": _Spec(
        "url-access",
        _rx(
            r"(?:(?P<user>[^\s@]+)@)?(?P<sa>[^\s(@]+)(?:\([^()]*\))? Accessed (?:JAVA )?URL "
            r"(?P<da>[^\s:]+):(?P<url>\S+)"
        ),
        (EventCategory.NETWORK.value, EventCategory.WEB.value),
        (EventType.ACCESS.value, EventType.ALLOWED.value),
        _OK,
    ),
    "304002": _Spec(
        "url-access",
        _rx(r"Access denied URL (?P<url>\S+) SRC (?P<sa>\S+) DEST (?P<da>\S+) on interface (?P<si>\S+)"),
        (EventCategory.NETWORK.value, EventCategory.WEB.value),
        (EventType.ACCESS.value, EventType.DENIED.value),
        _FAIL,
    ),
    **{
        str(number): _Spec(
            "dynamic-filter",
            _rx(
                r"Dynamic Filter (?P<filter_action>\S+) (?P<list_type>\S+) (?P<proto>\S+) traffic from "
                rf"{_SRC}"
                rf" \((?P<msa>{_ADDR})/(?P<msp>\d+)\) to {_DST} \((?P<mda>{_ADDR})/(?P<mdp>\d+)\), "
                r"(?P<list_side>source|destination) (?P<list_address>\S+) resolved from (?P<list_name>\S+) "
                r"list: "
                r"(?P<list_entry>[^,]+)(?:, threat-level: (?P<threat_level>[^,]+), category: "
                r"(?P<threat_category>.*))?"
            ),
            hook=_dynamic_filter,
        )
        for number in (*range(338001, 338009), 338101, 338102, 338103, 338104, *range(338201, 338205))
    },
    # -- connections and NAT ------------------------------------------------------------------
    "302013": _Spec("flow-creation", _BUILT, _NET, _START, _OK),
    "302015": _Spec("flow-creation", _BUILT, _NET, _START, _OK),
    "302014": _Spec("flow-expiration", _TEARDOWN, _NET, _END, _OK),
    "302016": _Spec("flow-expiration", _TEARDOWN, _NET, _END, _OK),
    "302018": _Spec("flow-expiration", _TEARDOWN, _NET, _END, _OK),
    "302020": _Spec("flow-creation", _ICMP_CONN, _NET, _START, _OK),
    "302021": _Spec("flow-expiration", _ICMP_CONN + _TEARDOWN, _NET, _END, _OK),
    "305011": _Spec(
        "nat-slot",
        _rx(
            rf"Built (?P<nat_type>dynamic|static) (?P<proto>\S+) translation from {_SRC}{_USER} "
            rf"to (?P<di>{_IF}):(?P<msa>{_ADDR})/(?P<msp>\d+)"
        ),
        _NET,
        (EventType.CREATION.value,),
        _OK,
    ),
    "305012": _Spec(
        "nat-slot",
        _rx(
            rf"Teardown (?P<nat_type>dynamic|static) (?P<proto>\S+) translation from {_SRC}{_USER} "
            rf"to (?P<di>{_IF}):(?P<msa>{_ADDR})/(?P<msp>\d+) duration (?P<duration>\d+:\d\d:\d\d)"
        ),
        _NET,
        (EventType.DELETION.value,),
        _OK,
    ),
    # -- authentication and administration ----------------------------------------------------
    "113004": _Spec(
        "logged-in",
        _rx(
            r"AAA user (?P<aaa_type>\S+) Successful\s*: server =\s*(?P<da>[^\s,:]+)\s*[:,]\s*[Uu]ser = "
            r"(?P<user>.+?)\s*$"
        ),
        _AUTH,
        (EventType.START.value, EventType.ALLOWED.value),
        _OK,
    ),
    "113005": _Spec(
        "logon-failed",
        _rx(
            r"AAA user (?P<aaa_type>\S+) Rejected\s*: reason = (?P<reason>.*?)\s*: server "
            r"=\s*(?P<da>[^\s,:]+)\s*[:,]\s*"
            r"[Uu]ser = (?P<user>.*?)\s*:\s*[Uu]ser IP = (?P<sa>\S+)"
        ),
        _AUTH,
        (EventType.START.value, EventType.DENIED.value),
        _FAIL,
    ),
    "113012": _Spec(
        "logged-in",
        _rx(r"AAA user authentication Successful\s*: local database\s*: [Uu]ser = (?P<user>.+?)\s*$"),
        _AUTH,
        (EventType.START.value, EventType.ALLOWED.value),
        _OK,
    ),
    "113015": _Spec(
        "logon-failed",
        _rx(
            r"AAA user authentication Rejected\s*: reason = (?P<reason>.*?)\s*: local database\s*: "
            r"[Uu]ser = (?P<user>.*?)\s*: [Uu]ser IP = (?P<sa>\S+)"
        ),
        _AUTH,
        (EventType.START.value, EventType.DENIED.value),
        _FAIL,
    ),
    "605004": _Spec(
        "logon-failed",
        _rx(
            r"Login (?P<verdict>denied|permitted) from (?P<sa>[^\s/]+)/(?P<sp>\d+) to "
            rf"(?P<si>{_IF}):(?P<da>{_ADDR})/"
            r"(?P<app>\S+) for user \"(?P<user>[^\"]*)\""
        ),
        _AUTH,
        hook=_login_verdict,
    ),
    "611101": _Spec(
        "logged-in",
        _rx(
            r"User authentication (?P<verdict>succeeded|failed): IP address: (?P<sa>[^\s,]+), Uname: "
            r"(?P<user>.+?)\s*$"
        ),
        _AUTH,
        hook=_login_verdict,
    ),
    "611103": _Spec(
        "logged-out",
        _rx(r"User logged out: Uname: (?P<user>.+?)\s*$"),
        _AUTH,
        (EventType.END.value,),
        _OK,
    ),
    "502103": _Spec(
        "privilege-level-changed",
        _rx(
            r"User priv level changed: Uname: (?P<user>\S+) From: (?P<privilege_old>\d+) To: "
            r"(?P<privilege_new>\d+)"
        ),
        (EventCategory.IAM.value,),
        (EventType.USER.value, EventType.CHANGE.value),
        _OK,
    ),
    "111008": _Spec(
        "configuration",
        _rx(r"User '(?P<user>[^']*)' executed the '(?P<command>.*)' command\.?\s*$"),
        _CONF,
        (EventType.CHANGE.value,),
        _OK,
    ),
    "111009": _Spec(
        "configuration",
        _rx(r"User '?(?P<user>[^'\s]*)'? executed cmd:\s*(?P<command>.*?)\.?\s*$"),
        _CONF,
        (EventType.INFO.value,),
        _OK,
    ),
    "111010": _Spec(
        "configuration",
        _rx(
            r"User '(?P<user>[^']*)', running '(?P<interface_type>[^']*)' from IP (?P<sa>[^\s,]+), "
            r"executed '(?P<command>.*)'\s*$"
        ),
        _CONF,
        (EventType.CHANGE.value,),
        _OK,
    ),
    # -- VPN ------------------------------------------------------------------------------------
    "113019": _Spec(
        "client-vpn-disconnected",
        _rx(
            r"Group = (?P<group>[^,]*), Username = (?P<user>[^,]*), IP = (?P<sa>[^,\s]+), Session "
            r"disconnected\. "
            r"Session Type: (?P<session_type>[^,]*), Duration: (?P<vpn_duration>[^,]*), Bytes xmt: "
            r"(?P<sbytes>\d+), "
            r"Bytes rcv: (?P<dbytes>\d+), Reason: (?P<reason>.*?)\s*$"
        ),
        _SESSION,
        (EventType.END.value,),
        _OK,
    ),
    "113039": _Spec("client-vpn-connected", _rx(*_VPN_GROUP), _SESSION, (EventType.START.value,), _OK),
    "722022": _Spec("client-vpn-connection", _rx(*_VPN_GROUP), _SESSION, (EventType.START.value,), _OK),
    "722023": _Spec("client-vpn-connection", _rx(*_VPN_GROUP), _SESSION, (EventType.END.value,), _OK),
    "722028": _Spec("client-vpn-connection", _rx(*_VPN_GROUP), _SESSION, (EventType.END.value,)),
    "722032": _Spec("client-vpn-connection", _rx(*_VPN_GROUP), _SESSION, (EventType.START.value,), _OK),
    "722033": _Spec("client-vpn-connection", _rx(*_VPN_GROUP), _SESSION, (EventType.START.value,), _OK),
    "722034": _Spec("client-vpn-connection", _rx(*_VPN_GROUP), _SESSION, (EventType.INFO.value,)),
    "722037": _Spec("client-vpn-connection", _rx(*_VPN_GROUP), _SESSION, (EventType.END.value,)),
    "722051": _Spec("address-assigned", _rx(*_VPN_GROUP), _SESSION, (EventType.INFO.value,), _OK),
    "722055": _Spec("client-vpn-connection", _rx(*_VPN_GROUP), _SESSION, (EventType.INFO.value,)),
    # -- threats --------------------------------------------------------------------------------
    **{
        str(number): _Spec(
            "ids-signature",
            _rx(
                r"IDS:(?P<sig>\d+) (?P<signature>.+?) from (?P<sa>\S+) to (?P<da>\S+) on interface "
                r"(?P<si>\S+)"
            ),
            alert=True,
            hook=_ids_category,
        )
        for number in range(400000, 400051)
    },
    "733100": _Spec(
        "threat-detection-rate-exceeded",
        _rx(
            r"(?:\[\s*(?P<signature>[^\]]*?)\s*\]|(?P<object>\S+)) drop (?P<rate_id>.+?) exceeded\. "
            r"Current burst rate is (?P<burst_rate>\d+) per second, max configured rate is "
            r"(?P<burst_max>\d+); "
            r"Current average rate is (?P<average_rate>\d+) per second, max configured rate is "
            r"(?P<average_max>\d+); "
            r"Cumulative total count is (?P<total_count>\d+)"
        ),
        alert=True,
        hook=lambda m, out: out.update(rule_category="threat-detection"),
    ),
    "733101": _Spec(
        "threat-detection-host",
        _rx(
            r"(?P<object>\S+) (?P<sa>\S+) (?P<role>is attacking|is targeted)\. "
            r"Current burst rate is (?P<burst_rate>\d+) per second, max configured rate is "
            r"(?P<burst_max>\d+); "
            r"Current average rate is (?P<average_rate>\d+) per second, max configured rate is "
            r"(?P<average_max>\d+); "
            r"Cumulative total count is (?P<total_count>\d+)"
        ),
        alert=True,
        hook=_threat_target,
    ),
}
_SPECS["605005"] = _SPECS["605004"]
_SPECS["611102"] = _SPECS["611101"]

# Ids outside the table: "from [if:]addr[/port] to [if:]addr[/port]" is source → destination in
# every ASA message that has it.
_GENERIC_FLOW = re.compile(
    rf"\bfrom (?:(?P<si>{_IF}):)??(?P<sa>[0-9A-Fa-f:.]+?)(?:/(?P<sp>\d+))?\s*(?:\([^()]*\)\s*)?"
    rf"to (?:(?P<di>{_IF}):)??(?P<da>[0-9A-Fa-f:.]+?)(?:/(?P<dp>\d+))?(?=[\s,;]|\.(?:\s|$)|$)"
)
# groups _apply turns into ECS (or consumes); every other group goes under cisco.asa.*
_ECS_GROUPS = frozenset(
    {
        "si",
        "sa",
        "sp",
        "di",
        "da",
        "dp",
        "msa",
        "msp",
        "mda",
        "mdp",
        "proto",
        "num",
        "dir",
        "user",
        "acl",
        "sig",
        "signature",
        "reason",
        "duration",
        "bytes",
        "sbytes",
        "dbytes",
        "app",
        "url",
        "role",
        "faddr",
        "gaddr",
        "laddr",
        "fnum",
        "gnum",
        "lnum",
    }
)


_INT_GROUPS = frozenset(
    {
        "icmp_type",
        "icmp_code",
        "hit_count",
        "burst_rate",
        "burst_max",
        "average_rate",
        "average_max",
        "total_count",
        "fragment_size",
        "fragment_offset",
        "privilege_old",
        "privilege_new",
    }
)
