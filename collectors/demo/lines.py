"""One raw log line per device family, in the exact shape that family's parser reads.

Each formatter takes the simulated POSIX time and what happened (a :class:`Flow`, a
:class:`Detection`, a :class:`WebRequest` …) and returns the bytes the device would send,
header included. Device clocks run on China Standard Time (UTC+8 all year, no daylight
saving), written the way each vendor writes it. The shapes mirror the samples under
``collectors/parsers/<family>/samples/``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

__all__ = [
    "CST",
    "Detection",
    "Flow",
    "WebRequest",
    "apache_access",
    "asa_built",
    "asa_deny",
    "asa_teardown",
    "eve_alert",
    "eve_dns",
    "eve_flow",
    "eve_http",
    "eve_tls",
    "fgt_admin_login",
    "fgt_traffic",
    "fgt_vpn_login_fail",
    "fgt_vpn_tunnel_up",
    "h3c_filter",
    "h3c_ips",
    "h3c_portscan",
    "h3c_session",
    "hillstone_flow",
    "huawei_ips",
    "iptables",
    "modsec_audit",
    "nginx_access",
    "nsfocus_access",
    "nsfocus_websec",
    "nsg_flow",
    "qianxin_waf",
    "safeline_event",
    "sangfor_flow",
    "sangfor_web",
    "snort_alert",
    "squid_access",
    "topsec_ac",
    "topsec_conn",
    "usg_admin_login",
    "usg_flow",
    "usg_policy",
]

CST = dt.timezone(dt.timedelta(hours=8), "CST")  # Asia/Shanghai: UTC+8 all year since 1991
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_IANA = {"tcp": 6, "udp": 17, "icmp": 1}


@dataclass(frozen=True, slots=True)
class Flow:
    """One network session as a firewall sees it (``sent`` is client → server)."""

    src: str
    sport: int
    dst: str
    dport: int
    proto: str = "tcp"  # tcp | udp | icmp
    app: str = "HTTPS"
    allowed: bool = True
    src_zone: str = "trust"
    dst_zone: str = "untrust"
    rule: str = ""
    sent: int = 0
    rcvd: int = 0
    sent_pkts: int = 0
    rcvd_pkts: int = 0
    duration: int = 0  # seconds; the session began this long before the line's time
    nat_ip: str | None = None
    nat_port: int | None = None
    user: str | None = None


@dataclass(frozen=True, slots=True)
class Detection:
    """An IDS/IPS/WAF signature hit. ``severity`` is ours: 1 (info) … 5 (critical)."""

    src: str
    sport: int
    dst: str
    dport: int
    name: str
    sid: int
    category: str
    severity: int
    blocked: bool
    proto: str = "tcp"
    app: str = "HTTP"
    src_zone: str = "untrust"
    dst_zone: str = "dmz"
    host: str | None = None  # HTTP Host
    uri: str | None = None  # path and query as requested
    method: str = "GET"
    user_agent: str | None = None
    cve: str | None = None


@dataclass(frozen=True, slots=True)
class WebRequest:
    """One HTTP request and its answer."""

    client: str
    cport: int
    server: str
    sport: int  # server port
    host: str
    method: str
    uri: str
    status: int
    size: int
    referer: str = "-"
    user_agent: str = "-"
    user: str = "-"


# -- time shapes ---------------------------------------------------------------------------------


def _local(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, CST)


def _bsd(d: dt.datetime) -> str:
    """``Nov 27 15:00:01`` (day padded with a space, as RFC 3164 writes it)."""
    return f"{_MONTHS[d.month - 1]} {d.day:2d} {d:%H:%M:%S}"


def _bsd_year(d: dt.datetime) -> str:
    """``Nov 27 2026 15:00:01`` (Huawei, Cisco with ``logging timestamp`` and year)."""
    return f"{_MONTHS[d.month - 1]} {d.day:2d} {d.year} {d:%H:%M:%S}"


def _iso(d: dt.datetime) -> str:
    return f"{d:%Y-%m-%d %H:%M:%S}"


def _clf(d: dt.datetime) -> str:
    """Common Log Format time: ``27/Nov/2026:16:00:00 +0800``."""
    return f"{d.day:02d}/{_MONTHS[d.month - 1]}/{d.year}:{d:%H:%M:%S} +0800"


def _duration(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- Huawei USG (huawei.usg) and NIP (huawei.ips) ------------------------------------------------


def usg_flow(t: float, host: str, flow: Flow) -> bytes:
    """A finished session (``SECLOG/6/SESSION_TEARDOWN``) or a denied packet (``POLICY/6/POLICYDENY``)."""
    d = _local(t)
    if not flow.allowed:
        return usg_policy(t, host, flow)
    nat = ""
    if flow.nat_ip is not None:
        nat = f"SourceNatIP={flow.nat_ip},SourceNatPort={flow.nat_port},"
    user = f"UserName={flow.user}," if flow.user else ""
    reason = "tcp-fin" if flow.proto == "tcp" else "aged-out"
    begin = int(t) - flow.duration
    return (
        f"<190>{_bsd_year(d)} {host} %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4,Protocol={flow.proto},"
        f"SourceIP={flow.src},DestinationIP={flow.dst},SourcePort={flow.sport},DestinationPort={flow.dport},"
        f"{nat}BeginTime={begin},EndTime={int(t)},SendPkts={flow.sent_pkts},SendBytes={flow.sent},"
        f"RcvPkts={flow.rcvd_pkts},RcvBytes={flow.rcvd},SourceVpnID=0,DestinationVpnID=0,"
        f"SourceZone={flow.src_zone},DestinationZone={flow.dst_zone},PolicyName={flow.rule},{user}"
        f"CloseReason={reason}."
    ).encode()


def usg_policy(t: float, host: str, flow: Flow) -> bytes:
    """A security-policy match: ``POLICYPERMIT`` or ``POLICYDENY``."""
    d = _local(t)
    word = "POLICYPERMIT" if flow.allowed else "POLICYDENY"
    app = flow.app if flow.allowed else ""
    return (
        f"<190>{_bsd_year(d)} {host} %%01POLICY/6/{word}(l):vsys=public, protocol={_IANA[flow.proto]}, "
        f"source-ip={flow.src}, source-port={flow.sport}, destination-ip={flow.dst}, "
        f"destination-port={flow.dport}, time={d:%Y/%m/%d %H:%M:%S}, source-zone={flow.src_zone}, "
        f"destination-zone={flow.dst_zone}, application-name={app}, rule-name={flow.rule}."
    ).encode()


def usg_admin_login(t: float, host: str, user: str, ip: str, number: int) -> bytes:
    """An administrator logged in over SSH/HTTPS (``SHELL/5/LOGIN``)."""
    return (
        f"<189>{_bsd_year(_local(t))} {host} %%01SHELL/5/LOGIN(l)[{number}]:"
        "The user succeeded in logging in. "
        f"(UserName={user}, IPAddress={ip}, VpnName=)"
    ).encode()


_HUAWEI_SEVERITY = {1: "information", 2: "low", 3: "medium", 4: "high", 5: "high"}


def huawei_ips(t: float, host: str, det: Detection, syslog_id: int) -> bytes:
    """``IPS/4/DETECT``: a signature matched (NIP appliance or USG with IPS licence)."""
    action = "Block" if det.blocked else "Alert"
    reference = det.cve or "NA"
    return (
        f"<188>{_bsd_year(_local(t))} {host} %%01IPS/4/DETECT(l):An intrusion was detected. "
        f'(SyslogId={syslog_id}, VSys="public", Policy="ips_{det.dst_zone}", '
        f"SrcIp={det.src}, DstIp={det.dst}, "
        f"SrcPort={det.sport}, DstPort={det.dport}, SrcZone={det.src_zone}, DstZone={det.dst_zone}, "
        f'User="unknown", Protocol={det.proto.upper()}, Application="{det.app}", Profile="default", '
        f'SignName="{det.name}", SignId={det.sid}, EventNum=1, Target=server, '
        f"Severity={_HUAWEI_SEVERITY[det.severity]}, Os=all, Category={det.category}, "
        f"Reference={reference}, Action={action})"
    ).encode()


# -- H3C SecPath (h3c.secpath, h3c.ips) ----------------------------------------------------------


def _h3c_header(d: dt.datetime, host: str, pri: int = 190) -> str:
    return f"<{pri}>{_bsd(d)} {d.year} {host}"


def _h3c_utc(t: float) -> str:
    """``BeginTime_e`` and ``EndTime_e`` are UTC, written MMDDYYYYhhmmss."""
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%m%d%Y%H%M%S")


def h3c_session(t: float, host: str, flow: Flow) -> bytes:
    """A closed session (``SESSION_IPV4_FLOW``, ``(1)Normal over``)."""
    d = _local(t)
    nat_ip = flow.nat_ip or flow.src
    nat_port = flow.nat_port if flow.nat_port is not None else flow.sport
    return (
        f"{_h3c_header(d, host)} %%10session/6/SESSION_IPV4_FLOW: Protocol(1001)={flow.proto.upper()};"
        f"Application(1002)={flow.app.lower()};SrcIPAddr(1003)={flow.src};SrcPort(1004)={flow.sport};"
        f"NatSrcIPAddr(1005)={nat_ip};NatSrcPort(1006)={nat_port};DstIPAddr(1007)={flow.dst};"
        f"DstPort(1008)={flow.dport};NatDstIPAddr(1009)={flow.dst};NatDstPort(1010)={flow.dport};"
        f"InitPktCount(1044)={flow.sent_pkts};InitByteCount(1046)={flow.sent};"
        f"RplyPktCount(1045)={flow.rcvd_pkts};RplyByteCount(1047)={flow.rcvd};RcvVPNInstance(1042)=;"
        f"SndVPNInstance(1043)=;RcvDSLiteTunnelPeer(1040)=;SndDSLiteTunnelPeer(1041)=;"
        f"BeginTime_e(1013)={_h3c_utc(t - flow.duration)};EndTime_e(1014)={_h3c_utc(t)};"
        f"Event(1048)=(1)Normal over;"
    ).encode()


def h3c_filter(t: float, host: str, flow: Flow, rule_id: int) -> bytes:
    """An interzone policy match (``FILTER_ZONE_IPV4_EXECUTION``), Permit or Deny."""
    d = _local(t)
    if flow.proto == "icmp":
        ports = f"SrcIPAddr(1003)={flow.src};DstIPAddr(1007)={flow.dst};IcmpType(1062)=8;IcmpCode(1063)=0;"
    else:
        ports = (
            f"SrcIPAddr(1003)={flow.src};SrcPort(1004)={flow.sport};DstIPAddr(1007)={flow.dst};"
            f"DstPort(1008)={flow.dport};"
        )
    return (
        f"{_h3c_header(d, host)} %%10FILTER/6/FILTER_ZONE_IPV4_EXECUTION: SrcZoneName(1025)={flow.src_zone};"
        f"DstZoneName(1035)={flow.dst_zone};Type(1067)=ACL;SecurityPolicy(1072)={flow.rule};"
        f"RuleID(1078)={rule_id};Protocol(1001)={flow.proto.upper()};Application(1002)={flow.app.lower()};"
        f"{ports}MatchCount(1069)=1;Event(1048)={'Permit' if flow.allowed else 'Deny'};"
    ).encode()


_H3C_SEVERITY = {1: "LOW", 2: "LOW", 3: "MEDIUM", 4: "HIGH", 5: "CRITICAL"}


def h3c_ips(t: float, host: str, det: Detection, policy: str = "ips_core") -> bytes:
    """An IPS signature hit between zones (``IPS_IPV4_INTERZONE``)."""
    action = "Drop & Logging" if det.blocked else "Permit & Logging"
    return (
        f"{_h3c_header(_local(t), host, 188)} %%10IPS/4/IPS_IPV4_INTERZONE: "
        f"Protocol(1001)={det.proto.upper()}; "
        f"Application(1002)={det.app.lower()}; SrcIPAddr(1003)={det.src}; SrcPort(1004)={det.sport}; "
        f"DstIPAddr(1007)={det.dst}; DstPort(1008)={det.dport}; RcvVPNInstance(1042)=; "
        f"SrcZoneName(1025)={det.src_zone}; DstZoneName(1035)={det.dst_zone}; PolicyName(1079)={policy}; "
        f"AttackName(1088)={det.name}; AttackID(1089)={det.sid}; Category(1090)={det.category}; "
        f"Protection(1091)=Any; SubProtection(1092)=Any; Severity(1087)={_H3C_SEVERITY[det.severity]}; "
        f"Action(1053)={action}; CVE(1075)={det.cve or '--'}; BID(1076)=--; MSB(1077)=--; "
        f"HitDirection(1115)=original; RealSrcIP(1100)=; SubCategory(1124)=Any; "
    ).encode()


def h3c_portscan(t: float, host: str, src: str, dst: str) -> bytes:
    """The attack-defence module saw a port scan (``ATK/3/ATK_IP4_PORTSCAN``)."""
    d = _local(t)
    return (
        f"{_h3c_header(d, host, 187)} %%10ATK/3/ATK_IP4_PORTSCAN: SubModule(1127)=SINGLE;"
        f"RcvIfName(1023)=GigabitEthernet1/0/2;Protocol(1001)=TCP;SrcIPAddr(1003)={src};"
        f"SndDSLiteTunnelPeer(1041)=--;RcvVPNInstance(1042)=;DstIPAddr(1007)={dst};"
        f"Action(1053)=logging;BeginTime_c(1011)={d:%Y%m%d%H%M%S}."
    ).encode()


# -- Hillstone StoneOS (hillstone.stoneos) -------------------------------------------------------


def hillstone_flow(t: float, host: str, flow: Flow, policy: int) -> bytes:
    """``Traffic@FLOW: SESSION`` — the end of an allowed session, or a policy deny."""
    d = _local(t)
    head = f"<190>{_bsd(d)} {host}(root)"
    proto = flow.proto.upper()
    if not flow.allowed:
        return (
            f"{head} 4424362f Traffic@FLOW: SESSION: "
            f"{flow.src}:{flow.sport}->{flow.dst}:{flow.dport}({proto}), "
            f"interface ethernet0/2, vr trust-vr, policy {policy}, user -@-, host -, mac 0000.0000.0000, "
            "policy deny"
        ).encode()
    user = f"{flow.user}@local" if flow.user else "-@-"
    start = _iso(_local(t - flow.duration))
    close = "TCP FIN" if flow.proto == "tcp" else "Ageout"
    return (
        f"{head} 44243624 Traffic@FLOW: SESSION: {flow.src}:{flow.sport}->{flow.dst}:{flow.dport}({proto}), "
        f"application {flow.app}, interface ethernet0/2, vr trust-vr, policy {policy}, user {user}, host -, "
        f"send packets {flow.sent_pkts},send bytes {flow.sent},receive packets {flow.rcvd_pkts},"
        f"receive bytes {flow.rcvd},start time {start},close time {_iso(d)},session end,{close} "
    ).encode()


# -- Sangfor AF (sangfor.af) ---------------------------------------------------------------------


def _sangfor_header(d: dt.datetime, host: str) -> str:
    return f"<134>{d:%Y-%m-%dT%H:%M:%S}+08:00 {host} fwlog:"


def sangfor_flow(t: float, host: str, flow: Flow) -> bytes:
    """``服务控制或应用控制``: an application-control decision, 允许 or 拒绝."""
    user = flow.user or "(null)"
    return (
        f"{_sangfor_header(_local(t), host)} 日志类型:服务控制或应用控制, 策略名称:{flow.rule}, 用户:{user}, "
        f"源IP:{flow.src}, 源端口:{flow.sport}, 目的IP:{flow.dst}, 目的端口:{flow.dport}, "
        f"应用类型:{flow.app}, 应用名称:网站浏览, 系统动作:{'允许' if flow.allowed else '拒绝'}"
    ).encode()


def sangfor_web(t: float, host: str, src: str, dst: str, url: str, category: str, user: str | None) -> bytes:
    """``网站访问``: a web page visit recorded by the AF's URL audit."""
    return (
        f"{_sangfor_header(_local(t), host)} 日志类型:网站访问, 用户:{user or '(null)'}, 源IP:{src}, "
        f"目的IP:{dst}, 应用名称:{category}, 系统动作:被记录, URL:{url}"
    ).encode()


# -- Qi-anxin NSG (qianxin.nsg) ------------------------------------------------------------------


def nsg_flow(t: float, host: str, flow: Flow, session_id: int) -> bytes:
    """``type="traffic-end"``: a closed (or refused) session with its counters."""
    d = _local(t)
    severity, pri = ("info", 6) if flow.allowed else ("warning", 4)
    fields = {
        "devid": "3",
        "dname": host,
        "serial": "7c2e4a90b1d35f68a0c9e3d21f4b6a8c0d2e4f61",
        "module": "flow",
        "severity": severity,
        "vsys": "root-vsys",
        "type": "traffic-end",
        "session_id": str(session_id),
        "time": str(int(t)),
        "addr_src": flow.src,
        "addr_dst": flow.dst,
        "nataddr_src": flow.nat_ip or "::",
        "nataddr_dst": "::",
        "natport_src": str(flow.nat_port or 0),
        "natport_dst": "0",
        "proto": flow.proto.upper(),
        "hit_num": "0",
        "focus_type": "NO",
        "action": "permit" if flow.allowed else "deny",
        "session_time": "10486992",
        "sess_nth": "0",
        "sess_dev_id": "0",
        "port_src": str(flow.sport),
        "port_dst": str(flow.dport),
        "user_src": flow.user or "",
        "user_dst": "",
        "locale_src": "内网",
        "locale_dst": "内网",
        "interface_src": "ge0/1",
        "interface_dst": "ge0/2",
        "zone_src": flow.src_zone,
        "zone_dst": flow.dst_zone,
        "appname": flow.app,
        "rule": flow.rule,
        "profile": "",
        "non_standard_port": "NO",
        "app_category": "APP_WEB" if flow.app in ("HTTP", "HTTPS") else "APP_NETWORK",
        "app_risk": "3",
        "asset_os_src": "",
        "asset_os_dst": "",
        "asset_name_src": "",
        "asset_name_dst": "",
        "asset_type_src": "",
        "asset_type_dst": "",
        "duration": str(flow.duration),
        "bytes_sent": str(flow.sent),
        "bytes_received": str(flow.rcvd),
        "pkts_sent": str(flow.sent_pkts),
        "pkts_received": str(flow.rcvd_pkts),
        "total_sess": "0",
        "from_tunnel": "",
        "to_tunnel": "",
    }
    body = " ".join(f'{k}="{v}"' for k, v in fields.items())
    return f"<{pri}> {_bsd(d)} {d.year} NSG {body}".encode()


# -- Topsec TOS (topsec.tos) ---------------------------------------------------------------------


def _topsec_head(d: dt.datetime, host: str) -> str:
    return f'<134>{_bsd(d)} {host} id=tos time="{_iso(d)}" fw={host} '


def topsec_ac(t: float, host: str, flow: Flow, conn_id: int, policy_id: int) -> bytes:
    """``type=ac``: an access-control decision (accept / deny)."""
    d = _local(t)
    return (
        f"{_topsec_head(d, host)} pri=6 type=ac recorder=FW-NAT src={flow.src} dst={flow.dst} "
        f"sport={flow.sport} dport={flow.dport} smac=00:e0:fc:12:34:56 dmac=00:90:fb:65:43:21 "
        f"proto={flow.proto} indev=eth1 outdev=eth2 user= rule={'accept' if flow.allowed else 'deny'} "
        f'connid={conn_id} parentid=0 dpiid=0 natid=0 policyid={policy_id} policyname={flow.rule} msg="null"'
    ).encode()


def topsec_conn(t: float, host: str, flow: Flow, conn_id: int) -> bytes:
    """``type=conn``: a closed connection with its counters."""
    d = _local(t)
    return (
        f"{_topsec_head(d, host)} pri=6 type=conn  src={flow.src} dst={flow.dst} proto={flow.proto} "
        f"sport={flow.sport} dport={flow.dport} \t\t\tinpkt={flow.sent_pkts} outpkt={flow.rcvd_pkts} "
        f'sent={flow.sent} rcvd={flow.rcvd} duration={flow.duration} connid={conn_id} msg="null"'
    ).encode()


# -- FortiGate (fortinet.fortigate) --------------------------------------------------------------

_FGT_SERIAL = "FG200FTK24000042"


def _fgt_head(t: float, host: str, pri: int, logid: str, kind: str, subtype: str, level: str) -> str:
    d = _local(t)
    return (
        f'<{pri}>date={d:%Y-%m-%d} time={d:%H:%M:%S} devname="{host}" devid="{_FGT_SERIAL}" '
        f'eventtime={int(t) * 1_000_000_000} tz="+0800" logid="{logid}" type="{kind}" subtype="{subtype}" '
        f'level="{level}" vd="root"'
    )


def _fgt_role(interface: str) -> str:
    if interface.startswith("wan"):
        return "wan"
    return "lan" if interface.startswith("port") else "undefined"


def fgt_traffic(
    t: float,
    host: str,
    flow: Flow,
    session_id: int,
    policy_id: int,
    srcintf: str = "ssl.root",
    dstintf: str = "port3",
) -> bytes:
    """A traffic log: a forwarded session closed (``close``), or a session was denied (``deny``)."""
    subtype, logid = ("local", "0001000014") if dstintf == "root" else ("forward", "0000000013")
    head = _fgt_head(t, host, 189, logid, "traffic", subtype, "notice")
    action = "close" if flow.allowed else "deny"
    user = f' user="{flow.user}" group="SSLVPN-Staff"' if flow.user else ""
    return (
        f'{head} srcip={flow.src} srcport={flow.sport} srcintf="{srcintf}" '
        f'srcintfrole="{_fgt_role(srcintf)}" '
        f'dstip={flow.dst} dstport={flow.dport} dstintf="{dstintf}" dstintfrole="{_fgt_role(dstintf)}" '
        f"sessionid={session_id} "
        f'proto={_IANA[flow.proto]} action="{action}" policyid={policy_id} policytype="policy" '
        f'policyname="{flow.rule}"{user} service="{flow.app}" trandisp="noop" duration={flow.duration} '
        f"sentbyte={flow.sent} rcvdbyte={flow.rcvd} sentpkt={flow.sent_pkts} rcvdpkt={flow.rcvd_pkts}"
    ).encode()


def fgt_vpn_login_fail(t: float, host: str, user: str, remip: str) -> bytes:
    """``SSL VPN login fail`` (logid 0101039426)."""
    head = _fgt_head(t, host, 189, "0101039426", "event", "vpn", "alert")
    return (
        f'{head} logdesc="SSL VPN login fail" action="ssl-login-fail" tunneltype="ssl-web" tunnelid=0 '
        f'remip={remip} user="{user}" group="N/A" dst_host="N/A" reason="sslvpn_login_permission_denied" '
        f'msg="SSL user failed to logged in"'
    ).encode()


def fgt_vpn_tunnel_up(t: float, host: str, user: str, remip: str, tunnel_ip: str, tunnel_id: int) -> bytes:
    """``SSL VPN tunnel up`` (logid 0101039947): a user's tunnel is established."""
    head = _fgt_head(t, host, 190, "0101039947", "event", "vpn", "information")
    return (
        f'{head} logdesc="SSL VPN tunnel up" action="tunnel-up" tunneltype="ssl-tunnel" tunnelid={tunnel_id} '
        f'remip={remip} tunnelip={tunnel_ip} user="{user}" group="SSLVPN-Staff" dst_host="N/A" reason="N/A" '
        f'msg="SSL tunnel established"'
    ).encode()


def fgt_admin_login(t: float, host: str, user: str, ip: str, dst: str) -> bytes:
    """``Admin login successful`` (logid 0100032001)."""
    head = _fgt_head(t, host, 190, "0100032001", "event", "system", "information")
    return (
        f'{head} logdesc="Admin login successful" sn="0" user="{user}" ui="https({ip})" method="https" '
        f'srcip={ip} dstip={dst} action="login" status="success" reason="none" profile="super_admin" '
        f'msg="Administrator {user} logged in successfully from https({ip})"'
    ).encode()


# -- Cisco ASA (cisco.asa) -----------------------------------------------------------------------


def _asa_head(t: float, host: str, pri: int) -> str:
    return f"<{pri}>{_bsd_year(_local(t))} {host} :"


def asa_built(t: float, host: str, flow: Flow, conn_id: int, outbound: bool) -> bytes:
    """``302013``/``302015``: a connection was built (``for`` names the outside end)."""
    kind, number = ("TCP", "302013") if flow.proto == "tcp" else ("UDP", "302015")
    if outbound:  # inside host opened it: "for outside:server to inside:client"
        far, near = (flow.dst, flow.dport, flow.dst_zone), (flow.src, flow.sport, flow.src_zone)
        direction = "outbound"
    else:
        far, near = (flow.src, flow.sport, flow.src_zone), (flow.dst, flow.dport, flow.dst_zone)
        direction = "inbound"
    return (
        f"{_asa_head(t, host, 166)} %ASA-6-{number}: Built {direction} {kind} connection {conn_id} for "
        f"{far[2]}:{far[0]}/{far[1]} ({far[0]}/{far[1]}) to "
        f"{near[2]}:{near[0]}/{near[1]} ({near[0]}/{near[1]})"
    ).encode()


def asa_teardown(t: float, host: str, flow: Flow, conn_id: int, outbound: bool) -> bytes:
    """``302014``/``302016``: the connection closed, with its duration and bytes."""
    if outbound:
        far, near = (flow.dst, flow.dport, flow.dst_zone), (flow.src, flow.sport, flow.src_zone)
    else:
        far, near = (flow.src, flow.sport, flow.src_zone), (flow.dst, flow.dport, flow.dst_zone)
    total = flow.sent + flow.rcvd
    if flow.proto == "tcp":
        return (
            f"{_asa_head(t, host, 166)} %ASA-6-302014: Teardown TCP connection {conn_id} for "
            f"{far[2]}:{far[0]}/{far[1]} to {near[2]}:{near[0]}/{near[1]} "
            f"duration {_duration(flow.duration)} "
            f"bytes {total} TCP FINs from {near[2]}"
        ).encode()
    return (
        f"{_asa_head(t, host, 166)} %ASA-6-302016: Teardown UDP connection {conn_id} for "
        f"{far[2]}:{far[0]}/{far[1]} to {near[2]}:{near[0]}/{near[1]} duration {_duration(flow.duration)} "
        f"bytes {total}"
    ).encode()


def asa_deny(t: float, host: str, flow: Flow, acl: str) -> bytes:
    """``106023``: an access-group denied the packet."""
    return (
        f"{_asa_head(t, host, 164)} %ASA-4-106023: Deny {flow.proto} "
        f"src {flow.src_zone}:{flow.src}/{flow.sport} "
        f'dst {flow.dst_zone}:{flow.dst}/{flow.dport} by access-group "{acl}" [0x0, 0x0]'
    ).encode()


# -- Suricata EVE (suricata.eve) -----------------------------------------------------------------


def _eve_time(t: float, micros: int) -> str:
    return f"{_local(t):%Y-%m-%dT%H:%M:%S}.{micros:06d}+0800"


def _eve_line(t: float, host: str, record: dict[str, object]) -> bytes:
    return f"<134>{_bsd(_local(t))} {host} suricata[2231]: {_json(record)}".encode()


_SURICATA_SEVERITY = {1: 4, 2: 3, 3: 2, 4: 1, 5: 1}  # ours → Suricata's 1 (high) … 4 (low)


def eve_alert(t: float, host: str, det: Detection, flow_id: int, micros: int = 0) -> bytes:
    """``event_type: alert``, with the HTTP transaction when there is one."""
    record: dict[str, object] = {
        "timestamp": _eve_time(t, micros),
        "flow_id": flow_id,
        "in_iface": "ens1f1",
        "event_type": "alert",
        "src_ip": det.src,
        "src_port": det.sport,
        "dest_ip": det.dst,
        "dest_port": det.dport,
        "proto": det.proto.upper(),
        "alert": {
            "action": "blocked" if det.blocked else "allowed",
            "gid": 1,
            "signature_id": det.sid,
            "rev": 3,
            "signature": det.name,
            "category": det.category,
            "severity": _SURICATA_SEVERITY[det.severity],
        },
    }
    if det.uri is not None:
        http: dict[str, object] = {"hostname": det.host or det.dst, "url": det.uri, "http_method": det.method}
        if det.user_agent:
            http["http_user_agent"] = det.user_agent
        http["protocol"] = "HTTP/1.1"
        record["http"] = http
        record["app_proto"] = "http"
    record["direction"] = "to_server"
    record["host"] = host
    return _eve_line(t, host, record)


def eve_flow(t: float, host: str, flow: Flow, flow_id: int, app_proto: str, micros: int = 0) -> bytes:
    """``event_type: flow``: a finished flow with both directions' counters."""
    start = t - flow.duration
    record: dict[str, object] = {
        "timestamp": _eve_time(t, micros),
        "flow_id": flow_id,
        "in_iface": "ens1f1",
        "event_type": "flow",
        "src_ip": flow.src,
        "src_port": flow.sport,
        "dest_ip": flow.dst,
        "dest_port": flow.dport,
        "proto": flow.proto.upper(),
        "app_proto": app_proto,
        "flow": {
            "pkts_toserver": flow.sent_pkts,
            "pkts_toclient": flow.rcvd_pkts,
            "bytes_toserver": flow.sent,
            "bytes_toclient": flow.rcvd,
            "start": _eve_time(start, 0),
            "end": _eve_time(t, micros),
            "age": flow.duration,
            "state": "closed" if flow.proto == "tcp" else "established",
            "reason": "timeout",
            "alerted": False,
        },
        "host": host,
    }
    return _eve_line(t, host, record)


def eve_dns(
    t: float, host: str, src: str, sport: int, dst: str, name: str, rrtype: str, flow_id: int, query_id: int
) -> bytes:
    """``event_type: dns``: a query seen on the mirror (EVE DNS v2 ``type: query``)."""
    record = {
        "timestamp": _eve_time(t, query_id % 1_000_000),
        "flow_id": flow_id,
        "in_iface": "ens1f1",
        "event_type": "dns",
        "src_ip": src,
        "src_port": sport,
        "dest_ip": dst,
        "dest_port": 53,
        "proto": "UDP",
        "dns": {"type": "query", "id": query_id, "rrname": name, "rrtype": rrtype, "tx_id": 0, "opcode": 0},
        "host": host,
    }
    return _eve_line(t, host, record)


def eve_http(t: float, host: str, req: WebRequest, flow_id: int, micros: int = 0) -> bytes:
    """``event_type: http``: one request/response pair."""
    record = {
        "timestamp": _eve_time(t, micros),
        "flow_id": flow_id,
        "in_iface": "ens1f1",
        "event_type": "http",
        "src_ip": req.client,
        "src_port": req.cport,
        "dest_ip": req.server,
        "dest_port": req.sport,
        "proto": "TCP",
        "tx_id": 0,
        "http": {
            "hostname": req.host,
            "url": req.uri,
            "http_user_agent": req.user_agent,
            "http_method": req.method,
            "protocol": "HTTP/1.1",
            "status": req.status,
            "length": req.size,
        },
        "host": host,
    }
    return _eve_line(t, host, record)


def eve_tls(t: float, host: str, flow: Flow, sni: str, flow_id: int, micros: int = 0) -> bytes:
    """``event_type: tls``: the client hello's server name and version."""
    record = {
        "timestamp": _eve_time(t, micros),
        "flow_id": flow_id,
        "in_iface": "ens1f1",
        "event_type": "tls",
        "src_ip": flow.src,
        "src_port": flow.sport,
        "dest_ip": flow.dst,
        "dest_port": flow.dport,
        "proto": "TCP",
        "tls": {"sni": sni, "version": "TLS 1.3"},
        "host": host,
    }
    return _eve_line(t, host, record)


# -- Snort (snort.alert) -------------------------------------------------------------------------

_SNORT_PRIORITY = {1: 4, 2: 3, 3: 2, 4: 1, 5: 1}  # ours → Snort priority (1 = most urgent)


def snort_alert(t: float, det: Detection, micros: int = 0) -> bytes:
    """A fast-format alert with the year (``snort -y``), as a file forwarder sends it."""
    d = _local(t)
    stamp = f"{d:%m/%d/%y-%H:%M:%S}.{micros:06d}"
    if det.proto == "icmp":
        ends = f"{det.src} -> {det.dst}"
    else:
        ends = f"{det.src}:{det.sport} -> {det.dst}:{det.dport}"
    verdict = "[Drop] " if det.blocked else " "
    return (
        f"{stamp} {verdict}[**] [1:{det.sid}:2] {det.name} [**] [Classification: {det.category}] "
        f"[Priority: {_SNORT_PRIORITY[det.severity]}] {{{det.proto.upper()}}} {ends}"
    ).encode()


# -- NSFOCUS WAF (nsfocus.waf) -------------------------------------------------------------------


def nsfocus_access(t: float, host: str, req: WebRequest, site_id: int, correlation: int) -> bytes:
    """``waf_log_webaccess``: an access the WAF passed to the site."""
    d = _local(t)
    agent = req.user_agent.replace(" ", "%20")
    return (
        f"<14>{_bsd(d)} {host} waf: tag:waf_log_webaccess site_id:{site_id}  protect_id:1  "
        f"stat_time:{_iso(d)}  alertlevel:LOW  event_type:WEB Access Logs  dst_ip:{req.server}  "
        f"dst_port:{req.sport}  url:{req.uri}  "
        f"src_ip:{req.client}  src_port:{req.cport}  method:{req.method}  agent:{agent}  count_num:1  "
        f"wa_host:{req.host}  wa_referer:{req.referer}  http_protocol:HTTP/1.1  protocol_type:HTTP  "
        f"wci:Tm9uZQ==  wsi:Tm9uZQ==  country:Local area Network  action:Other  req_content_type:None  "
        f"req_content_len:0  res_content_type:text/html  res_content_len:{req.size}  waf_status_code:0  "
        f"ser_status_code:{req.status}  correlation_id:{correlation}"
    ).encode()


_NSFOCUS_LEVEL = {1: "LOW", 2: "LOW", 3: "MEDIUM", 4: "HIGH", 5: "HIGH"}


def nsfocus_websec(t: float, host: str, det: Detection, site_id: int) -> bytes:
    """``waf_log_websec``: an attack the WAF detected (and blocked or let through)."""
    d = _local(t)
    action, block = ("Block", "Yes") if det.blocked else ("Accept", "No")
    return (
        f"<11>{_bsd(d)} {host} waf: tag:waf_log_websec site_id:{site_id}  protect_id:1  dst_ip:{det.dst}  "
        f"dst_port:{det.dport}  src_ip:{det.src}  src_port:{det.sport}  method:{det.method}  "
        f"domain:{det.host}  uri:{det.uri}  alertlevel:{_NSFOCUS_LEVEL[det.severity]}  "
        f"event_type:{det.category}  "
        f"stat_time:{_iso(d)}  policy_id:2359295  rule_id:{det.sid}  action:{action}  block:{block}  "
        f"block_info:None  http:{det.method} {det.uri} HTTP/1.1"
    ).encode()


# -- Qi-anxin WAF (qianxin.waf) ------------------------------------------------------------------


def qianxin_waf(t: float, host: str, det: Detection, public_ip: str, profile_id: int) -> bytes:
    """``WAF:`` a signature-rule hit on the portal (``action`` BLOCK or CONTINUE)."""
    d = _local(t)
    path, _, args = (det.uri or "/").partition("?")
    action = "BLOCK" if det.blocked else "CONTINUE"
    return (
        f"<188>{_bsd(d)} {host} {_iso(d)} WAF: {det.src}:{det.sport}->{public_ip} dip={det.dst} "
        f"devicename={host} url={path} method={det.method} args={args} flag_field= block_time=0 http_type= "
        f"attack_field=1 profile_id={profile_id} rule_id={det.sid} type={det.category} severity=0 "
        f"action={action} referer= useragent={det.user_agent or ''} post= equipment=2 os=8 browser=1 |"
    ).encode()


# -- Chaitin SafeLine (chaitin.safeline) ---------------------------------------------------------

_SAFELINE_RISK = {1: "low", 2: "low", 3: "medium", 4: "high", 5: "critical"}


def safeline_event(t: float, host: str, det: Detection, event_id: str, node: str, site_url: str) -> bytes:
    """``safeline_event``: a detection by the SafeLine engine (RFC 5424 header, JSON body)."""
    d = _local(t)
    path, _, query = (det.uri or "/").partition("?")
    risk = _SAFELINE_RISK[det.severity]
    action = "deny" if det.blocked else "allow"
    record = {
        "scheme": "https",
        "src_ip": det.src,
        "src_port": det.sport,
        "socket_ip": det.src,
        "upstream_addr": f"{det.dst}:{det.dport}",
        "req_start_time": int(t) * 1000,
        "host": det.host,
        "method": det.method,
        "query_string": query,
        "event_id": event_id,
        "site_uuid": "3",
        "site_url": site_url,
        "req_rule_id": f"m_rule/{det.sid}",
        "req_location": "urlpath",
        "req_rule_module": "m_rule",
        "country": "",
        "province": "",
        "city": "",
        "timestamp": int(t),
        "payload": "",
        "location": "urlpath",
        "rule_id": f"m_rule/{det.sid}",
        "user_agent": det.user_agent or "",
        "referer": "",
        "timestamp_human": _iso(d),
        "module": "m_rule",
        "reason": "",
        "node": node,
        "dest_port": det.dport,
        "dest_ip": det.dst,
        "urlpath": path,
        "protocol": "https",
        "attack_type": det.category,
        "risk_level": risk,
        "action": action,
        "req_block_reason": "web",
        "req_attack_type": det.category,
        "req_risk_level": risk,
        "req_action": action,
    }
    return (
        f"<30>1 {d:%Y-%m-%dT%H:%M:%S}+08:00 {host} /matio/mario 1 safeline_event - {_json(record)}".encode()
    )


# -- ModSecurity (modsecurity.auditlog) ----------------------------------------------------------


def modsec_audit(
    t: float,
    det: Detection,
    transaction_id: str,
    rule_file: str,
    tag: str,
    intercepted: bool,
) -> bytes:
    """A ModSecurity 2.9 JSON audit-log entry (``SecAuditLogFormat JSON``), one per line."""
    d = _local(t)
    status = 403 if intercepted else 200
    message = (
        f'Warning. Pattern match at REQUEST_URI. [file "{rule_file}"] [line "120"] [id "{det.sid}"] '
        f'[msg "{det.name}"] [severity "CRITICAL"] [ver "OWASP_CRS/3.3.5"] [tag "application-multi"] '
        f'[tag "{tag}"] [tag "paranoia-level/1"]'
    )
    messages = [message]
    if intercepted:
        messages.append(
            "Access denied with code 403 (phase 2). Operator GE matched 5 at TX:anomaly_score. "
            '[file "/usr/share/modsecurity-crs/rules/REQUEST-949-BLOCKING-EVALUATION.conf"] [line "93"] '
            '[id "949110"] [msg "Inbound Anomaly Score Exceeded (Total Score: 5)"] [severity "CRITICAL"] '
            '[ver "OWASP_CRS/3.3.5"] [tag "attack-generic"]'
        )
    record = {
        "transaction": {
            "time": f"{d.day:02d}/{_MONTHS[d.month - 1]}/{d.year}:{d:%H:%M:%S}.000000 +0800",
            "transaction_id": transaction_id,
            "remote_address": det.src,
            "remote_port": det.sport,
            "local_address": det.dst,
            "local_port": det.dport,
        },
        "request": {
            "request_line": f"{det.method} {det.uri} HTTP/1.1",
            "headers": {"Host": det.host, "User-Agent": det.user_agent or "-", "Accept": "*/*"},
        },
        "response": {"protocol": "HTTP/1.1", "status": status, "headers": {"Content-Type": "text/html"}},
        "audit_data": {
            "messages": messages,
            "action": {"intercepted": intercepted, "phase": 2},
            "producer": ["ModSecurity for Apache/2.9.7 (http://www.modsecurity.org/)", "OWASP_CRS/3.3.5"],
            "server": "Apache",
            "engine_mode": "ENABLED",
        },
    }
    return _json(record).encode()


# -- web servers and proxy (nginx.access, apache.access, squid.access) ---------------------------


def nginx_access(t: float, host: str, req: WebRequest) -> bytes:
    """Nginx ``combined`` plus ``$http_x_forwarded_for``, sent with ``access_log syslog:``."""
    d = _local(t)
    return (
        f"<190>{_bsd(d)} {host} nginx: {req.client} - {req.user} [{_clf(d)}] "
        f'"{req.method} {req.uri} HTTP/1.1" '
        f'{req.status} {req.size} "{req.referer}" "{req.user_agent}" "-"'
    ).encode()


def apache_access(t: float, host: str, req: WebRequest) -> bytes:
    """Apache ``combined``, sent through syslog (``CustomLog "|/usr/bin/logger …"``)."""
    d = _local(t)
    size = str(req.size) if req.size else "-"
    return (
        f"<150>{_bsd(d)} {host} apache2: {req.client} - {req.user} [{_clf(d)}] "
        f'"{req.method} {req.uri} HTTP/1.1" '
        f'{req.status} {size} "{req.referer}" "{req.user_agent}"'
    ).encode()


def squid_access(
    t: float,
    host: str,
    client: str,
    elapsed_ms: int,
    code: str,
    size: int,
    method: str,
    url: str,
    user: str,
    hierarchy: str,
    mime: str,
    millis: int = 0,
) -> bytes:
    """Squid's native ``access.log`` line, sent through syslog."""
    d = _local(t)
    return (
        f"<190>{_bsd(d)} {host} squid[2211]: {int(t)}.{millis:03d} {elapsed_ms:6d} {client} {code} {size} "
        f"{method} {url} {user} {hierarchy} {mime}"
    ).encode()


# -- Linux netfilter (iptables.log) --------------------------------------------------------------


def iptables(t: float, host: str, prefix: str, flow: Flow, uptime: float, packet_id: int) -> bytes:
    """A kernel ``LOG`` target line, RFC 3339 time as rsyslog writes it."""
    d = _local(t)
    if flow.proto == "icmp":
        tail = "PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1"
    elif flow.proto == "udp":
        tail = f"PROTO=UDP SPT={flow.sport} DPT={flow.dport} LEN=60"
    else:
        tail = f"PROTO=TCP SPT={flow.sport} DPT={flow.dport} WINDOW=64240 RES=0x00 SYN URGP=0"
    return (
        f"<4>{d:%Y-%m-%dT%H:%M:%S}+08:00 {host} kernel: [{uptime:.6f}] {prefix} IN=ens192 OUT= "
        f"MAC=00:50:56:9a:10:1e:00:50:56:9a:00:01:08:00 SRC={flow.src} DST={flow.dst} LEN=60 TOS=0x00 "
        f"PREC=0x00 TTL=63 ID={packet_id} DF {tail}"
    ).encode()
