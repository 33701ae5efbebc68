"""Settings: ``shaowang.toml`` plus ``SOC_*`` environment variables (``SOC_API__PORT=8001``).

Precedence, highest first: explicit arguments (command-line flags), environment variables,
the settings file, defaults. The file is ``./shaowang.toml`` or the path in ``SOC_CONFIG``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from soc_core.errors import ConfigError
from soc_core.vocabulary import DEFAULT_TIMEZONE, MAX_RECORD_BYTES, MIN_RETENTION_DAYS


def parse_hostport(value: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """``"host:port"``, ``":port"`` or ``"[v6]:port"`` → (host, port)."""
    text = value.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.lstrip(":")
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep:
            host, port_text = text, ""
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(f"expected HOST:PORT, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"port out of range in {value!r}")
    return (host or default_host), port


class TlsListener(BaseModel):
    """Syslog over TLS (RFC 5425)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 6514
    certfile: Path | None = None
    keyfile: Path | None = None
    client_ca: Path | None = Field(default=None, description="CA bundle; set to require client certificates")
    require_client_cert: bool = False


class SyslogSettings(BaseModel):
    """Syslog intake: UDP and TCP share one port."""

    host: str = "127.0.0.1"
    port: int = 5514
    udp: bool = True
    tcp: bool = True
    max_record_bytes: int = MAX_RECORD_BYTES
    udp_receive_buffer: int = 8 * 1024 * 1024
    tls: TlsListener = Field(default_factory=TlsListener)


class FileSource(BaseModel):
    """A log file followed like ``tail -F``; offsets survive restarts and rotation."""

    path: Path
    dataset: str | None = None
    timezone: str | None = None


class SourceMapping(BaseModel):
    """Per-source override: a peer address or hostname → dataset, timezone and labels."""

    match: str = Field(description="peer IP, CIDR or syslog hostname")
    dataset: str | None = None
    timezone: str | None = None
    labels: dict[str, str] = Field(
        default_factory=dict, description="ECS labels added to every event of the source (site, owner …)"
    )
    expected_interval_s: int | None = Field(
        default=None, ge=60, description="reports at least this often; default detection.silence_after_s"
    )


class ApiSettings(BaseModel):
    """Console and HTTP API."""

    host: str = "127.0.0.1"
    port: int = 8000
    session_idle_minutes: int = 30
    cookie_secure: bool = Field(
        default=True, description="mark console cookies Secure (browsers accept them on http://127.0.0.1 too)"
    )
    token_secret: str | None = Field(default=None, description="generated into the data dir when unset")


class ElasticsearchSettings(BaseModel):
    """The Elasticsearch 8 cluster used when ``store.backend = "elasticsearch"``."""

    url: str | None = Field(default=None, description="e.g. https://user:password@es.example:9200")
    namespace: str = Field(default="default", description="data streams are logs-<dataset>-<namespace>")


class StoreSettings(BaseModel):
    """Event store."""

    backend: Literal["embedded", "elasticsearch"] = "embedded"
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    retention_days: int = MIN_RETENTION_DAYS
    retention_override: str | None = Field(
        default=None, description="required reason when retention_days is below 180; recorded"
    )
    commit_interval_ms: int = 50
    seal_interval_s: float = 5.0
    seal_max_events: int = 200_000
    compact_min_files: int = 8
    search_cache_mb: int = Field(
        default=256,
        ge=0,
        description="decoded row groups kept for fetching search hits (the newest data is searched most)",
    )

    @field_validator("retention_days")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("retention_days must be at least 1")
        return value

    @model_validator(mode="after")
    def _elasticsearch_has_url(self) -> StoreSettings:
        if self.backend == "elasticsearch" and not (self.elasticsearch.url or "").strip():
            raise ValueError('store.backend = "elasticsearch" needs store.elasticsearch.url')
        return self


class StateSettings(BaseModel):
    """State store (alerts, users, audit log …): SQLite by default."""

    url: str | None = Field(default=None, description="SQLAlchemy URL; default sqlite in the data dir")


class IngestSettings(BaseModel):
    """Pipeline tuning."""

    default_format: str = "auto"
    default_timezone: str = DEFAULT_TIMEZONE
    queue_max_records: int = 200_000
    batch_max_records: int = 5_000
    parse_workers: int | None = Field(
        default=None, description="parse worker processes; default one per core, 0 parses in-process"
    )


class ParsersSettings(BaseModel):
    """Declarative (YAML) parser definitions: the site's directories, and the shipped ones."""

    dirs: list[Path] = Field(default_factory=list, description="directories (or files) of *.yaml definitions")
    shipped: bool = Field(default=True, description="also load collectors/parsers/declarative/shipped")


class HuntSchedule(BaseModel):
    """Rules run over stored events on a schedule (``[[detection.hunts]]``).

    Schedules with the same ``every_s`` share one scheduler job and one read of each window.
    """

    name: str = Field(min_length=1, max_length=100)
    rules: list[Path] = Field(min_length=1, description="rule files or directories")
    every_s: int = Field(
        default=3600, ge=60, description="how often it runs; each run covers the time since the last"
    )
    delay_s: int = Field(
        default=120, ge=0, description="how far behind now a run stops, so late events are in"
    )
    catch_up_s: int = Field(
        default=7 * 86400, ge=60, description="the longest span one run goes back after a pause"
    )


class DetectionSettings(BaseModel):
    """Sigma detection: which rules, placeholder values, dedup and state saving."""

    enabled: bool = True
    shipped: bool = Field(default=True, description="load the shipped rule pack (rules/sigma)")
    rules: list[Path] = Field(default_factory=list, description="more rule files or directories")
    placeholders: dict[str, list[str]] = Field(
        default_factory=dict, description="values of %name% placeholders used by rules with |expand"
    )
    timezone: str = Field(
        default=DEFAULT_TIMEZONE, description="timezone of timestamp-part modifiers (|hour …)"
    )
    dedup_window_s: int = Field(
        default=300, ge=0, description="matches of a rule and group within this merge"
    )
    state_save_interval_s: float = Field(default=10.0, gt=0, description="how often windows are saved")
    silence_after_s: int = Field(
        default=900, ge=60, description="a source quiet this long after having sent raises a health event"
    )
    hunts: list[HuntSchedule] = Field(default_factory=list, description="scheduled hunts over stored events")

    @field_validator("hunts")
    @classmethod
    def _unique_hunt_names(cls, hunts: list[HuntSchedule]) -> list[HuntSchedule]:
        names = [hunt.name for hunt in hunts]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"hunt names must be unique: {', '.join(twice)}")
        return hunts


class CaptureSettings(BaseModel):
    """Live capture from a mirror (SPAN) port: packets → flows, DNS, HTTP and TLS events."""

    interface: str | None = Field(default=None, description="network interface; unset: no live capture")
    bpf: str | None = Field(default=None, description="capture filter (tcpdump syntax), e.g. 'not port 5514'")
    snaplen: int = Field(default=65535, ge=64, le=262_144)
    buffer_mb: int = Field(default=64, ge=1, le=4096, description="kernel receive buffer")
    idle_timeout_s: float = Field(default=60.0, gt=0, description="a flow with no packet this long ends")
    active_timeout_s: float = Field(
        default=1800.0, gt=0, description="a long flow is reported this often while it lasts"
    )
    ring_gb: float = Field(
        default=2.0, ge=0, description="recent packets kept in data/pcap for pivots from alerts; 0: none"
    )
    ring_file_mb: int = Field(default=64, ge=1, le=4096, description="size of each pcap file in the ring")

    @field_validator("ring_gb")
    @classmethod
    def _ring_holds_one_file(cls, value: float) -> float:
        if 0 < value * 1024 < 1:
            raise ValueError("ring_gb must be 0 (no ring) or at least one ring file (1 MB)")
        return value


class SuricataSettings(BaseModel):
    """Suricata 7 as a sensor that ``soc run`` supervises; its EVE output is ingested as ``suricata.eve``."""

    enabled: bool = False
    binary: str = Field(default="suricata", description="the suricata program (bookworm-backports)")
    interface: str | None = Field(default=None, description="mirror interface; default capture.interface")
    pcap: Path | None = Field(default=None, description="read this capture file once instead of an interface")
    bpf: str | None = Field(default=None, description="capture filter; default capture.bpf")
    home_net: str = Field(
        default="[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16]",
        description="Suricata's HOME_NET: the extranet's own",
    )
    shipped_rules: bool = Field(default=True, description="load rules/suricata/shaowang-extranet.rules")
    rules: list[Path] = Field(default_factory=list, description="more rule files")
    extra_args: list[str] = Field(default_factory=list, description="more suricata command-line arguments")
    watch_interval_s: float = Field(default=2.0, gt=0, description="how often a dead sensor is noticed")


class GraphSettings(BaseModel):
    """The whole-network graph: risk decay, and alerts on first communications into key assets."""

    risk_half_life_h: float = Field(
        default=24.0, gt=0, description="an alert's weight on a node halves this often"
    )
    learning_days: float = Field(
        default=7.0, ge=0, description="no new-communication alerts until the graph has watched this long"
    )
    alert_min_level: int = Field(
        default=3, ge=1, le=5, description="a first edge into an asset of this 等保 level or higher alerts"
    )
    alert_criticality: list[str] = Field(
        default_factory=lambda: ["critical"], description="…or into an asset of these criticalities"
    )
    save_interval_s: float = Field(
        default=60.0, gt=0, description="how often the graph's aggregates are saved"
    )


class ComplianceSettings(BaseModel):
    """等保 2.0 evidence: who is assessed, over which period, with which font."""

    unit: str | None = Field(default=None, description="the assessed unit (被测单位) named on the report")
    period_days: int = Field(default=30, ge=1, le=3660, description="default period of an evidence pack")
    font: Path | None = Field(default=None, description="a TrueType CJK font; default: Debian's WenQuanYi")


class PlaybookSettings(BaseModel):
    """Playbooks, the channels they notify through and the responders they block with."""

    enabled: bool = True
    shipped: bool = Field(default=True, description="load playbooks/library")
    dirs: list[Path] = Field(default_factory=list, description="more playbook files or directories")
    console_url: str = Field(default="http://127.0.0.1:8000", description="links in messages point here")
    retry_attempts: int = Field(default=3, ge=1, le=20, description="tries of a failing step")
    retry_backoff_s: float = Field(default=30.0, gt=0, description="first wait between tries; doubles")
    poll_interval_s: float = Field(default=5.0, gt=0, description="how often due runs and TTLs are checked")
    channels: list[dict[str, Any]] = Field(
        default_factory=list,
        description="notification channels: id, kind (email|webhook|dingtalk|wecom|sms|file), …",
    )
    responders: list[dict[str, Any]] = Field(
        default_factory=list,
        description="block responders: id, kind (nftables|iptables|huawei|h3c), dry_run …",
    )


class ReportSettings(BaseModel):
    """通报: who reports, and the deadline per unit type (《国家网络安全事件报告管理办法》)."""

    unit: str = Field(default="本单位", description="报告单位")
    unit_type: str = Field(
        default="network_operator", description="critical_infrastructure|party_government|network_operator"
    )
    contact: str | None = Field(default=None, description="联系人及方式")
    deadline_hours: dict[str, float] = Field(
        default_factory=lambda: {
            "critical_infrastructure": 1.0,
            "party_government": 2.0,
            "network_operator": 4.0,
        },
        description="hours from discovery to report, per unit type",
    )
    notice_days: int = Field(
        default=15, ge=1, description="default rectification period of an inbound notice"
    )


class ScaleoutSettings(BaseModel):
    """``soc collector`` → NATS JetStream → ``soc worker`` (multi-node deployments)."""

    nats_url: str = Field(default="nats://127.0.0.1:4222", description="NATS server(s), comma-separated")
    stream: str = Field(default="SHAOWANG", pattern=r"^[A-Za-z0-9_-]{1,64}$", description="JetStream stream")
    partitions: int = Field(
        default=8, ge=1, le=256, description="event partitions (fixed once the stream has data)"
    )
    partition_fields: list[str] = Field(
        default_factory=lambda: ["source.ip", "user.name", "host.name"],
        min_length=1,
        description="an event goes to the partition of the first of these it carries",
    )
    batch_max: int = Field(
        default=500, ge=1, le=10_000, description="events per bus message and per worker fetch"
    )
    lease_s: float = Field(
        default=5.0, gt=0, le=300, description="a dead worker's partitions move after this"
    )
    ack_wait_s: float = Field(
        default=10.0, gt=0, le=3600, description="an unacknowledged batch is redelivered after this"
    )
    alerts_from_workers: bool = Field(
        default=False,
        description="soc run: start playbooks for the alerts workers record in the shared state store",
    )


class Settings(BaseSettings):
    """All settings. Nested keys map to ``SOC_SECTION__KEY`` environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="SOC_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    data_dir: Path = Path("data")
    syslog: SyslogSettings = Field(default_factory=SyslogSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    state: StateSettings = Field(default_factory=StateSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    parsers: ParsersSettings = Field(default_factory=ParsersSettings)
    detection: DetectionSettings = Field(default_factory=DetectionSettings)
    capture: CaptureSettings = Field(default_factory=CaptureSettings)
    suricata: SuricataSettings = Field(default_factory=SuricataSettings)
    graph: GraphSettings = Field(default_factory=GraphSettings)
    compliance: ComplianceSettings = Field(default_factory=ComplianceSettings)
    playbooks: PlaybookSettings = Field(default_factory=PlaybookSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    scaleout: ScaleoutSettings = Field(default_factory=ScaleoutSettings)
    files: list[FileSource] = Field(default_factory=list)
    sources: list[SourceMapping] = Field(default_factory=list)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def state_url(self) -> str:
        """The state store URL, defaulting to SQLite inside the data directory."""
        if self.state.url:
            return self.state.url
        return f"sqlite:///{(self.data_dir / 'state.db').resolve()}"


class _TomlSource(PydanticBaseSettingsSource):
    """Reads ``shaowang.toml`` (or ``$SOC_CONFIG``)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = Path(os.environ.get("SOC_CONFIG", "shaowang.toml"))
        if not path.exists():
            if "SOC_CONFIG" in os.environ:
                raise ConfigError("settings file not found", where=str(path))
            return {}
        try:
            with path.open("rb") as fh:
                return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(exc), where=str(path)) from exc


def load_settings(**overrides: Any) -> Settings:
    """Settings from file and environment, with ``overrides`` (e.g. CLI flags) on top."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = os.environ.get("SOC_CONFIG", "shaowang.toml") + ":" + ".".join(str(p) for p in first["loc"])
        raise ConfigError(first["msg"], where=where) from exc
