"""Which Zeek log a JSON line comes from: its ``_path``, else the fields only that log writes.

Names are Elastic's zeek integration data streams (``zeek.<name>`` is the dataset), so
``conn.log`` is ``connection`` and ``signatures.log`` is ``signature``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DATASETS", "KINDS", "LOGS", "detect"]

KINDS: tuple[str, ...] = (
    "capture_loss",
    "connection",
    "dce_rpc",
    "dhcp",
    "dnp3",
    "dns",
    "dpd",
    "files",
    "ftp",
    "http",
    "intel",
    "irc",
    "kerberos",
    "known_certs",
    "known_hosts",
    "known_services",
    "modbus",
    "mysql",
    "notice",
    "ntlm",
    "ntp",
    "ocsp",
    "pe",
    "radius",
    "rdp",
    "rfb",
    "signature",
    "sip",
    "smb_cmd",
    "smb_files",
    "smb_mapping",
    "smtp",
    "snmp",
    "socks",
    "software",
    "ssh",
    "ssl",
    "stats",
    "syslog",
    "traceroute",
    "tunnel",
    "weird",
    "x509",
)
DATASETS: tuple[str, ...] = tuple(f"zeek.{kind}" for kind in KINDS)

# _path (the log file's name) → kind
LOGS: dict[str, str] = {
    **{kind: kind for kind in KINDS},
    "conn": "connection",
    "conn_long": "connection",  # Corelight's long-lived connection interim records
    "signatures": "signature",
}

# In order: the first kind with any of its keys in the line wins. Most frequent logs first;
# a log whose keys overlap another's comes before it (smtp and sip also write trans_depth,
# notice, ftp and intel also write fuid, kerberos also writes cipher, stats also writes
# peer).
_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("connection", ("conn_state", "history", "orig_ip_bytes", "resp_ip_bytes")),
    ("dns", ("qtype_name", "query", "rcode_name", "qclass", "AA", "TTLs")),
    ("signature", ("sig_id", "event_msg")),
    ("notice", ("note",)),
    ("smtp", ("mailfrom", "rcptto", "helo", "first_received")),
    ("sip", ("call_id", "request_from", "response_from")),
    (
        "http",
        ("trans_depth", "status_code", "request_body_len", "response_body_len", "resp_mime_types", "method"),
    ),
    ("kerberos", ("request_type", "till", "forwardable", "renewable")),
    ("ssh", ("auth_attempts", "auth_success", "hassh", "host_key_alg", "kex_alg", "cipher_alg")),
    ("ssl", ("server_name", "resumed", "established", "ja3", "ja3s", "cert_chain_fuids", "ssl_history")),
    ("x509", ("certificate.version", "certificate.serial", "certificate.subject", "san.dns")),
    ("smb_files", ("times.modified", "prev_name")),
    ("ftp", ("reply_code", "data_channel.passive", "data_channel.orig_h")),
    ("intel", ("seen.indicator", "seen.where", "matched")),
    ("files", ("fuid", "tx_hosts", "rx_hosts", "seen_bytes", "analyzers", "conn_uids")),
    ("dhcp", ("msg_types", "assigned_addr", "lease_time", "client_fqdn", "requested_addr")),
    ("smb_cmd", ("sub_command", "tree_service", "referenced_file")),
    ("smb_mapping", ("share_type", "native_file_system")),
    ("dce_rpc", ("named_pipe", "operation", "endpoint")),
    ("ntlm", ("domainname", "server_nb_computer_name", "server_dns_computer_name", "server_tree_name")),
    ("rdp", ("cookie", "security_protocol", "keyboard_layout", "client_build")),
    ("snmp", ("community", "get_requests", "get_bulk_requests", "set_requests")),
    ("mysql", ("cmd", "rows")),
    ("radius", ("framed_addr", "connect_info", "tunnel_client")),
    ("irc", ("nick", "dcc_file_name", "dcc_file_size")),
    ("tunnel", ("tunnel_type",)),
    ("dpd", ("failure_reason",)),
    ("software", ("software_type", "unparsed_version")),
    ("known_certs", ("issuer_subject",)),
    ("known_services", ("port_proto",)),
    ("pe", ("is_64bit", "compile_ts", "is_exe")),
    ("ocsp", ("hashAlgorithm", "issuerNameHash", "certStatus")),
    ("capture_loss", ("percent_lost", "ts_delta")),
    ("stats", ("pkts_proc", "events_proc", "mem")),
    ("ntp", ("stratum", "ref_id", "org_time")),
    ("dnp3", ("fc_request", "fc_reply", "iin")),
    ("modbus", ("func",)),
    ("socks", ("bound.host", "request.host", "bound_p", "request_p")),
    ("rfb", ("client_major_version", "desktop_name", "share_flag")),
    ("syslog", ("facility",)),
)


def detect(doc: dict[str, Any]) -> str | None:
    """The kind of Zeek log ``doc`` is, or None when no log's fields are there."""
    for kind, keys in _MARKERS:
        for key in keys:
            if key in doc:
                return kind
    if "name" in doc and ("notice" in doc or "addl" in doc or "peer" in doc):
        return "weird"
    if "host" in doc and len(doc) == 1:  # known_hosts.log is {"ts", "host"}
        return "known_hosts"
    return None
