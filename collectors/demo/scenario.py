"""The demo site: a district e-government extranet (区级电子政务外网) with its zones, assets and
log sources.

Internal hosts use private 10.0.0.0/8 addresses, the internet (visitors, remote staff, update
servers, attackers) only the documentation ranges 192.0.2.0/24, 198.51.100.0/24 and
203.0.113.0/24. Host names live under ``gov.example``.

Layout (安全域):

* ``internet``   互联网接入区 — everything outside; the district's public addresses 198.51.100.1–30
* ``core``       政务外网核心区 10.1.0.0/24 — core switches
* ``dmz``        DMZ 10.1.10.0/24 — published web sites, mail and DNS
* ``public``     公用网络区 10.1.20.0/24 — services every agency uses (DNS, OA, proxy, mail …)
* ``private``    专用网络区 10.1.30.0/24 — agency business systems and databases
* ``remote``     远程接入区 10.1.98.0/24 — the SSL VPN address pool
* ``management`` 安全管理区 10.1.99.0/24 — security devices, jump host, SOC
* ``agency``     委办局接入区 10.2.0.0/16 — one /24 per agency (区卫健委 10.2.2.0/24 …)
* ``town``       街道乡镇接入区 10.3.0.0/16 — one /24 per street office or town, villages above .100
* ``metro``      市级政务外网 10.200.0.0/16 — the city-level extranet behind the uplink
"""

from __future__ import annotations

import csv
import io
import ipaddress
from dataclasses import dataclass
from functools import cache

from soc_core.assets.models import Zone
from soc_core.vocabulary import DEFAULT_ZONE_NAMES_ZH, Criticality, DefaultZone

__all__ = [
    "AGENCIES",
    "ASSETS",
    "DOMAIN",
    "SOURCES",
    "TOWNS",
    "ZONE_SPECS",
    "LogSource",
    "Office",
    "SiteAsset",
    "Workstation",
    "ZoneSpec",
    "address_of",
    "asset_by_hostname",
    "register_csv",
    "source_for",
    "workstations",
    "zone_of",
    "zones",
]

DOMAIN = "gov.example"


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    """One 安全域 of the site and the networks that belong to it."""

    id: str
    name: str
    description: str
    cidrs: tuple[str, ...]


ZONE_SPECS: tuple[ZoneSpec, ...] = (
    ZoneSpec(
        DefaultZone.INTERNET.value,
        DEFAULT_ZONE_NAMES_ZH[DefaultZone.INTERNET],
        "Internet: citizens, remote staff, update servers and attackers",
        ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"),
    ),
    ZoneSpec("core", "政务外网核心区", "Extranet core: core switches and routing", ("10.1.0.0/24",)),
    ZoneSpec(
        DefaultZone.DMZ.value,
        DEFAULT_ZONE_NAMES_ZH[DefaultZone.DMZ],
        "Servers published to the internet: portals, mail and DNS",
        ("10.1.10.0/24",),
    ),
    ZoneSpec(
        DefaultZone.PUBLIC.value,
        DEFAULT_ZONE_NAMES_ZH[DefaultZone.PUBLIC],
        "Shared services every connected agency reaches: DNS, OA, proxy, mail, patching",
        ("10.1.20.0/24",),
    ),
    ZoneSpec(
        DefaultZone.PRIVATE.value,
        DEFAULT_ZONE_NAMES_ZH[DefaultZone.PRIVATE],
        "Agency business systems and their databases, isolated from the internet",
        ("10.1.30.0/24",),
    ),
    ZoneSpec("remote", "远程接入区", "SSL VPN address pool for staff working remotely", ("10.1.98.0/24",)),
    ZoneSpec(
        DefaultZone.MANAGEMENT.value,
        DEFAULT_ZONE_NAMES_ZH[DefaultZone.MANAGEMENT],
        "Security management centre: security devices, jump host, SOC and network management",
        ("10.1.99.0/24",),
    ),
    ZoneSpec("agency", "委办局接入区", "Office networks of the district agencies (委办局)", ("10.2.0.0/16",)),
    ZoneSpec(
        "town",
        "街道乡镇接入区",
        "Street offices, towns and village service stations (街道、乡镇、村（社区）)",
        ("10.3.0.0/16",),
    ),
    ZoneSpec(
        "metro", "市级政务外网", "City-level e-government extranet behind the uplink", ("10.200.0.0/16",)
    ),
)


def zones() -> list[Zone]:
    """The site's zones as the asset register stores them (fresh objects on every call)."""
    return [Zone(id=z.id, name=z.name, description=z.description, cidrs=list(z.cidrs)) for z in ZONE_SPECS]


@cache
def _zone_networks() -> tuple[tuple[ipaddress.IPv4Network, str], ...]:
    pairs = [(ipaddress.IPv4Network(c), z.id) for z in ZONE_SPECS for c in z.cidrs]
    return tuple(sorted(pairs, key=lambda p: p[0].prefixlen, reverse=True))


def zone_of(address: str) -> str | None:
    """The zone id an address or network belongs to (longest prefix), None outside the site."""
    network = ipaddress.ip_network(address, strict=False)
    for candidate, zone_id in _zone_networks():
        if network.version == candidate.version and network.subnet_of(candidate):
            return zone_id
    return None


# -- assets --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteAsset:
    """One row of the asset register (资产台账)."""

    address: str  # a host or a network
    hostname: str
    owner_unit: str  # 责任单位
    zone: str
    device_type: str
    level: int  # 等保 level
    criticality: Criticality
    contact: str


@dataclass(frozen=True, slots=True)
class Office:
    """An agency or town office network and how many staff PCs sit in it."""

    unit: str
    code: str  # host name prefix
    zone: str
    network: str
    pcs: int
    contact: str


BIG_DATA = "区大数据中心"  # runs the extranet, its shared services and the SOC
GOV_OFFICE = "区政府办公室"
SERVICE_CENTRE = "区政务服务中心"
HEALTH = "区卫健委"
EDUCATION = "区教育局"
FINANCE = "区财政局"
HR = "区人社局"
MARKET = "区市场监管局"
CIVIL = "区民政局"
CITY = "市大数据局"

AGENCIES: tuple[Office, ...] = (
    Office(SERVICE_CENTRE, "zwzx", "agency", "10.2.1.0/24", 24, "刘洋"),
    Office(HEALTH, "wjw", "agency", "10.2.2.0/24", 20, "赵磊"),
    Office(EDUCATION, "jyj", "agency", "10.2.3.0/24", 18, "孙丽"),
    Office(FINANCE, "czj", "agency", "10.2.4.0/24", 14, "周敏"),
    Office(HR, "rsj", "agency", "10.2.5.0/24", 14, "吴刚"),
    Office(GOV_OFFICE, "zfb", "agency", "10.2.6.0/24", 16, "郑华"),
    Office(MARKET, "scj", "agency", "10.2.7.0/24", 10, "王芳"),
    Office(CIVIL, "mzj", "agency", "10.2.8.0/24", 10, "冯静"),
)

TOWNS: tuple[Office, ...] = (
    Office("城关街道", "cgjd", "town", "10.3.1.0/24", 10, "陈强"),
    Office("东城街道", "dcjd", "town", "10.3.2.0/24", 8, "褚红"),
    Office("西城街道", "xcjd", "town", "10.3.3.0/24", 8, "卫东"),
    Office("河口镇", "hkz", "town", "10.3.4.0/24", 8, "蒋平"),
    Office("青山镇", "qsz", "town", "10.3.5.0/24", 8, "沈军"),
    Office("石桥乡", "sqx", "town", "10.3.6.0/24", 6, "韩梅"),
)

VILLAGES: tuple[tuple[str, str, str], ...] = (
    ("10.3.101.0/24", "青山镇青山村便民服务站", "qsz-qsc"),
    ("10.3.102.0/24", "河口镇河口村便民服务站", "hkz-hkc"),
    ("10.3.103.0/24", "石桥乡石桥村便民服务站", "sqx-sqc"),
    ("10.3.104.0/24", "城关街道新华社区服务站", "cgjd-xhsq"),
)

_C, _H, _M, _L = Criticality.CRITICAL, Criticality.HIGH, Criticality.MEDIUM, Criticality.LOW

# (address, hostname, owner unit, zone, device type, 等保 level, criticality, contact)
_SERVERS: tuple[tuple[str, str, str, str, str, int, Criticality, str], ...] = (
    ("10.1.0.1", "core-sw-01", BIG_DATA, "core", "核心交换机", 3, _C, "李明"),
    ("10.1.0.2", "core-sw-02", BIG_DATA, "core", "核心交换机", 3, _C, "李明"),
    ("10.1.10.10", "web-zwfw-01", SERVICE_CENTRE, "dmz", "Web服务器", 3, _C, "刘洋"),
    ("10.1.10.11", "web-zwfw-02", SERVICE_CENTRE, "dmz", "Web服务器", 3, _C, "刘洋"),
    ("10.1.10.20", "web-www-01", GOV_OFFICE, "dmz", "Web服务器", 3, _H, "郑华"),
    ("10.1.10.30", "web-jyj-01", EDUCATION, "dmz", "Web服务器", 2, _M, "孙丽"),
    ("10.1.10.31", "web-wjw-01", HEALTH, "dmz", "Web服务器", 2, _M, "赵磊"),
    ("10.1.10.40", "app-zwfw-mobile", SERVICE_CENTRE, "dmz", "应用服务器", 3, _H, "刘洋"),
    ("10.1.10.50", "mail-gw-01", BIG_DATA, "dmz", "邮件网关", 2, _M, "李明"),
    ("10.1.10.53", "dns-dmz-01", BIG_DATA, "dmz", "DNS服务器", 3, _H, "李明"),
    ("10.1.10.60", "ftp-gk-01", GOV_OFFICE, "dmz", "文件服务器", 2, _L, "郑华"),
    ("10.1.20.10", "dns-01", BIG_DATA, "public", "DNS服务器", 3, _C, "李明"),
    ("10.1.20.11", "dns-02", BIG_DATA, "public", "DNS服务器", 3, _C, "李明"),
    ("10.1.20.20", "oa-01", GOV_OFFICE, "public", "应用服务器", 3, _H, "郑华"),
    ("10.1.20.21", "oa-02", GOV_OFFICE, "public", "应用服务器", 3, _H, "郑华"),
    ("10.1.20.25", "file-01", BIG_DATA, "public", "文件服务器", 2, _M, "李明"),
    ("10.1.20.30", "proxy-01", BIG_DATA, "public", "代理服务器", 3, _H, "李明"),
    ("10.1.20.40", "ntp-01", BIG_DATA, "public", "时间服务器", 2, _L, "李明"),
    ("10.1.20.50", "video-01", GOV_OFFICE, "public", "视频会议", 2, _M, "郑华"),
    ("10.1.20.60", "mail-01", BIG_DATA, "public", "邮件服务器", 3, _H, "李明"),
    ("10.1.20.70", "edr-mgr-01", BIG_DATA, "public", "终端安全管理", 3, _H, "王磊"),
    ("10.1.20.80", "patch-01", BIG_DATA, "public", "补丁服务器", 2, _M, "王磊"),
    ("10.1.20.90", "ad-01", BIG_DATA, "public", "统一身份认证", 3, _C, "王磊"),
    ("10.1.20.91", "ad-02", BIG_DATA, "public", "统一身份认证", 3, _C, "王磊"),
    ("10.1.30.10", "zwfw-app-01", SERVICE_CENTRE, "private", "应用服务器", 3, _C, "刘洋"),
    ("10.1.30.11", "zwfw-db-01", SERVICE_CENTRE, "private", "数据库服务器", 3, _C, "刘洋"),
    ("10.1.30.20", "sb-app-01", HR, "private", "应用服务器", 3, _H, "吴刚"),
    ("10.1.30.21", "sb-db-01", HR, "private", "数据库服务器", 3, _C, "吴刚"),
    ("10.1.30.30", "jk-app-01", HEALTH, "private", "应用服务器", 3, _H, "赵磊"),
    ("10.1.30.31", "jk-db-01", HEALTH, "private", "数据库服务器", 3, _C, "赵磊"),
    ("10.1.30.40", "xj-app-01", EDUCATION, "private", "应用服务器", 2, _M, "孙丽"),
    ("10.1.30.50", "cz-app-01", FINANCE, "private", "应用服务器", 3, _H, "周敏"),
    ("10.1.30.51", "cz-db-01", FINANCE, "private", "数据库服务器", 3, _C, "周敏"),
    ("10.1.30.60", "gis-01", GOV_OFFICE, "private", "应用服务器", 2, _M, "郑华"),
    ("10.1.30.70", "backup-01", BIG_DATA, "private", "备份服务器", 3, _H, "李明"),
    ("10.1.98.0/24", "sslvpn-pool", BIG_DATA, "remote", "VPN地址池", 3, _M, "王磊"),
    ("10.1.99.2", "oob-sw-01", BIG_DATA, "management", "管理交换机", 3, _H, "王磊"),
    ("10.1.99.30", "jump-01", BIG_DATA, "management", "堡垒机", 3, _C, "王磊"),
    ("10.1.99.40", "soc-01", BIG_DATA, "management", "安全管理平台", 3, _C, "王磊"),
    ("10.1.99.41", "soc-02", BIG_DATA, "management", "安全管理平台", 3, _C, "王磊"),
    ("10.1.99.50", "nms-01", BIG_DATA, "management", "网管系统", 3, _H, "李明"),
    ("10.1.99.70", "av-update-01", BIG_DATA, "management", "病毒库升级服务器", 2, _M, "王磊"),
    ("10.1.99.80", "ops-pc-01", BIG_DATA, "management", "运维终端", 3, _H, "王磊"),
    ("10.1.99.81", "ops-pc-02", BIG_DATA, "management", "运维终端", 3, _H, "李明"),
    ("10.200.1.10", "city-zwfw-01", CITY, "metro", "市政务服务平台", 3, _H, "市大数据局值班室"),
    ("10.200.1.20", "city-idp-01", CITY, "metro", "市统一身份认证", 3, _H, "市大数据局值班室"),
    ("10.200.2.10", "city-exchange-01", CITY, "metro", "市数据共享交换平台", 3, _H, "市大数据局值班室"),
)


# -- log sources ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogSource:
    """A device that sends its log to the platform: its address, dataset and own name."""

    ip: str
    dataset: str
    name: str  # what the device calls itself in its lines
    product: str
    role: str  # where it sits, in the site's words
    port: int = 514

    @property
    def peer(self) -> str:
        """``ip:port`` as a syslog listener sees the sender."""
        return f"{self.ip}:{self.port}"


SOURCES: tuple[LogSource, ...] = (
    LogSource("10.1.99.11", "huawei.usg", "fw-border-01", "Huawei USG6650E", "互联网边界防火墙"),
    LogSource("10.1.99.12", "huawei.ips", "ips-border-01", "Huawei NIP6610", "互联网边界入侵防御"),
    LogSource("10.1.99.13", "h3c.secpath", "fw-core-01", "H3C SecPath F5030", "政务外网核心防火墙"),
    LogSource("10.1.99.14", "h3c.ips", "ips-core-01", "H3C SecPath T5020", "核心区入侵防御"),
    LogSource("10.1.99.15", "hillstone.stoneos", "fw-town-01", "Hillstone SG-6000-E3960", "乡镇汇聚防火墙"),
    LogSource("10.1.99.16", "sangfor.af", "af-jyj-01", "Sangfor AF-1000", "区教育局边界防火墙"),
    LogSource("10.1.99.17", "qianxin.nsg", "nsg-dc-01", "Qi-anxin NSG5000", "专用网络区边界防火墙"),
    LogSource("10.1.99.18", "topsec.tos", "fw-dmz-01", "Topsec NGFW4000-UF", "DMZ 区防火墙"),
    LogSource("10.1.99.19", "fortinet.fortigate", "fgt-vpn-01", "FortiGate 200F", "SSL VPN 远程接入网关"),
    LogSource("10.1.99.20", "cisco.asa", "asa-metro-01", "Cisco ASA 5525-X", "市级政务外网上联防火墙"),
    LogSource("10.1.99.21", "suricata.eve", "ids-core-01", "Suricata 7", "DMZ 与核心镜像入侵检测"),
    LogSource("10.1.99.22", "snort.alert", "ids-town-01", "Snort 2.9", "乡镇汇聚镜像入侵检测"),
    LogSource("10.1.99.23", "nsfocus.waf", "waf-zwfw-01", "NSFOCUS WAF NF-1000", "政务服务网 WAF"),
    LogSource("10.1.99.24", "qianxin.waf", "waf-www-01", "Qi-anxin SecWAF", "区政府门户网站 WAF"),
    LogSource("10.1.99.25", "chaitin.safeline", "safeline-01", "Chaitin SafeLine", "区教育局网站 WAF"),
    LogSource("10.1.10.31", "modsecurity.auditlog", "web-wjw-01", "Apache 2.4 + ModSecurity", "区卫健委网站"),
    LogSource("10.1.10.10", "nginx.access", "web-zwfw-01", "Nginx 1.24", "政务服务网节点一"),
    LogSource("10.1.10.11", "nginx.access", "web-zwfw-02", "Nginx 1.24", "政务服务网节点二"),
    LogSource("10.1.10.20", "apache.access", "web-www-01", "Apache 2.4", "区政府门户网站"),
    LogSource("10.1.20.30", "squid.access", "proxy-01", "Squid 5", "上网代理"),
    LogSource("10.1.99.30", "iptables.log", "jump-01", "Linux netfilter", "堡垒机主机防火墙"),
)

_DEVICE_TYPES: dict[str, str] = {
    "huawei.usg": "防火墙",
    "h3c.secpath": "防火墙",
    "hillstone.stoneos": "防火墙",
    "sangfor.af": "防火墙",
    "qianxin.nsg": "防火墙",
    "topsec.tos": "防火墙",
    "cisco.asa": "防火墙",
    "fortinet.fortigate": "VPN网关",
    "huawei.ips": "入侵防御系统",
    "h3c.ips": "入侵防御系统",
    "suricata.eve": "入侵检测系统",
    "snort.alert": "入侵检测系统",
    "nsfocus.waf": "Web应用防火墙",
    "qianxin.waf": "Web应用防火墙",
    "chaitin.safeline": "Web应用防火墙",
}


def source_for(name: str) -> LogSource:
    """The log source with this device name."""
    for source in SOURCES:
        if source.name == name:
            return source
    raise KeyError(name)


# -- staff PCs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Workstation:
    """A staff PC and the account that uses it."""

    ip: str
    hostname: str
    unit: str
    zone: str
    user: str


_USERS: tuple[str, ...] = (
    "zhangwei", "wangfang", "lina", "liuyang", "chenjing", "yangli", "zhaolei", "huangmin", "zhoujie",
    "wuxia", "xuqiang", "sunli", "majun", "zhuhong", "huyan", "guoping", "hejun", "linfeng", "luoqing",
    "gaoyan", "zhengwen", "liangtao", "xiehui", "songbo", "tangli", "hanxue", "fengmei", "dengchao",
    "caoyu", "pengfei", "zengli", "xiaoyu", "tianjing", "dongmei", "panwei", "yuanhao", "jiangtao",
    "caihong", "duyan", "yeqing", "chengli", "weiwei", "sulin", "lvbin", "dingyi", "renjie", "shenhui",
    "yaoli", "lujun", "jiangli", "cuiying", "zhongyi", "tanlin", "liaowei", "fanjing", "jinhui",
    "weiqiang", "xiajun", "fuyan", "fangming", "baixue", "zoujian", "menghui", "qinfeng", "qiuli",
    "houjie", "jiangyu", "xiongwei", "jialin", "hexin", "liming",
)  # fmt: skip


@cache
def workstations() -> tuple[Workstation, ...]:
    """Every staff PC of the agencies and towns, addressed from .21 up in its office network."""
    found: list[Workstation] = []
    for office in (*AGENCIES, *TOWNS):
        base = ipaddress.IPv4Network(office.network).network_address
        for number in range(office.pcs):
            user = _USERS[len(found) % len(_USERS)]
            found.append(
                Workstation(
                    ip=str(base + 21 + number),
                    hostname=f"{office.code}-pc-{21 + number:03d}",
                    unit=office.unit,
                    zone=office.zone,
                    user=user,
                )
            )
    return tuple(found)


# Named PCs the register lists one by one (窗口终端, 财务终端 …); the rest are covered by the office networks.
_NAMED_PCS: tuple[tuple[str, str, int, Criticality], ...] = (
    ("zwzx-pc-021", "政务服务窗口终端", 3, _M),
    ("zwzx-pc-022", "政务服务窗口终端", 3, _M),
    ("zwzx-pc-030", "政务服务窗口终端", 3, _M),
    ("wjw-pc-021", "办公终端", 2, _L),
    ("wjw-pc-030", "办公终端", 2, _L),
    ("jyj-pc-021", "办公终端", 2, _L),
    ("czj-pc-021", "财务终端", 3, _H),
    ("czj-pc-022", "财务终端", 3, _H),
    ("rsj-pc-021", "社保经办终端", 3, _M),
    ("zfb-pc-021", "机要终端", 3, _H),
    ("zfb-pc-022", "办公终端", 2, _L),
    ("scj-pc-021", "办公终端", 2, _L),
    ("mzj-pc-021", "办公终端", 2, _L),
    ("cgjd-pc-021", "便民服务终端", 2, _L),
    ("dcjd-pc-021", "便民服务终端", 2, _L),
    ("xcjd-pc-021", "便民服务终端", 2, _L),
    ("hkz-pc-021", "办公终端", 2, _L),
    ("qsz-pc-023", "办公终端", 2, _L),
    ("sqx-pc-021", "办公终端", 2, _L),
)


@cache
def _assets() -> tuple[SiteAsset, ...]:
    rows: list[SiteAsset] = [SiteAsset(*row) for row in _SERVERS]
    for source in SOURCES:
        if source.dataset in _DEVICE_TYPES:
            rows.append(
                SiteAsset(
                    source.ip,
                    source.name,
                    BIG_DATA,
                    "management",
                    _DEVICE_TYPES[source.dataset],
                    3,
                    _C,
                    "王磊",
                )
            )
    for office in (*AGENCIES, *TOWNS):
        level = 3 if office.unit == SERVICE_CENTRE else 2
        rows.append(
            SiteAsset(
                office.network,
                f"{office.code}-lan",
                office.unit,
                office.zone,
                "办公网段",
                level,
                _M,
                office.contact,
            )
        )
    for network, unit, code in VILLAGES:
        rows.append(SiteAsset(network, f"{code}-lan", unit, "town", "办公网段", 2, _L, "村（社区）网格员"))
    by_name = {w.hostname: w for w in workstations()}
    contacts = {o.unit: o.contact for o in (*AGENCIES, *TOWNS)}
    for hostname, device_type, level, criticality in _NAMED_PCS:
        pc = by_name[hostname]
        rows.append(
            SiteAsset(pc.ip, hostname, pc.unit, pc.zone, device_type, level, criticality, contacts[pc.unit])
        )
    return tuple(rows)


ASSETS: tuple[SiteAsset, ...] = _assets()


def asset_by_hostname(hostname: str) -> SiteAsset:
    """The register row of a named host."""
    for asset in ASSETS:
        if asset.hostname == hostname:
            return asset
    raise KeyError(hostname)


def address_of(hostname: str) -> str:
    """The address of a named host of the register."""
    return asset_by_hostname(hostname).address


_LEVEL_WORDS = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
_REGISTER_HEADER = ("IP地址", "主机名", "责任单位", "安全域", "设备类型", "等保级别", "重要程度", "联系人")


def register_csv() -> bytes:
    """The asset register as a UTF-8 CSV (with BOM, as Excel saves it), Chinese headers."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_REGISTER_HEADER)
    for a in ASSETS:
        writer.writerow(
            (
                a.address,
                a.hostname,
                a.owner_unit,
                a.zone,
                a.device_type,
                _LEVEL_WORDS[a.level],
                a.criticality.label_zh,
                a.contact,
            )
        )
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
