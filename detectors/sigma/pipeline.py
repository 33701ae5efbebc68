"""``shaowang_ecs``: the pySigma processing pipeline that renames Sigma taxonomy fields to our ECS.

Every rule passes through it before it is compiled (and ``sigma convert -p shaowang_ecs`` uses
it too). The table, :data:`FIELD_MAPPINGS`, is data: the pipeline, :func:`map_field` (used by
the correlation engine for group-by fields) and the README are all made from it.

A field is looked up in the groups in order; the first group whose logsources cover the rule
and that names the field wins. Zeek fields that no group maps keep the place the Zeek parser
gives them, ``zeek.<log>.<field>``. A field with no ECS home and no Zeek log stays as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import TypeVar

from sigma.correlations import SigmaCorrelationRule
from sigma.processing.conditions import (
    FieldNameProcessingItemAppliedCondition,
    IncludeFieldCondition,
    LogsourceCondition,
    MatchStringCondition,
    MatchValueCondition,
)
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    DropDetectionItemTransformation,
    FieldFunctionTransformation,
    FieldMappingTransformation,
    PreprocessingTransformation,
    ValueListPlaceholderTransformation,
)
from sigma.processing.transformations.base import ValueTransformation
from sigma.rule import SigmaRule
from sigma.types import Placeholder, SigmaNull, SigmaNumber, SigmaString, SigmaType

from soc_core.events import ECS_ROOTS

__all__ = [
    "FIELD_MAPPINGS",
    "PIPELINE_NAME",
    "PIPELINE_PRIORITY",
    "ZEEK_SERVICE_LOGS",
    "FieldGroup",
    "Logsource",
    "apply",
    "map_field",
    "mapping_rows",
    "placeholder_items",
    "shaowang_ecs",
    "zeek_log",
]

PIPELINE_NAME = "shaowang_ecs"
PIPELINE_PRIORITY = 20  # where pySigma's own ECS pipelines sit: before backend and user pipelines


@dataclass(frozen=True, slots=True)
class Logsource:
    """A Sigma logsource pattern; a ``None`` part matches anything (as in ``LogsourceCondition``)."""

    category: str | None = None
    product: str | None = None
    service: str | None = None

    def covers(self, *, category: str | None, product: str | None, service: str | None) -> bool:
        """Whether a rule with this logsource is in scope."""
        return all(
            want is None or (have is not None and want == have.lower())
            for want, have in ((self.category, category), (self.product, product), (self.service, service))
        )

    @property
    def label(self) -> str:
        """``category:proxy``, ``product:zeek+service:http`` (the routing keys, joined)."""
        parts = [
            f"{name}:{value}"
            for name, value in (
                ("category", self.category),
                ("product", self.product),
                ("service", self.service),
            )
            if value is not None
        ]
        return "+".join(parts) or "any"


@dataclass(frozen=True, slots=True)
class FieldGroup:
    """Sigma field → ECS field for the rules of some logsources (none listed: every rule)."""

    name: str
    logsources: tuple[Logsource, ...]
    fields: Mapping[str, str]

    def covers(self, *, category: str | None, product: str | None, service: str | None) -> bool:
        return not self.logsources or any(
            ls.covers(category=category, product=product, service=service) for ls in self.logsources
        )

    @property
    def scope(self) -> str:
        """The logsources as the README names them."""
        return ", ".join(ls.label for ls in self.logsources) or "any"


def _frozen(mapping: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(mapping)


def _zeek(service: str | None = None) -> Logsource:
    return Logsource(product="zeek", service=service)


# Zeek's Sigma service names (its log names) → the log our Zeek parser names the dataset after
# (Elastic's names: conn.log is ``zeek.connection``).
ZEEK_SERVICE_LOGS: Mapping[str, str] = _frozen(
    {
        **{
            log: log
            for log in (
                "capture_loss", "dce_rpc", "dhcp", "dnp3", "dns", "dpd", "files", "ftp", "http", "intel",
                "irc", "kerberos", "known_certs", "known_hosts", "known_services", "modbus", "mysql",
                "notice", "ntlm", "ntp", "ocsp", "pe", "radius", "rdp", "rfb", "sip", "smb_cmd",
                "smb_files", "smb_mapping", "smtp", "snmp", "socks", "software", "ssh", "ssl", "stats",
                "syslog", "traceroute", "tunnel", "weird", "x509",
            )
        },
        "conn": "connection",
        "conn_long": "connection",
        "connection": "connection",
        "signatures": "signature",
        "signature": "signature",
        "tls": "ssl",
    }
)  # fmt: skip

# The W3C extended log names of the proxy and webserver taxonomies. SigmaHQ's webserver rules
# put whole request targets (path and query) in ``cs-uri-query``, so it maps to url.original.
_WEB = _frozen(
    {
        "c-ip": "source.ip",
        "s-ip": "destination.ip",
        "r-ip": "destination.ip",
        "s-port": "destination.port",
        "c-uri": "url.original",
        "cs-uri": "url.original",
        "c-uri-query": "url.query",
        "cs-uri-query": "url.original",
        "c-uri-stem": "url.path",
        "cs-uri-stem": "url.path",
        "c-uri-extension": "url.extension",
        "c-useragent": "user_agent.original",
        "cs-user-agent": "user_agent.original",
        "cs-method": "http.request.method",
        "cs-host": "url.domain",
        "r-dns": "url.domain",
        "cs-referrer": "http.request.referrer",
        "cs-referer": "http.request.referrer",
        "cs-content-type": "http.request.mime_type",
        "cs-version": "http.version",
        "cs-bytes": "http.request.bytes",
        "sc-bytes": "http.response.bytes",
        "sc-status": "http.response.status_code",
        "cs-username": "user.name",
        "c-username": "user.name",
    }
)

FIELD_MAPPINGS: tuple[FieldGroup, ...] = (
    # -- Zeek, one group per log (what the Zeek parser moves into ECS) -------------------------
    FieldGroup(
        "zeek_conn",
        (_zeek("conn"), _zeek("conn_long"), _zeek("connection")),
        _frozen(
            {
                "service": "network.protocol",
                "conn_state": "zeek.connection.state",
                "orig_ip_bytes": "source.bytes",
                "resp_ip_bytes": "destination.bytes",
                "orig_pkts": "source.packets",
                "resp_pkts": "destination.packets",
                "orig_l2_addr": "source.mac",
                "resp_l2_addr": "destination.mac",
            }
        ),
    ),
    FieldGroup(
        "zeek_dns",
        (_zeek("dns"),),
        _frozen(
            {
                "query": "dns.question.name",
                "qtype_name": "dns.question.type",
                "rcode_name": "dns.response_code",
                "answers": "dns.answers.data",
                "TTLs": "dns.answers.ttl",
                "trans_id": "dns.id",
            }
        ),
    ),
    FieldGroup(
        "zeek_http",
        (_zeek("http"),),
        _frozen(
            {
                "uri": "url.original",
                "host": "url.domain",
                "user_agent": "user_agent.original",
                "method": "http.request.method",
                "status_code": "http.response.status_code",
                "referrer": "http.request.referrer",
                "version": "http.version",
                "request_body_len": "http.request.body.bytes",
                "response_body_len": "http.response.body.bytes",
                "orig_mime_types": "http.request.mime_type",
                "resp_mime_types": "http.response.mime_type",
            }
        ),
    ),
    FieldGroup(
        "zeek_ssl",
        (_zeek("ssl"), _zeek("tls")),
        _frozen(
            {
                "server_name": "tls.client.server_name",
                "cipher": "tls.cipher",
                "ja3": "tls.client.ja3",
                "ja3s": "tls.server.ja3s",
                "subject": "tls.server.subject",
                "issuer": "tls.server.issuer",
                "established": "tls.established",
                "next_protocol": "tls.next_protocol",
                "not_valid_before": "tls.server.not_before",
                "not_valid_after": "tls.server.not_after",
                "validation_status": "zeek.ssl.validation.status",
                "validation_code": "zeek.ssl.validation.code",
            }
        ),
    ),
    FieldGroup(
        "zeek_files",
        (_zeek("files"),),
        _frozen(
            {
                "filename": "file.name",
                "mime_type": "file.mime_type",
                "total_bytes": "file.size",
                "md5": "file.hash.md5",
                "sha1": "file.hash.sha1",
                "sha256": "file.hash.sha256",
                "conn_uids": "zeek.session_id",
            }
        ),
    ),
    # smb_files: the parser keeps the whole name (a path on the share) in file.path
    FieldGroup("zeek_smb_files", (_zeek("smb_files"),), _frozen({"name": "file.path", "size": "file.size"})),
    FieldGroup("zeek_smb_cmd", (_zeek("smb_cmd"),), _frozen({"command": "event.action"})),
    FieldGroup("zeek_dce_rpc", (_zeek("dce_rpc"),), _frozen({"operation": "event.action"})),
    FieldGroup("zeek_kerberos", (_zeek("kerberos"),), _frozen({"request_type": "event.action"})),
    FieldGroup("zeek_ntlm", (_zeek("ntlm"),), _frozen({"domainname": "user.domain"})),
    FieldGroup(
        "zeek_ssh",
        (_zeek("ssh"),),
        _frozen(
            {
                "direction": "network.direction",
                "auth_attempts": "zeek.ssh.auth.attempts",
                "cipher_alg": "zeek.ssh.algorithm.cipher",
                "mac_alg": "zeek.ssh.algorithm.mac",
                "compression_alg": "zeek.ssh.algorithm.compression",
                "kex_alg": "zeek.ssh.algorithm.key_exchange",
                "host_key_alg": "zeek.ssh.algorithm.host_key",
            }
        ),
    ),
    FieldGroup(
        "zeek_intel",
        (_zeek("intel"),),
        _frozen({"matched": "rule.name"}),
    ),
    FieldGroup("zeek_ftp", (_zeek("ftp"),), _frozen({"command": "event.action", "user": "user.name"})),
    FieldGroup("zeek_smtp", (_zeek("smtp"),), _frozen({"user_agent": "user_agent.original"})),
    FieldGroup(
        "zeek_dhcp",
        (_zeek("dhcp"),),
        _frozen(
            {
                "client_addr": "source.ip",
                "server_addr": "destination.ip",
                "mac": "source.mac",
                "uids": "zeek.session_id",
            }
        ),
    ),
    FieldGroup(
        "zeek_notice",
        (_zeek("notice"),),
        _frozen(
            {
                "note": "rule.name",
                "msg": "message",
                "src": "source.ip",
                "dst": "destination.ip",
                "p": "destination.port",
            }
        ),
    ),
    FieldGroup(
        "zeek_signatures",
        (_zeek("signatures"), _zeek("signature")),
        _frozen(
            {
                "sig_id": "rule.id",
                "event_msg": "message",
                "src_addr": "source.ip",
                "dst_addr": "destination.ip",
            }
        ),
    ),
    FieldGroup(
        "zeek_weird",
        (_zeek("weird"),),
        _frozen({"name": "rule.name", "addl": "zeek.weird.additional_info"}),
    ),
    FieldGroup(
        "zeek",
        (_zeek(),),
        _frozen(
            {
                "id.orig_h": "source.ip",
                "id.orig_p": "source.port",
                "id.resp_h": "destination.ip",
                "id.resp_p": "destination.port",
                "proto": "network.transport",
                "uid": "zeek.session_id",
                "community_id": "network.community_id",
            }
        ),
    ),
    # -- Sigma taxonomy categories -----------------------------------------------------------
    FieldGroup(
        "network_connection",
        (Logsource(category="network_connection"),),
        _frozen(
            {
                "DestinationIp": "destination.ip",
                "DestinationPort": "destination.port",
                "DestinationHostname": "destination.domain",
                "SourceIp": "source.ip",
                "SourcePort": "source.port",
                "SourceHostname": "source.domain",
                "Protocol": "network.transport",
                "Image": "process.executable",
                "ParentImage": "process.parent.executable",
                "CommandLine": "process.command_line",
                "Computer": "host.name",
            }
        ),
    ),
    FieldGroup(
        "dns",
        (Logsource(category="dns"),),
        _frozen(
            {
                "query": "dns.question.name",
                "answer": "dns.answers.data",
                "record_type": "dns.question.type",
                "parent_domain": "dns.question.registered_domain",
                "response_code": "dns.response_code",
            }
        ),
    ),
    FieldGroup(
        "web",
        (
            Logsource(category="proxy"),
            Logsource(category="webserver"),
            Logsource(category="waf"),
            _zeek("http"),
        ),
        _WEB,
    ),
    FieldGroup(
        "fortigate",
        (Logsource(product="fortigate"),),
        _frozen(
            {
                "srcip": "source.ip",
                "srcport": "source.port",
                "dstip": "destination.ip",
                "dstport": "destination.port",
                "user": "user.name",
                "msg": "message",
                "level": "log.level",
                "logid": "event.code",
                "devname": "observer.name",
                "devid": "observer.serial_number",
                # the vendor's word; event.action names event logs by their message
                "action": "fortinet.fortigate.action",
                **{
                    name: f"fortinet.fortigate.{name}"
                    for name in (
                        "type",
                        "subtype",
                        "logdesc",
                        "cfgpath",
                        "cfgobj",
                        "cfgattr",
                        "cfgtid",
                        "ui",
                        "vd",
                    )
                },
            }
        ),
    ),
    # -- every rule ------------------------------------------------------------------------------
    FieldGroup(
        "generic",
        (),
        _frozen(
            {
                "src_ip": "source.ip",
                "src_port": "source.port",
                "dst_ip": "destination.ip",
                "dst_port": "destination.port",
                "src_host": "source.domain",
                "dst_host": "destination.domain",
                "action": "event.action",
                "username": "user.name",
                "User": "user.name",
            }
        ),
    ),
)
"""The field table: groups in order of precedence (first that covers the rule and names the field)."""

# A field already written as ECS (or as our vendor name) is never moved under zeek.<log>.
_ECS_NAME = re.compile(
    r"^(?:@timestamp$|(?:" + "|".join(sorted(map(re.escape, ECS_ROOTS | {"zeek"}))) + r")\.)"
)


# As the parsers' key sanitising (collectors.parsers.common.sanitize_key): Zeek's ``Z`` is ``z``.
_KEY_JUNK = re.compile(r"[^a-z0-9_\u0080-\U0010ffff]+")


def _vendor_name(log: str, name: str) -> str:
    parts = (_KEY_JUNK.sub("_", part.lower()).strip("_") for part in name.split("."))
    return ".".join(["zeek", log, *(part for part in parts if part)])


def zeek_log(service: str | None) -> str | None:
    """The Zeek log (our dataset ``zeek.<log>``) a Sigma ``service`` of ``product: zeek`` names."""
    return None if service is None else ZEEK_SERVICE_LOGS.get(service.lower())


def map_field(
    name: str, *, category: str | None = None, product: str | None = None, service: str | None = None
) -> str:
    """The ECS field the pipeline renames ``name`` to in a rule of this logsource."""
    for group in FIELD_MAPPINGS:
        target = group.fields.get(name)
        if target is not None and group.covers(category=category, product=product, service=service):
            return target
    if product is not None and product.lower() == "zeek" and not _ECS_NAME.match(name):
        log = zeek_log(service)
        if log is not None:
            return _vendor_name(log, name)
    return name


def mapping_rows() -> Iterator[tuple[str, str, str]]:
    """(logsources, Sigma field, ECS field) for every row of the table, in precedence order."""
    for group in FIELD_MAPPINGS:
        for sigma_name, ecs_name in group.fields.items():
            yield group.scope, sigma_name, ecs_name


def _group_id(group: FieldGroup) -> str:
    return f"{PIPELINE_NAME}_{group.name}"


def _as_pysigma_mapping(fields: Mapping[str, str]) -> dict[str | None, str | list[str]]:
    return dict(fields.items())


def _mapping_items() -> list[ProcessingItem]:
    return [
        ProcessingItem(
            identifier=_group_id(group),
            transformation=FieldMappingTransformation(_as_pysigma_mapping(group.fields)),
            rule_conditions=[
                LogsourceCondition(category=ls.category, product=ls.product, service=ls.service)
                for ls in group.logsources
            ],
            rule_condition_linking=any,
        )
        for group in FIELD_MAPPINGS
    ]


def _zeek_vendor_items() -> list[ProcessingItem]:
    """Unmapped fields of a ``product: zeek`` rule go where the parser keeps them: zeek.<log>.*."""
    items = []
    for service, log in sorted(ZEEK_SERVICE_LOGS.items()):
        # conditions are bound to one item each: built afresh for every item
        mapped = [FieldNameProcessingItemAppliedCondition(_group_id(group)) for group in FIELD_MAPPINGS]
        items.append(
            ProcessingItem(
                identifier=f"{PIPELINE_NAME}_zeek_{service}_vendor_fields",
                transformation=FieldFunctionTransformation(
                    mapping={}, transform_func=partial(_vendor_field, log)
                ),
                rule_conditions=[LogsourceCondition(product="zeek", service=service)],
                field_name_conditions=[*mapped, IncludeFieldCondition(fields=[_ECS_NAME.pattern], mode="re")],
                field_name_condition_linking=any,
                field_name_condition_negation=True,
            )
        )
    return items


def _vendor_field(log: str, name: str | None) -> str:
    # keywords (no field) never get here: apply_keyword is off
    return _vendor_name(log, name) if name is not None else ""


@dataclass
class _ZeroIsAbsent(ValueTransformation):
    """``Z: 0`` → ``Z: null``: the Zeek parser drops the reserved DNS bits when they are 0."""

    def apply_value(self, field: str | None, val: SigmaType) -> SigmaType | None:
        if isinstance(val, SigmaNumber) and val.number == 0:
            return SigmaNull()
        return None


def _zero_is_absent_item() -> ProcessingItem:
    return ProcessingItem(
        identifier=f"{PIPELINE_NAME}_zeek_dns_z_zero",
        transformation=_ZeroIsAbsent(),
        rule_conditions=[LogsourceCondition(product="zeek", service="dns")],
        field_name_conditions=[IncludeFieldCondition(fields=["zeek.dns.z"])],
    )


def _initiated_item() -> ProcessingItem:
    """``Initiated: true`` holds for every flow (its source opened it): the item is dropped.

    ``Initiated: false`` (the host was connected to) has no equivalent in a flow and stays.
    """
    return ProcessingItem(
        identifier=f"{PIPELINE_NAME}_initiated",
        transformation=DropDetectionItemTransformation(),
        rule_conditions=[LogsourceCondition(category="network_connection")],
        field_name_conditions=[IncludeFieldCondition(fields=["Initiated"])],
        detection_item_conditions=[
            MatchStringCondition(pattern="(?i)^true$", cond="all"),
            MatchValueCondition(value=True, cond="all"),
        ],
        detection_item_condition_linking=any,
    )


def shaowang_ecs(*, placeholders: Mapping[str, Sequence[str]] | None = None) -> ProcessingPipeline:
    """The pipeline: Sigma taxonomy fields → ECS, Zeek fields → ours, ``|expand`` placeholders."""
    return ProcessingPipeline(
        name=PIPELINE_NAME,
        priority=PIPELINE_PRIORITY,
        allowed_backends=frozenset(),
        items=_ecs_items(placeholders),
        vars={name: list(values) for name, values in (placeholders or {}).items()},
    )


def _ecs_items(placeholders: Mapping[str, Sequence[str]] | None) -> list[ProcessingItem]:
    # fresh items for every pipeline: pySigma binds an item to the pipeline that holds it
    items = [_initiated_item(), *_mapping_items(), *_zeek_vendor_items(), _zero_is_absent_item()]
    if placeholders:
        items.extend(placeholder_items(placeholders))
    return items


def shaowang_ecs_elastic(*, placeholders: Mapping[str, Sequence[str]] | None = None) -> ProcessingPipeline:
    """:func:`shaowang_ecs` for pySigma's Elasticsearch backends: string values of keyword
    fields are lower-cased and matched on the field's lower-cased twin (``<field>.ci``, made
    by our index templates), because Sigma compares strings without regard to case."""
    from sigma.processing.transformations import AddFieldnameSuffixTransformation, CaseTransformation

    from soc_core.storage.elastic_templates import CASE_INSENSITIVE_SUFFIX, exact_fields

    exact = sorted(exact_fields())

    def keyword_strings(transformation: PreprocessingTransformation, what: str) -> ProcessingItem:
        return ProcessingItem(
            identifier=f"{PIPELINE_NAME}_elastic_{what}",
            transformation=transformation,
            field_name_conditions=[IncludeFieldCondition(fields=exact)],
            field_name_condition_negation=True,
            detection_item_conditions=[MatchStringCondition(pattern=".*", cond="all")],
        )

    return ProcessingPipeline(
        name=f"{PIPELINE_NAME}_elastic",
        priority=PIPELINE_PRIORITY,
        allowed_backends=frozenset(),
        items=[
            *_ecs_items(placeholders),
            keyword_strings(CaseTransformation(method="lower"), "lower"),
            keyword_strings(AddFieldnameSuffixTransformation(suffix=CASE_INSENSITIVE_SUFFIX), "ci"),
        ],
        vars={name: list(values) for name, values in (placeholders or {}).items()},
    )


@dataclass
class _ConfiguredPlaceholders(ValueListPlaceholderTransformation):
    """``%name%`` → the configured values; names without values are left for the compiler to report.

    The values travel with the transformation (not only in the pipeline's ``vars``), so the
    item still works when it is appended to an existing pipeline's items.
    """

    values: dict[str, list[str]] = field(default_factory=dict)

    def placeholder_replacements(self, p: Placeholder) -> Iterable[SigmaString]:
        values = self.values.get(p.name)
        if values is None:
            return super().placeholder_replacements(p)
        return [SigmaString(value) for value in values]


def placeholder_items(values: Mapping[str, Sequence[str]]) -> list[ProcessingItem]:
    """Items that expand the placeholders named in ``values``; any other placeholder stays as it is.

    A placeholder without values keeps its ``Placeholder``: the compiler makes that value match
    nothing and names it (``UnresolvedPlaceholderError``) for rule health. An empty list counts
    as no values: pySigma would turn an empty value list into "field absent", the opposite.
    """
    configured = {name: [str(v) for v in vals] for name, vals in values.items() if vals}
    return [
        ProcessingItem(
            identifier=f"{PIPELINE_NAME}_placeholders",
            transformation=_ConfiguredPlaceholders(include=sorted(configured), values=configured),
        )
    ]


RuleT = TypeVar("RuleT", bound=SigmaRule | SigmaCorrelationRule)


def apply(rule: RuleT, *, placeholders: Mapping[str, Sequence[str]] | None = None) -> RuleT:
    """Run the pipeline over ``rule`` in place and return it."""
    shaowang_ecs(placeholders=placeholders).apply(rule)
    return rule
