"""The one place where Shaowang's controlled vocabulary lives.

Event kinds, categories, types and outcomes follow ECS 8.x allowed values. Severities,
roles and statuses are ours; every other module imports them from here.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class EventKind(StrEnum):
    """ECS ``event.kind``."""

    ALERT = "alert"
    ASSET = "asset"
    ENRICHMENT = "enrichment"
    EVENT = "event"
    METRIC = "metric"
    STATE = "state"
    PIPELINE_ERROR = "pipeline_error"
    SIGNAL = "signal"


class EventCategory(StrEnum):
    """ECS ``event.category``."""

    API = "api"
    AUTHENTICATION = "authentication"
    CONFIGURATION = "configuration"
    DATABASE = "database"
    DRIVER = "driver"
    EMAIL = "email"
    FILE = "file"
    HOST = "host"
    IAM = "iam"
    INTRUSION_DETECTION = "intrusion_detection"
    LIBRARY = "library"
    MALWARE = "malware"
    NETWORK = "network"
    PACKAGE = "package"
    PROCESS = "process"
    REGISTRY = "registry"
    SESSION = "session"
    THREAT = "threat"
    VULNERABILITY = "vulnerability"
    WEB = "web"


class EventType(StrEnum):
    """ECS ``event.type``."""

    ACCESS = "access"
    ADMIN = "admin"
    ALLOWED = "allowed"
    CHANGE = "change"
    CONNECTION = "connection"
    CREATION = "creation"
    DELETION = "deletion"
    DENIED = "denied"
    END = "end"
    ERROR = "error"
    GROUP = "group"
    INDICATOR = "indicator"
    INFO = "info"
    INSTALLATION = "installation"
    PROTOCOL = "protocol"
    START = "start"
    USER = "user"


class EventOutcome(StrEnum):
    """ECS ``event.outcome``."""

    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"


class Severity(IntEnum):
    """Normalised ``event.severity``: every vendor scale is mapped onto these five steps."""

    INFORMATIONAL = 1
    LOW = 2
    MEDIUM = 3
    HIGH = 4
    CRITICAL = 5

    @property
    def label_zh(self) -> str:
        """Chinese label shown in the console."""
        return SEVERITY_LABELS_ZH[self]

    @classmethod
    def from_sigma_level(cls, level: str) -> Severity:
        """Map a Sigma rule ``level`` to a severity."""
        return SIGMA_LEVELS[level.lower()]

    @classmethod
    def from_syslog(cls, syslog_severity: int) -> Severity:
        """Map an RFC 5424 severity (0 emergency … 7 debug) to a severity."""
        return SYSLOG_SEVERITIES[max(0, min(7, syslog_severity))]


SEVERITY_LABELS_ZH: dict[Severity, str] = {
    Severity.INFORMATIONAL: "信息",
    Severity.LOW: "低危",
    Severity.MEDIUM: "中危",
    Severity.HIGH: "高危",
    Severity.CRITICAL: "严重",
}

# What one alert of each severity adds to the risk of its hosts on the network graph (0–100).
SEVERITY_RISK: dict[int, float] = {
    Severity.INFORMATIONAL: 10.0,
    Severity.LOW: 25.0,
    Severity.MEDIUM: 50.0,
    Severity.HIGH: 75.0,
    Severity.CRITICAL: 100.0,
}

SIGMA_LEVELS: dict[str, Severity] = {
    "informational": Severity.INFORMATIONAL,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}

SYSLOG_SEVERITIES: dict[int, Severity] = {
    0: Severity.CRITICAL,  # emergency
    1: Severity.CRITICAL,  # alert
    2: Severity.HIGH,  # critical
    3: Severity.HIGH,  # error
    4: Severity.MEDIUM,  # warning
    5: Severity.LOW,  # notice
    6: Severity.INFORMATIONAL,  # informational
    7: Severity.INFORMATIONAL,  # debug
}


class ObserverType(StrEnum):
    """ECS ``observer.type`` values used by our parsers."""

    FIREWALL = "firewall"
    IDS = "ids"
    IPS = "ips"
    WAF = "waf"
    PROXY = "proxy"
    SENSOR = "sensor"
    ROUTER = "router"
    SWITCH = "switch"
    VPN = "vpn"
    HOST = "host"


class Role(StrEnum):
    """Platform roles (DESIGN §1). The three admin roles are 三员分立."""

    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"
    AUDIT_ADMIN = "audit_admin"
    ANALYST = "analyst"
    NETWORK_ADMIN = "network_admin"
    COMPLIANCE_OFFICER = "compliance_officer"

    @property
    def label_zh(self) -> str:
        """Chinese label shown in the console."""
        return ROLE_LABELS_ZH[self]


ADMIN_ROLES: frozenset[Role] = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

ROLE_LABELS_ZH: dict[Role, str] = {
    Role.SYSTEM_ADMIN: "系统管理员",
    Role.SECURITY_ADMIN: "安全管理员",
    Role.AUDIT_ADMIN: "审计管理员",
    Role.ANALYST: "安全分析员",
    Role.NETWORK_ADMIN: "网络管理员",
    Role.COMPLIANCE_OFFICER: "合规专员",
}


class AlertStatus(StrEnum):
    """Triage status of an alert."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Disposition(StrEnum):
    """Analyst's verdict when closing an alert."""

    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"
    BENIGN = "benign"


# Triage moves an alert new → in progress → closed; closing skips ahead, reopening goes back to work.
ALERT_TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.NEW: frozenset({AlertStatus.IN_PROGRESS, AlertStatus.CLOSED}),
    AlertStatus.IN_PROGRESS: frozenset({AlertStatus.NEW, AlertStatus.CLOSED}),
    AlertStatus.CLOSED: frozenset({AlertStatus.IN_PROGRESS}),
}


class RuleState(StrEnum):
    """Whether a rule runs: loaded, failed to load (with a reason), or routed to no live source."""

    LOADED = "loaded"
    FAILED = "failed"
    UNROUTED = "unrouted"


class IncidentStatus(StrEnum):
    """Lifecycle of an incident."""

    OPEN = "open"
    CONTAINED = "contained"
    RESOLVED = "resolved"
    CLOSED = "closed"


class IncidentLevel(StrEnum):
    """GB/T 20986 grading of an incident (I is the gravest)."""

    EXTRAORDINARY = "I"
    MAJOR = "II"
    LARGE = "III"
    GENERAL = "IV"

    @property
    def label_zh(self) -> str:
        """Chinese label shown in the console."""
        return INCIDENT_LEVEL_LABELS_ZH[self]


INCIDENT_LEVEL_LABELS_ZH: dict[IncidentLevel, str] = {
    IncidentLevel.EXTRAORDINARY: "特别重大事件",
    IncidentLevel.MAJOR: "重大事件",
    IncidentLevel.LARGE: "较大事件",
    IncidentLevel.GENERAL: "一般事件",
}


class EvidenceKind(StrEnum):
    """What a piece of incident evidence points at."""

    EVENT = "event"
    ALERT = "alert"
    PCAP = "pcap"
    FILE = "file"


class ComplianceStatus(StrEnum):
    """How far the live data evidences one 等保 item (the assessor's four verdicts)."""

    COMPLIANT = "compliant"
    PARTIAL = "partial"
    NON_COMPLIANT = "non_compliant"
    UNDETERMINED = "undetermined"

    @property
    def label_zh(self) -> str:
        """The verdict as a 测评 report writes it."""
        return COMPLIANCE_STATUS_LABELS_ZH[self]


COMPLIANCE_STATUS_LABELS_ZH: dict[ComplianceStatus, str] = {
    ComplianceStatus.COMPLIANT: "符合",
    ComplianceStatus.PARTIAL: "部分符合",
    ComplianceStatus.NON_COMPLIANT: "不符合",
    ComplianceStatus.UNDETERMINED: "无法判定",
}


class RunStatus(StrEnum):
    """Where a playbook run stands."""

    RUNNING = "running"
    WAITING = "waiting"  # for an approval or a timer
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class StepStatus(StrEnum):
    """Where one step of a run stands."""

    RUNNING = "running"
    WAITING = "waiting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class ApprovalStatus(StrEnum):
    """A pending decision on a response action."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class BlockStatus(StrEnum):
    """A block applied by a responder (or only recorded, in dry-run)."""

    ACTIVE = "active"
    DRY_RUN = "dry_run"
    REMOVED = "removed"  # lifted by hand
    EXPIRED = "expired"  # its TTL ran out and it was lifted
    FAILED = "failed"


class ReportStatus(StrEnum):
    """A 通报 record's lifecycle (《国家网络安全事件报告管理办法》)."""

    DRAFT = "draft"
    REPORTED = "reported"
    HANDLING = "handling"
    FEEDBACK = "feedback"
    CLOSED = "closed"

    @property
    def label_zh(self) -> str:
        """The state as the console shows it."""
        return REPORT_STATUS_LABELS_ZH[self]


REPORT_STATUS_LABELS_ZH: dict[ReportStatus, str] = {
    ReportStatus.DRAFT: "草稿",
    ReportStatus.REPORTED: "已上报",
    ReportStatus.HANDLING: "处置中",
    ReportStatus.FEEDBACK: "已反馈",
    ReportStatus.CLOSED: "已结案",
}

REPORT_TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.DRAFT: frozenset({ReportStatus.REPORTED}),
    ReportStatus.REPORTED: frozenset({ReportStatus.HANDLING}),
    ReportStatus.HANDLING: frozenset({ReportStatus.FEEDBACK}),
    ReportStatus.FEEDBACK: frozenset({ReportStatus.CLOSED, ReportStatus.HANDLING}),
    ReportStatus.CLOSED: frozenset(),
}


class UnitType(StrEnum):
    """Who reports: the deadline of a 通报 depends on it (configurable in ``[reports]``)."""

    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"  # 关键信息基础设施运营者
    PARTY_GOVERNMENT = "party_government"  # 党政机关
    NETWORK_OPERATOR = "network_operator"  # 其他网络运营者


class NoticeStatus(StrEnum):
    """An inbound 通报预警 turned into a rectification task for an owner unit."""

    OPEN = "open"
    FEEDBACK = "feedback"  # the unit answered; awaiting review
    CLOSED = "closed"  # reviewed and accepted


class DeadLetterReason(StrEnum):
    """Why a received record could not become an event."""

    EMPTY = "empty_record"
    BINARY = "binary_content"
    TOO_LONG = "record_too_long"
    NO_PARSER = "no_parser_recognised"
    PARSE_ERROR = "parse_error"
    ENCODING = "undecodable"
    INVALID_EVENT = "invalid_event"


DATASETS_BY_FAMILY: dict[str, tuple[str, ...]] = {
    "firewall": (
        "huawei.usg",
        "h3c.secpath",
        "hillstone.stoneos",
        "sangfor.af",
        "qianxin.nsg",
        "topsec.tos",
        "fortinet.fortigate",
        "cisco.asa",
        "panw.panos",
        "juniper.srx",
        "iptables.log",
        "pfsense.log",
    ),
    "ids_ips": ("suricata.eve", "snort.alert", "h3c.ips", "huawei.ips", "nsfocus.nips", "venustech.ids"),
    "waf": (
        "modsecurity.auditlog",
        "nsfocus.waf",
        "qianxin.waf",
        "chaitin.safeline",
        "nginx.access",
        "apache.access",
    ),
    "proxy": ("sangfor.ac", "netentsec.icg", "squid.access"),
    "generic": ("cef.log", "leef.log", "syslog.kv", "json.log"),
    "traffic": ("network.flow", "network.dns", "network.http", "network.tls"),
    "platform": ("shaowang.audit", "shaowang.health", "shaowang.deadletter", "shaowang.alert"),
}

DATASETS: frozenset[str] = frozenset(d for family in DATASETS_BY_FAMILY.values() for d in family)

DEAD_LETTER_DATASET = "shaowang.deadletter"
AUDIT_DATASET = "shaowang.audit"
HEALTH_DATASET = "shaowang.health"

DEFAULT_TIMEZONE = "Asia/Shanghai"
MIN_RETENTION_DAYS = 180  # 网络安全法 §21: at least six months
MAX_RECORD_BYTES = 1024 * 1024


class DefaultZone(StrEnum):
    """The 安全域 of an e-government extranet; sites may rename these or add their own."""

    INTERNET = "internet"
    PUBLIC = "public"
    PRIVATE = "private"
    MANAGEMENT = "management"
    DMZ = "dmz"


DEFAULT_ZONE_NAMES_ZH: dict[DefaultZone, str] = {
    DefaultZone.INTERNET: "互联网接入区",
    DefaultZone.PUBLIC: "公用网络区",
    DefaultZone.PRIVATE: "专用网络区",
    DefaultZone.MANAGEMENT: "安全管理区",
    DefaultZone.DMZ: "DMZ",
}

DEFAULT_ZONE_DESCRIPTIONS: dict[DefaultZone, str] = {
    DefaultZone.INTERNET: "Internet access: the boundary towards the public internet",
    DefaultZone.PUBLIC: "Public network area: services every connected agency may reach",
    DefaultZone.PRIVATE: "Private network area: agency business systems, isolated from the internet",
    DefaultZone.MANAGEMENT: "Security management centre: the SOC, monitoring and device management",
    DefaultZone.DMZ: "Demilitarised zone: servers published to the internet",
}


class Criticality(StrEnum):
    """How much an asset matters to the site (重要程度)."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def label_zh(self) -> str:
        """Chinese label shown in the console and used in asset registers."""
        return CRITICALITY_LABELS_ZH[self]


CRITICALITY_LABELS_ZH: dict[Criticality, str] = {
    Criticality.LOW: "低",
    Criticality.MEDIUM: "中",
    Criticality.HIGH: "高",
    Criticality.CRITICAL: "核心",
}


class AssetOrigin(StrEnum):
    """How an asset entered the register."""

    IMPORT = "import"
    API = "api"
    DISCOVERED = "discovered"


PROTECTION_LEVELS: tuple[int, ...] = (1, 2, 3, 4)  # 等保 2.0 levels a register may carry (5 is not civil)
