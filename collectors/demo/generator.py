"""The demo day: normal extranet traffic on a working-day curve, with the stories woven in.

Time comes in as arguments; nothing here reads the clock or does I/O. A real moment ``now``
maps to the simulated moment ``start + (now - start) * speedup``. Each simulated minute is
generated on its own from ``random.Random(f"{seed}:{minute}")`` plus the stories' lines that
fall in it, so the output depends only on the seed, the start and the simulated time — never
on how often or when ``batch`` is called.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, replace

from collectors.demo import lines as ln
from collectors.demo.lines import Detection, Flow, WebRequest
from collectors.demo.scenario import SOURCES, LogSource, Workstation, address_of, workstations
from collectors.demo.stories import STORIES, StoryLine

__all__ = ["DEFAULT_SEED", "DemoGenerator", "DemoRecord", "activity", "local_midnight", "minute_lines"]

DEFAULT_SEED = 20261128
MINUTE = 60
DAY = 86_400
UTC_OFFSET = 8 * 3600  # Asia/Shanghai
HEARTBEAT_MINUTES = 10  # every source speaks at least this often, night included


@dataclass(frozen=True, slots=True)
class DemoRecord:
    """One line as a device would send it: the bytes, the sender (``ip:port``), its dataset,
    and ``at``, the simulated POSIX time the line was written."""

    data: bytes
    peer: str
    dataset: str
    at: float


def local_midnight(t: float) -> float:
    """POSIX time of the local (UTC+8) midnight that begins the day containing ``t``."""
    return (t + UTC_OFFSET) // DAY * DAY - UTC_OFFSET


# (local hour, share of the peak) — busy 08:30–12:00 and 14:00–18:00, lunch dip, quiet nights
_CURVE: tuple[tuple[float, float], ...] = (
    (0.0, 0.05),
    (6.5, 0.05),
    (7.5, 0.2),
    (8.5, 1.0),
    (12.0, 1.0),
    (12.25, 0.4),
    (13.75, 0.4),
    (14.0, 1.0),
    (18.0, 1.0),
    (19.0, 0.3),
    (21.0, 0.12),
    (24.0, 0.05),
)
_WEEKEND = 0.2


def activity(t: float) -> float:
    """How busy the extranet is at simulated time ``t``, as a share of a working-day peak."""
    local = t + UTC_OFFSET
    hour = local % DAY / 3600
    weekday = int(local // DAY + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    for (h0, v0), (h1, v1) in itertools.pairwise(_CURVE):
        if h0 <= hour < h1:
            share = v0 + (v1 - v0) * (hour - h0) / (h1 - h0)
            break
    else:
        share = _CURVE[-1][1]
    return max(share * _WEEKEND, _CURVE[0][1]) if weekday >= 5 else share


# -- who talks to what ---------------------------------------------------------------------------

_BY_NAME: dict[str, LogSource] = {s.name: s for s in SOURCES}
_PCS = workstations()
_AGENCY_PCS = tuple(w for w in _PCS if w.zone == "agency" and not w.hostname.startswith("jyj-"))
_EDU_PCS = tuple(w for w in _PCS if w.hostname.startswith("jyj-"))
_TOWN_PCS = tuple(w for w in _PCS if w.zone == "town")
_OPS_PCS = (address_of("ops-pc-01"), address_of("ops-pc-02"))

_PROXY = address_of("proxy-01")
_JUMP = address_of("jump-01")
_NMS = address_of("nms-01")
_DNS = (address_of("dns-01"), address_of("dns-02"))
_PORTAL = (("web-zwfw-01", address_of("web-zwfw-01")), ("web-zwfw-02", address_of("web-zwfw-02")))
_WWW = address_of("web-www-01")
_EDU_SITE = address_of("web-jyj-01")
_HEALTH_SITE = address_of("web-wjw-01")
_HEALTH_PUBLIC = "198.51.100.13"  # the address citizens reach the 区卫健委 site on
_ZWFW_APP = address_of("zwfw-app-01")
_BORDER_NAT = "198.51.100.2"
_UPSTREAM_DNS = "198.51.100.53"

# internet sites staff visit (all under example.*), with their addresses
_SITES: tuple[tuple[str, str], ...] = (
    ("www.example.com", "198.51.100.60"),
    ("news.example.org", "198.51.100.61"),
    ("mirrors.example.net", "198.51.100.62"),
    ("docs.example.com", "198.51.100.63"),
    ("map.example.org", "198.51.100.64"),
    ("cdn.example.net", "198.51.100.65"),
    ("mail.example.com", "198.51.100.66"),
    ("pan.example.net", "198.51.100.67"),
    ("api.example.org", "198.51.100.68"),
    ("video.example.com", "198.51.100.69"),
    ("weather.example.org", "198.51.100.72"),
    ("stats.example.com", "198.51.100.73"),
)
_SITE_PAGES = (
    "/",
    "/index.html",
    "/news/2026/1127/a1.html",
    "/search?q=%E6%94%BF%E5%8A%A1",
    "/static/main.css",
)

# internal services: (hostname, port, application word, transport)
_SHARED = (
    ("oa-01", 443, "HTTPS"),
    ("oa-02", 443, "HTTPS"),
    ("mail-01", 443, "HTTPS"),
    ("file-01", 445, "SMB"),
    ("ad-01", 389, "LDAP"),
    ("ad-02", 88, "Kerberos"),
    ("video-01", 443, "HTTPS"),
    ("edr-mgr-01", 8443, "HTTPS"),
)
_BUSINESS = (
    ("zwfw-app-01", 8080, "HTTP"),
    ("sb-app-01", 443, "HTTPS"),
    ("jk-app-01", 443, "HTTPS"),
    ("xj-app-01", 8080, "HTTP"),
    ("cz-app-01", 443, "HTTPS"),
    ("gis-01", 443, "HTTPS"),
)
_METRO = (("city-zwfw-01", 443), ("city-idp-01", 443), ("city-exchange-01", 8443))

_BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.44",
    "Mozilla/5.0 (Linux; Android 13; V2227A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0.0.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 "
    "Safari/537.36 Edg/109.0.1518.78",
)
_PORTAL_PAGES = (
    ("/", 200, 18_342),
    ("/bsdt/index.html", 200, 24_120),
    ("/bsdt/sxcx?deptCode=wjw&page=1", 200, 9_811),
    ("/api/v1/matter/list?deptCode=rsj&page=2", 200, 4_210),
    ("/api/v1/matter/detail?id=115208", 200, 6_034),
    ("/static/js/app.3f2a91.js", 200, 412_880),
    ("/static/css/main.8c1e.css", 200, 48_211),
    ("/images/banner/20261127.jpg", 200, 182_330),
    ("/zxzx/consult?page=1", 200, 7_402),
    ("/api/v1/progress/query?code=ZW2026112700187", 200, 1_284),
    ("/static/js/app.3f2a91.js", 304, 0),
    ("/bsdt/guide/115208.html", 200, 14_092),
    ("/favicon.ico", 404, 153),
)
_WWW_PAGES = (
    ("/", 200, 32_120),
    ("/zwgk/tzgg/202611/t20261127_1841.html", 200, 21_784),
    ("/zwgk/index.html", 200, 17_210),
    ("/xxgk/zfxxgkml/index.html", 200, 15_302),
    ("/zmhd/qzxx/index.html", 200, 9_112),
    ("/ywdt/qxyw/202611/t20261126_1839.html", 200, 19_440),
    ("/css/common.css", 304, 0),
    ("/images/logo.png", 200, 12_004),
    ("/zwgk/zcjd/202611/t20261120_1822.html", 200, 16_318),
)


def _visitor(rng: random.Random) -> str:
    """A citizen or company on the internet (never one of the stories' attackers)."""
    return f"{rng.choice(('198.51.100', '203.0.113'))}.{rng.randint(100, 254)}"


def _eph(rng: random.Random) -> int:
    return rng.randint(49_152, 65_000)


class _Minute:
    """The lines of one simulated minute, as they are made."""

    __slots__ = ("items", "rng", "start")

    def __init__(self, start: float, rng: random.Random) -> None:
        self.start = start
        self.rng = rng
        self.items: list[tuple[float, str, bytes]] = []

    def second(self) -> float:
        """A whole second inside the minute, leaving room for follow-up lines."""
        return self.start + self.rng.randrange(MINUTE - 3)

    def add(self, t: float, device: str, data: bytes) -> None:
        self.items.append((t, device, data))


# -- activities that follow the working day ------------------------------------------------------


def _web_flow(rng: random.Random, src: str, dst: str, port: int, app: str) -> Flow:
    sent, rcvd = rng.randint(600, 24_000), rng.randint(2_000, 900_000)
    return Flow(
        src,
        _eph(rng),
        dst,
        port,
        "tcp",
        app,
        True,
        sent=sent,
        rcvd=rcvd,
        sent_pkts=sent // 600 + 3,
        rcvd_pkts=rcvd // 1_300 + 3,
        duration=rng.randint(1, 180),
    )


def _agency_browse(m: _Minute) -> None:
    """An agency PC browses the internet through the proxy; the proxy's session leaves via the border."""
    rng, t = m.rng, m.second()
    pc = rng.choice(_AGENCY_PCS)
    domain, ip = rng.choice(_SITES)
    elapsed = rng.randint(40, 4_000)
    if rng.random() < 0.7:
        size = rng.randint(3_000, 600_000)
        data = ln.squid_access(
            t,
            "proxy-01",
            pc.ip,
            elapsed,
            "TCP_TUNNEL/200",
            size,
            "CONNECT",
            f"{domain}:443",
            pc.user,
            f"HIER_DIRECT/{ip}",
            "-",
            rng.randrange(1_000),
        )
    else:
        code = rng.choice(("TCP_MISS/200", "TCP_MISS/200", "TCP_MEM_HIT/200", "TCP_REFRESH_UNMODIFIED/304"))
        data = ln.squid_access(
            t,
            "proxy-01",
            pc.ip,
            elapsed,
            code,
            rng.randint(400, 80_000),
            "GET",
            f"http://{domain}{rng.choice(_SITE_PAGES)}",
            pc.user,
            f"HIER_DIRECT/{ip}",
            "text/html",
            rng.randrange(1_000),
        )
    m.add(t, "proxy-01", data)
    if rng.random() < 0.5:
        flow = replace(
            _web_flow(rng, _PROXY, ip, 443, "HTTPS"),
            rule="proxy_to_internet",
            nat_ip=_BORDER_NAT,
            nat_port=rng.randint(2_048, 65_000),
        )
        m.add(t + 1, "fw-border-01", ln.usg_flow(t + 1, "fw-border-01", flow))
        if rng.random() < 0.4:
            m.add(
                t + 1, "ids-core-01", ln.eve_tls(t + 1, "ids-core-01", flow, domain, rng.getrandbits(50), 1)
            )


def _town_browse(m: _Minute) -> None:
    """A town PC browses through the district proxy: the town firewall and the proxy both log it."""
    rng, t = m.rng, m.second()
    pc = rng.choice(_TOWN_PCS)
    domain, ip = rng.choice(_SITES)
    flow = replace(_web_flow(rng, pc.ip, _PROXY, 8080, "HTTP"), rule="乡镇上网代理", user=pc.user)
    m.add(t, "fw-town-01", ln.hillstone_flow(t, "fw-town-01", flow, 12))
    data = ln.squid_access(
        t,
        "proxy-01",
        pc.ip,
        rng.randint(60, 3_000),
        "TCP_TUNNEL/200",
        flow.rcvd,
        "CONNECT",
        f"{domain}:443",
        pc.user,
        f"HIER_DIRECT/{ip}",
        "-",
        rng.randrange(1_000),
    )
    m.add(t, "proxy-01", data)


def _edu_browse(m: _Minute) -> None:
    """区教育局 leaves through its own Sangfor AF: application control and URL audit."""
    rng, t = m.rng, m.second()
    pc = rng.choice(_EDU_PCS)
    domain, ip = rng.choice(_SITES)
    roll = rng.random()
    if roll < 0.06:  # games and video sites are refused during office hours
        flow = Flow(
            pc.ip,
            _eph(rng),
            "198.51.100.90",
            443,
            app="网络游戏",
            allowed=False,
            rule="禁止游戏视频",
            user=pc.user,
        )
        m.add(t, "af-jyj-01", ln.sangfor_flow(t, "af-jyj-01", flow))
        return
    flow = replace(_web_flow(rng, pc.ip, ip, 443, "HTTPS"), rule="教育局上网", user=pc.user)
    m.add(t, "af-jyj-01", ln.sangfor_flow(t, "af-jyj-01", flow))
    if roll < 0.4:
        url = f"http://{domain}{rng.choice(_SITE_PAGES)}"
        m.add(t + 1, "af-jyj-01", ln.sangfor_web(t + 1, "af-jyj-01", pc.ip, ip, url, "新闻资讯", pc.user))


def _core_zone(pc: Workstation) -> str:
    return "Office" if pc.zone == "agency" else "Town"


def _internal_business(m: _Minute) -> None:
    """Staff use shared services (core firewall) and business systems (core and data-centre firewalls)."""
    rng, t = m.rng, m.second()
    pc = rng.choice(_AGENCY_PCS + _EDU_PCS)
    if rng.random() < 0.55:
        name, port, app = rng.choice(_SHARED)
        dst_zone, business = "Public", False
    else:
        name, port, app = rng.choice(_BUSINESS)
        dst_zone, business = "Private", True
    dst = address_of(name)
    if rng.random() < 0.02:  # someone tries a database directly: refused
        flow = Flow(
            pc.ip,
            _eph(rng),
            address_of("cz-db-01"),
            1433,
            app="ms-sql",
            allowed=False,
            src_zone="Office",
            dst_zone="Private",
            rule="禁止直连数据库",
        )
        m.add(t, "fw-core-01", ln.h3c_filter(t, "fw-core-01", flow, 9))
        return
    flow = replace(
        _web_flow(rng, pc.ip, dst, port, app),
        src_zone=_core_zone(pc),
        dst_zone=dst_zone,
        rule="office_to_services",
        user=pc.user,
    )
    if rng.random() < 0.8:
        m.add(t, "fw-core-01", ln.h3c_session(t, "fw-core-01", flow))
    else:
        m.add(t, "fw-core-01", ln.h3c_filter(t, "fw-core-01", flow, 5))
    if business:
        dc = replace(flow, src_zone="office", dst_zone="dc", rule="办公网访问业务系统")
        m.add(t + 1, "nsg-dc-01", ln.nsg_flow(t + 1, "nsg-dc-01", dc, rng.randint(10**6, 10**7)))


def _town_business(m: _Minute) -> None:
    """A town office uses OA or the 政务服务 back office: town firewall, then core firewall."""
    rng, t = m.rng, m.second()
    pc = rng.choice(_TOWN_PCS)
    name, port, app = rng.choice(
        (("oa-01", 443, "HTTPS"), ("zwfw-app-01", 8080, "HTTP"), ("mail-01", 443, "HTTPS"))
    )
    flow = replace(_web_flow(rng, pc.ip, address_of(name), port, app), rule="乡镇访问政务外网", user=pc.user)
    m.add(t, "fw-town-01", ln.hillstone_flow(t, "fw-town-01", flow, 7))
    core = replace(flow, src_zone="Town", dst_zone="Private" if name.startswith("zwfw") else "Public")
    m.add(t + 1, "fw-core-01", ln.h3c_session(t + 1, "fw-core-01", core))


def _office_dns(m: _Minute) -> None:
    """Name lookups towards the district DNS servers, seen on the core mirror."""
    rng, t = m.rng, m.second()
    pc = rng.choice(_PCS)
    server = rng.choice(_DNS)
    name = rng.choice(
        (
            *(s for s, _ in _SITES),
            "oa.gov.example",
            "mail.gov.example",
            "zwfw.gov.example",
            "edr.gov.example",
            "time.gov.example",
        )
    )
    sport = _eph(rng)
    m.add(
        t,
        "ids-core-01",
        ln.eve_dns(
            t, "ids-core-01", pc.ip, sport, server, name, "A", rng.getrandbits(50), rng.randrange(65_536)
        ),
    )
    if rng.random() < 0.3:
        flow = Flow(
            pc.ip, sport, server, 53, "udp", "dns", True, _core_zone(pc), "Public", "dns", 74, 130, 1, 1, 1
        )
        m.add(t + 1, "fw-core-01", ln.h3c_session(t + 1, "fw-core-01", flow))


def _portal_visit(m: _Minute) -> None:
    """A citizen uses the 政务服务网: border permit, WAF access log, nginx, the app tier behind the DMZ."""
    rng, t = m.rng, m.second()
    client, cport = _visitor(rng), _eph(rng)
    node, node_ip = rng.choice(_PORTAL)
    agent = rng.choice(_BROWSERS)
    if rng.random() < 0.5:
        flow = Flow(
            client, cport, node_ip, 443, app="HTTPS", src_zone="untrust", dst_zone="dmz", rule="publish_zwfw"
        )
        m.add(t, "fw-border-01", ln.usg_policy(t, "fw-border-01", flow))
    referer = "https://zwfw.gov.example/"
    for page in range(rng.randint(1, 3)):
        path, status, size = rng.choice(_PORTAL_PAGES)
        req = WebRequest(
            client,
            cport,
            node_ip,
            443,
            "zwfw.gov.example",
            "GET",
            path,
            status,
            size,
            referer if page else "-",
            agent,
        )
        at = t + page
        m.add(at, "waf-zwfw-01", ln.nsfocus_access(at, "waf-zwfw-01", req, 1, rng.getrandbits(62)))
        m.add(at, node, ln.nginx_access(at, node, req))
        if rng.random() < 0.2:
            m.add(at, "ids-core-01", ln.eve_http(at, "ids-core-01", req, rng.getrandbits(50), 2))
    if rng.random() < 0.4:
        app = replace(_web_flow(rng, node_ip, _ZWFW_APP, 8080, "HTTP"), rule="门户访问应用")
        conn = rng.randint(10**8, 10**9)
        m.add(t + 1, "fw-dmz-01", ln.topsec_ac(t + 1, "fw-dmz-01", app, conn, 8156))
        if rng.random() < 0.5:
            m.add(t + 2, "fw-dmz-01", ln.topsec_conn(t + 2, "fw-dmz-01", app, conn))


def _www_visit(m: _Minute) -> None:
    """A visit to the 区政府门户网站 (Apache behind the Qi-anxin WAF)."""
    rng, t = m.rng, m.second()
    client, cport = _visitor(rng), _eph(rng)
    agent = rng.choice(_BROWSERS)
    if rng.random() < 0.4:
        flow = Flow(
            client, cport, _WWW, 443, app="HTTPS", src_zone="untrust", dst_zone="dmz", rule="publish_www"
        )
        m.add(t, "fw-border-01", ln.usg_policy(t, "fw-border-01", flow))
    for page in range(rng.randint(1, 3)):
        path, status, size = rng.choice(_WWW_PAGES)
        req = WebRequest(
            client,
            cport,
            _WWW,
            443,
            "www.gov.example",
            "GET",
            path,
            status,
            size,
            "https://www.gov.example/" if page else "-",
            agent,
        )
        m.add(t + page, "web-www-01", ln.apache_access(t + page, "web-www-01", req))


def _site_visit(m: _Minute) -> None:
    """Visits to the smaller agency sites: only the border and the mirror see them."""
    rng, t = m.rng, m.second()
    client = _visitor(rng)
    site = rng.choice((_EDU_SITE, _HEALTH_SITE))
    flow = replace(
        _web_flow(rng, client, site, 443, "HTTPS"), src_zone="untrust", dst_zone="dmz", rule="publish_sites"
    )
    m.add(t, "fw-border-01", ln.usg_policy(t, "fw-border-01", flow))
    if rng.random() < 0.5:
        m.add(t + 2, "ids-core-01", ln.eve_flow(t + 2, "ids-core-01", flow, rng.getrandbits(50), "tls", 3))


def _vpn_staff(m: _Minute) -> None:
    """Staff working remotely over SSL VPN reach OA and business systems."""
    rng, t = m.rng, m.second()
    pc = rng.choice(_AGENCY_PCS)
    tunnel_ip = f"10.1.98.{rng.randint(30, 90)}"
    if rng.random() < 0.1:
        home = f"198.51.100.{rng.randint(100, 254)}"
        data = ln.fgt_vpn_tunnel_up(t, "fgt-vpn-01", pc.user, home, tunnel_ip, rng.randint(10**6, 10**7))
        m.add(t, "fgt-vpn-01", data)
        return
    name, port, app = rng.choice(
        (("oa-01", 443, "HTTPS"), ("mail-01", 443, "HTTPS"), ("zwfw-app-01", 8080, "HTTP"))
    )
    flow = replace(_web_flow(rng, tunnel_ip, address_of(name), port, app), rule="SSLVPN-办公", user=pc.user)
    m.add(t, "fgt-vpn-01", ln.fgt_traffic(t, "fgt-vpn-01", flow, rng.randint(10**7, 10**8), 7))


def _metro_exchange(m: _Minute, outbound: bool | None = None) -> None:
    """Traffic with the city-level extranet over the ASA uplink, both ways."""
    rng, t = m.rng, m.second()
    conn = rng.randint(10**5, 10**7)
    if outbound is None:
        outbound = rng.random() < 0.6
    if outbound:
        pc = rng.choice(_AGENCY_PCS)
        name, port = rng.choice(_METRO)
        flow = replace(
            _web_flow(rng, pc.ip, address_of(name), port, "HTTPS"), src_zone="inside", dst_zone="metro"
        )
    else:
        flow = replace(
            _web_flow(rng, address_of("city-exchange-01"), _ZWFW_APP, 8080, "HTTP"),
            src_zone="metro",
            dst_zone="inside",
        )
    end = t + 2
    m.add(t, "asa-metro-01", ln.asa_built(t, "asa-metro-01", flow, conn, outbound))
    m.add(end, "asa-metro-01", ln.asa_teardown(end, "asa-metro-01", flow, conn, outbound))


def _ops_jump(m: _Minute) -> None:
    """Administrators reach the jump host; its own firewall logs the accepted connection."""
    rng, t = m.rng, m.second()
    flow = Flow(rng.choice(_OPS_PCS), _eph(rng), _JUMP, rng.choice((22, 3389, 443)))
    m.add(
        t,
        "jump-01",
        ln.iptables(t, "jump-01", "JUMP-ACCEPT", flow, t % 10_000_000 / 7, rng.randint(1, 65_535)),
    )


def _admin_login(m: _Minute) -> None:
    """A network administrator logs in to the border firewall from the jump host."""
    t = m.second()
    m.add(t, "fw-border-01", ln.usg_admin_login(t, "fw-border-01", "netadmin", _JUMP, m.rng.randint(10, 99)))


# -- activities at all hours ---------------------------------------------------------------------

# ports the internet's background radiation knocks on
_NOISE_PORTS = (
    21,
    22,
    23,
    25,
    135,
    139,
    445,
    1433,
    1900,
    2375,
    3306,
    3389,
    5060,
    5432,
    5900,
    6379,
    7001,
    8080,
    8443,
    9200,
    11211,
    27017,
)
_IPS_NOISE = (
    ("Microsoft Windows SMB Remote Code Execution Vulnerability", 1000412, 445),
    ("Redis Unauthorized Access Attempt", 1000533, 6379),
    ("Apache Struts2 Remote Code Execution Vulnerability", 1000197, 8080),
    ("Oracle WebLogic Server Deserialization Vulnerability", 1000388, 7001),
    ("Elasticsearch Groovy Script Remote Code Execution", 1000421, 9200),
)
# (signature, sid, classification, our severity, transport, port)
_SURICATA_NOISE = (
    ("ET INFO Observed DNS Query to .cloud TLD", 2027865, "Potentially Bad Traffic", 2, "udp", 53),
    ("ET POLICY Windows Update P2P Activity", 2027390, "Not Suspicious Traffic", 1, "tcp", 7680),
    ("ET INFO Microsoft Connection Test", 2031071, "Misc activity", 1, "tcp", 80),
    (
        "ET POLICY OpenSSL Demo CA - Internet Widgits Pty (O)",
        2011540,
        "Not Suspicious Traffic",
        1,
        "tcp",
        443,
    ),
)
_SNORT_NOISE = (
    ("ICMP PING Windows", 382, "Misc activity", 1, "icmp", 0),
    ("ET INFO STUN Binding Request", 2016149, "Attempted User Privilege Gain", 2, "udp", 3478),
    (
        "ET POLICY DNS Query to DynDNS Domain - Likely Benign",
        2012758,
        "Potentially Bad Traffic",
        2,
        "udp",
        53,
    ),
    ("ICMP Echo Reply", 408, "Misc activity", 1, "icmp", 0),
)
# (signature, id, server, port, application)
_H3C_NOISE = (
    ("PROTOCOL_HTTP_Abnormal_Header_Length", 25_113, "oa-01", 443, "https"),
    ("INFO_SSL_Self_Signed_Certificate", 26_870, "mail-01", 443, "https"),
    ("PROTOCOL_SMB_Null_Session_Query", 21_402, "file-01", 445, "smb"),
)
_ZABBIX = "Zabbix 6.0"


def _udp(m: _Minute, src: str, dst: str, port: int, app: str, zones: tuple[str, str], rule: str) -> Flow:
    """A one-packet-each-way UDP exchange (DNS, NTP, SNMP); towards the internet it is source-NATed."""
    rng = m.rng
    sport = 123 if app == "NTP" else _eph(rng)
    flow = Flow(src, sport, dst, port, "udp", app, True, zones[0], zones[1], rule, 72, 180, 1, 1, 1)
    if zones[1] == "untrust":
        flow = replace(flow, nat_ip=_BORDER_NAT, nat_port=rng.randint(2_048, 65_000))
    return flow


def _internet_noise(m: _Minute) -> None:
    """Background radiation: hosts on the internet knock on DMZ ports and are refused at the border."""
    rng, t = m.rng, m.second()
    flow = Flow(
        f"192.0.2.{rng.randint(1, 254)}",
        _eph(rng),
        f"10.1.10.{rng.randint(1, 70)}",
        rng.choice(_NOISE_PORTS),
        app="",
        allowed=False,
        src_zone="untrust",
        dst_zone="dmz",
        rule="default_deny",
    )
    m.add(t, "fw-border-01", ln.usg_flow(t, "fw-border-01", flow))


def _ips_noise(m: _Minute) -> None:
    """Known exploits sprayed at the DMZ, blocked by the border IPS."""
    rng, t = m.rng, m.second()
    name, sid, port = rng.choice(_IPS_NOISE)
    det = Detection(
        f"192.0.2.{rng.randint(1, 254)}",
        _eph(rng),
        f"10.1.10.{rng.randint(1, 70)}",
        port,
        name,
        sid,
        "Vulnerability",
        rng.choice((3, 4)),
        True,
        app="TCP",
    )
    m.add(t, "ips-border-01", ln.huawei_ips(t, "ips-border-01", det, rng.randint(100, 99_999)))


def _alert_target(rng: random.Random, src: str, proto: str, port: int) -> str:
    """Where a background alert's packet went: the DNS server, the office gateway, or a web site."""
    if port == 53:
        return rng.choice(_DNS)
    if proto == "icmp":
        return src.rsplit(".", 1)[0] + ".1"
    return rng.choice(_SITES)[1]


def _suricata_noise(m: _Minute) -> None:
    """Policy and informational signatures on office traffic at the core mirror."""
    rng, t = m.rng, m.second()
    name, sid, category, severity, proto, port = rng.choice(_SURICATA_NOISE)
    src = rng.choice(_AGENCY_PCS).ip
    det = Detection(
        src,
        _eph(rng),
        _alert_target(rng, src, proto, port),
        port,
        name,
        sid,
        category,
        severity,
        False,
        proto=proto,
        app="",
    )
    m.add(
        t, "ids-core-01", ln.eve_alert(t, "ids-core-01", det, rng.getrandbits(50), rng.randrange(1_000_000))
    )


def _snort_noise(m: _Minute) -> None:
    """The same kind of low-priority alerts from the towns' sensor."""
    rng, t = m.rng, m.second()
    name, sid, category, severity, proto, port = rng.choice(_SNORT_NOISE)
    src = rng.choice(_TOWN_PCS).ip
    sport = 0 if proto == "icmp" else _eph(rng)
    det = Detection(
        src,
        sport,
        _alert_target(rng, src, proto, port),
        port,
        name,
        sid,
        category,
        severity,
        False,
        proto=proto,
    )
    m.add(t, "ids-town-01", ln.snort_alert(t, det, rng.randrange(1_000_000)))


def _h3c_ips_noise(m: _Minute) -> None:
    """Protocol oddities between offices and shared services, let through by the core IPS."""
    rng, t = m.rng, m.second()
    name, sid, server, port, app = rng.choice(_H3C_NOISE)
    det = Detection(
        rng.choice(_AGENCY_PCS).ip,
        _eph(rng),
        address_of(server),
        port,
        name,
        sid,
        "InformationDisclosure",
        2,
        False,
        app=app,
        src_zone="Office",
        dst_zone="Public",
    )
    m.add(t, "ips-core-01", ln.h3c_ips(t, "ips-core-01", det))


def _www_waf_finding(m: _Minute) -> None:
    """The Qi-anxin WAF flags a crawler-like request on the portal and lets it through."""
    rng, t = m.rng, m.second()
    det = Detection(
        _visitor(rng),
        _eph(rng),
        _WWW,
        443,
        "Signature Rule",
        20_030,
        "Signature Rule",
        2,
        False,
        uri=rng.choice(_WWW_PAGES)[0],
        user_agent=rng.choice(_BROWSERS),
    )
    m.add(t, "waf-www-01", ln.qianxin_waf(t, "waf-www-01", det, "198.51.100.11", 13))


def _edu_waf_finding(m: _Minute) -> None:
    """SafeLine notes an HTTP protocol violation on the 区教育局 site and lets it through."""
    rng, t = m.rng, m.second()
    det = Detection(
        _visitor(rng),
        _eph(rng),
        _EDU_SITE,
        80,
        "http_compliance_violation",
        35,
        "http_compliance_violation",
        2,
        False,
        host="jyj.gov.example",
        uri="/index.html",
        user_agent=rng.choice(_BROWSERS),
    )
    event_id = f"{rng.getrandbits(128):032x}"
    m.add(
        t,
        "safeline-01",
        ln.safeline_event(t, "safeline-01", det, event_id, "safeline-node-01", "https://jyj.gov.example"),
    )


def _health_waf_finding(m: _Minute) -> None:
    """ModSecurity warns about a request for the 区卫健委 site by bare IP address (a bot)."""
    rng, t = m.rng, m.second()
    det = Detection(
        _visitor(rng),
        _eph(rng),
        _HEALTH_SITE,
        80,
        "Host header is a numeric IP address",
        920_350,
        "attack-protocol",
        2,
        False,
        host=_HEALTH_PUBLIC,
        uri="/",
        user_agent=rng.choice(_BROWSERS),
    )
    transaction = f"Z{rng.getrandbits(120):030x}"[:24]
    rules = "/usr/share/modsecurity-crs/rules/REQUEST-920-PROTOCOL-ENFORCEMENT.conf"
    m.add(t, "web-wjw-01", ln.modsec_audit(t, det, transaction, rules, "attack-protocol", False))


def _zwfw_waf_finding(m: _Minute) -> None:
    """The NSFOCUS WAF accepts a request that failed its HTTP protocol validation."""
    rng, t = m.rng, m.second()
    det = Detection(
        _visitor(rng),
        _eph(rng),
        rng.choice(_PORTAL)[1],
        443,
        "HTTP_Protocol_Validation",
        0,
        "HTTP_Protocol_Validation",
        2,
        False,
        host="zwfw.gov.example",
        uri="/bsdt/index.html",
    )
    m.add(t, "waf-zwfw-01", ln.nsfocus_websec(t, "waf-zwfw-01", det, 1))


def _waf_noise(m: _Minute) -> None:
    """Low-grade WAF findings on the published sites: crawlers, bots, protocol oddities."""
    m.rng.choice((_www_waf_finding, _edu_waf_finding, _health_waf_finding, _zwfw_waf_finding))(m)


def _dns_forward(m: _Minute) -> None:
    """A DNS server forwards a query to the upstream resolver through the border firewall."""
    rng, t = m.rng, m.second()
    server = rng.choice((*_DNS, address_of("dns-dmz-01")))
    zones = ("dmz" if server == address_of("dns-dmz-01") else "trust", "untrust")
    flow = _udp(m, server, _UPSTREAM_DNS, 53, "DNS", zones, "dns_forward")
    m.add(t, "fw-border-01", ln.usg_flow(t, "fw-border-01", flow))
    if rng.random() < 0.5:
        m.add(t, "ids-core-01", ln.eve_flow(t, "ids-core-01", flow, rng.getrandbits(50), "dns", 7))


def _updates(m: _Minute) -> None:
    """Patch, antivirus and EDR servers fetch updates through the proxy and out of the border."""
    rng, t = m.rng, m.second()
    server = address_of(rng.choice(("patch-01", "av-update-01", "edr-mgr-01")))
    flow = replace(
        _web_flow(rng, server, "198.51.100.70", 443, "HTTPS"),
        rule="update_servers",
        nat_ip=_BORDER_NAT,
        nat_port=rng.randint(2_048, 65_000),
    )
    m.add(t, "fw-border-01", ln.usg_flow(t, "fw-border-01", flow))
    m.add(
        t,
        "proxy-01",
        ln.squid_access(
            t,
            "proxy-01",
            server,
            rng.randint(80, 9_000),
            "TCP_TUNNEL/200",
            flow.rcvd,
            "CONNECT",
            "update.example.com:443",
            "-",
            "HIER_DIRECT/198.51.100.70",
            "-",
            rng.randrange(1_000),
        ),
    )


def _server_egress(m: _Minute) -> None:
    """Servers that talk to the internet on purpose: DNS, NTP, updates, mail; backups run at night."""
    rng, t = m.rng, m.second()
    kind = rng.randrange(5 if activity(m.start) < 0.3 else 4)
    if kind == 0:
        _dns_forward(m)
    elif kind == 1:
        flow = _udp(m, address_of("ntp-01"), "198.51.100.123", 123, "NTP", ("trust", "untrust"), "ntp_sync")
        m.add(t, "fw-border-01", ln.usg_flow(t, "fw-border-01", flow))
    elif kind == 2:
        _updates(m)
    elif kind == 3:
        flow = replace(
            _web_flow(rng, address_of("mail-gw-01"), f"198.51.100.{rng.randint(31, 49)}", 25, "SMTP"),
            src_zone="dmz",
            dst_zone="untrust",
            rule="mail_out",
            nat_ip=_BORDER_NAT,
            nat_port=rng.randint(2_048, 65_000),
        )
        m.add(t, "fw-border-01", ln.usg_flow(t, "fw-border-01", flow))
    else:
        _backup(m)


def _backup(m: _Minute) -> None:
    """The backup server pulls a database dump through the data-centre firewall."""
    rng, t = m.rng, m.second()
    db = address_of(rng.choice(("zwfw-db-01", "sb-db-01", "jk-db-01", "cz-db-01")))
    flow = replace(
        _web_flow(rng, address_of("backup-01"), db, 1521, "ORACLE"), src_zone="dc", dst_zone="dc", rule="备份"
    )
    m.add(t, "nsg-dc-01", ln.nsg_flow(t, "nsg-dc-01", flow, rng.randint(10**6, 10**7)))


def _snmp_poll(m: _Minute) -> None:
    """Network management polls a device over SNMP across the core firewall."""
    rng, t = m.rng, m.second()
    target = rng.choice(("10.1.0.1", "10.1.0.2", "10.1.99.2", *(s.ip for s in SOURCES[:10])))
    zones = ("Management", "Core" if target.startswith("10.1.0.") else "Management")
    m.add(
        t,
        "fw-core-01",
        ln.h3c_session(t, "fw-core-01", _udp(m, _NMS, target, 161, "snmp", zones, "nms_poll")),
    )


def _edr_report(m: _Minute, pcs: tuple[Workstation, ...], device: str) -> None:
    """The EDR agent of a PC left on reports to its manager through the office's firewall."""
    rng, t = m.rng, m.second()
    pc = rng.choice(pcs)
    flow = replace(_web_flow(rng, pc.ip, address_of("edr-mgr-01"), 8443, "HTTPS"), rule="终端安全管理")
    if device == "af-jyj-01":
        m.add(t, device, ln.sangfor_flow(t, device, flow))
    else:
        m.add(t, device, ln.hillstone_flow(t, device, flow, 9))


def _monitoring(m: _Minute) -> None:
    """Network management and endpoint agents: the steady chatter of a night."""
    if m.rng.random() < 0.5:
        _snmp_poll(m)
    else:
        _edr_report(m, _TOWN_PCS, "fw-town-01")


def _app_health(m: _Minute) -> None:
    """The portal's health check of its application tier, across the DMZ firewall."""
    rng, t = m.rng, m.second()
    flow = replace(_web_flow(rng, _PORTAL[0][1], _ZWFW_APP, 8080, "HTTP"), rule="门户访问应用")
    m.add(t, "fw-dmz-01", ln.topsec_conn(t, "fw-dmz-01", flow, rng.randint(10**8, 10**9)))


def _vpn_probe(m: _Minute) -> None:
    """The VPN gateway refuses an internet host knocking on its SSH port."""
    rng, t = m.rng, m.second()
    flow = Flow(f"192.0.2.{rng.randint(1, 254)}", _eph(rng), "198.51.100.20", 22, app="SSH", allowed=False)
    data = ln.fgt_traffic(t, "fgt-vpn-01", flow, rng.randint(10**7, 10**8), 0, "wan1", "root")
    m.add(t, "fgt-vpn-01", data)


def _web_check(m: _Minute, source: LogSource) -> None:
    """The monitoring system fetches a site's home page (web servers and the portal's WAF log it)."""
    rng, t = m.rng, m.second()
    host = "www.gov.example" if source.dataset == "apache.access" else "zwfw.gov.example"
    server = source.ip if source.dataset != "nsfocus.waf" else _PORTAL[0][1]
    req = WebRequest(_NMS, _eph(rng), server, 443, host, "GET", "/", 200, 18_342, user_agent=_ZABBIX)
    if source.dataset == "nsfocus.waf":
        m.add(t, source.name, ln.nsfocus_access(t, source.name, req, 1, rng.getrandbits(62)))
    elif source.dataset == "apache.access":
        m.add(t, source.name, ln.apache_access(t, source.name, req))
    else:
        m.add(t, source.name, ln.nginx_access(t, source.name, req))


def _proxy_check(m: _Minute) -> None:
    """The EDR manager checks for updates through the proxy."""
    rng, t = m.rng, m.second()
    m.add(
        t,
        "proxy-01",
        ln.squid_access(
            t,
            "proxy-01",
            address_of("edr-mgr-01"),
            rng.randint(80, 900),
            "TCP_TUNNEL/200",
            rng.randint(4_000, 90_000),
            "CONNECT",
            "update.example.com:443",
            "-",
            "HIER_DIRECT/198.51.100.70",
            "-",
            rng.randrange(1_000),
        ),
    )


def _jump_ping(m: _Minute) -> None:
    """The monitoring system pings the jump host; its firewall logs the accepted packet."""
    rng, t = m.rng, m.second()
    flow = Flow(_NMS, 0, _JUMP, 0, proto="icmp")
    data = ln.iptables(t, "jump-01", "JUMP-ACCEPT", flow, t % 10_000_000 / 7, rng.randint(1, 65_535))
    m.add(t, "jump-01", data)


Activity = Callable[[_Minute], None]

# (what, events per minute at the working-day peak; each event writes one to six lines)
_WORKING: tuple[tuple[Activity, float], ...] = (
    (_agency_browse, 5.5), (_town_browse, 2.0), (_edu_browse, 2.0), (_internal_business, 5.0),
    (_town_business, 2.0), (_office_dns, 4.0), (_portal_visit, 2.5), (_www_visit, 1.5), (_site_visit, 1.0),
    (_vpn_staff, 1.0), (_metro_exchange, 1.0), (_ops_jump, 0.3), (_admin_login, 0.01),
)  # fmt: skip
# (what, events per minute at any hour)
_ALWAYS: tuple[tuple[Activity, float], ...] = (
    (_internet_noise, 1.5), (_ips_noise, 0.3), (_suricata_noise, 0.2), (_snort_noise, 0.3),
    (_h3c_ips_noise, 0.15), (_waf_noise, 0.6), (_server_egress, 1.2), (_monitoring, 0.6),
)  # fmt: skip

# what each family says when nothing else is going on
_QUIET: dict[str, Activity] = {
    "huawei.usg": _dns_forward,
    "huawei.ips": _ips_noise,
    "h3c.secpath": _snmp_poll,
    "h3c.ips": _h3c_ips_noise,
    "hillstone.stoneos": lambda m: _edr_report(m, _TOWN_PCS, "fw-town-01"),
    "sangfor.af": lambda m: _edr_report(m, _EDU_PCS, "af-jyj-01"),
    "qianxin.nsg": _backup,
    "topsec.tos": _app_health,
    "fortinet.fortigate": _vpn_probe,
    "cisco.asa": lambda m: _metro_exchange(m, outbound=False),
    "suricata.eve": _suricata_noise,
    "snort.alert": _snort_noise,
    "qianxin.waf": _www_waf_finding,
    "chaitin.safeline": _edu_waf_finding,
    "modsecurity.auditlog": _health_waf_finding,
    "squid.access": _proxy_check,
    "iptables.log": _jump_ping,
}


def _heartbeat(m: _Minute, source: LogSource) -> None:
    """One ordinary line from ``source``, so no device stays quiet longer than HEARTBEAT_MINUTES."""
    if source.dataset in ("nginx.access", "apache.access", "nsfocus.waf"):
        _web_check(m, source)
    else:
        _QUIET[source.dataset](m)


def _count(rng: random.Random, mean: float) -> int:
    """A whole number of events with the given mean (±20 % jitter, fractional part by chance)."""
    expected = mean * rng.uniform(0.8, 1.2)
    whole = int(expected)
    return whole + (1 if rng.random() < expected - whole else 0)


def minute_lines(seed: int, minute: int) -> list[tuple[float, str, bytes]]:
    """The ordinary traffic of simulated minute ``minute`` (POSIX seconds // 60), unsorted."""
    start = float(minute * MINUTE)
    m = _Minute(start, random.Random(f"{seed}:{minute}"))
    share = activity(start)
    for make, peak in _WORKING:
        if make is _admin_login and share < 0.9:
            continue
        for _ in range(_count(m.rng, peak * share)):
            make(m)
    for make, rate in _ALWAYS:
        for _ in range(_count(m.rng, rate)):
            make(m)
    for number, source in enumerate(SOURCES):
        if (minute + number) % HEARTBEAT_MINUTES == 0:
            _heartbeat(m, source)
    return m.items


class DemoGenerator:
    """Hands out the demo's records as simulated time passes.

    ``start`` is the POSIX time at which the simulated day begins (and the real time it is
    mapped from); ``speedup`` is simulated seconds per real second. ``batch(now=…)`` returns
    the records whose simulated time falls after the previous call and at or before the
    simulated ``now``, oldest first, at most ``max_per_batch`` of them: what does not fit is
    handed out by the next call, never dropped.
    """

    def __init__(
        self, *, seed: int = DEFAULT_SEED, start: float, speedup: float = 60.0, max_per_batch: int = 2000
    ) -> None:
        if speedup <= 0:
            raise ValueError("speedup must be positive")
        if max_per_batch < 1:
            raise ValueError("max_per_batch must be at least 1")
        self.seed = seed
        self.start = float(start)
        self.speedup = float(speedup)
        self.max_per_batch = max_per_batch
        self._minute = int(self.start // MINUTE)
        self._index = 0
        self._records: list[DemoRecord] | None = None
        self._stories: dict[int, dict[int, list[StoryLine]]] = {}

    def simulated(self, now: float) -> float:
        """The simulated POSIX time that real time ``now`` maps to."""
        return self.start + (now - self.start) * self.speedup

    def batch(self, *, now: float) -> list[DemoRecord]:
        """The records due up to real time ``now`` (at most ``max_per_batch``)."""
        until = self.simulated(now)
        out: list[DemoRecord] = []
        while len(out) < self.max_per_batch:
            records = self._current()
            while (
                self._index < len(records)
                and len(out) < self.max_per_batch
                and records[self._index].at <= until
            ):
                out.append(records[self._index])
                self._index += 1
            if self._index < len(records) or (self._minute + 1) * MINUTE > until:
                break
            self._minute += 1
            self._index = 0
            self._records = None
        return out

    def records_of_minute(self, minute: int) -> list[DemoRecord]:
        """Every record of simulated minute ``minute`` (POSIX seconds // 60), in time order."""
        items = minute_lines(self.seed, minute)
        items.extend((line.at, line.device, line.data) for line in self._story_lines(minute))
        items.sort(key=lambda item: item[0])
        out = []
        for at, device, data in items:
            source = _BY_NAME[device]
            out.append(DemoRecord(data=data, peer=source.peer, dataset=source.dataset, at=at))
        return out

    def _current(self) -> list[DemoRecord]:
        if self._records is None:
            records = self.records_of_minute(self._minute)
            if self._minute == int(self.start // MINUTE):
                records = [r for r in records if r.at >= self.start]
            self._records = records
        return self._records

    def _story_lines(self, minute: int) -> list[StoryLine]:
        midnight = local_midnight(minute * MINUTE)
        day = int(midnight // DAY)
        by_minute = self._stories.get(day)
        if by_minute is None:
            by_minute = {}
            for story in STORIES:
                for line in story.lines(midnight, self.seed):
                    by_minute.setdefault(int(line.at // MINUTE), []).append(line)
            if len(self._stories) >= 2:
                self._stories.pop(min(self._stories))
            self._stories[day] = by_minute
        return by_minute.get(minute, [])
