"""Real device lines from ``wazuh/*.ini`` and ``cn_devices/*.log`` parse to the right dataset.

Every line of a vendor/product we support must reach that product's dataset with
``--format auto`` (none dead-lettered). Lines of products we do not parse are listed with
what they became (the generic key=value / JSON parsers, or a dead letter with its reason),
so the report shows the gaps instead of hiding them.
"""

from __future__ import annotations

import re
from pathlib import Path

from conformance_corpus import REPORT, corpus_dir, parse_line

# wazuh test file → dataset of its lines (files of products we have no parser for are absent)
WAZUH: dict[str, str] = {
    "apache.ini": "apache.access",
    "checkpoint_smart1.ini": "checkpoint.firewall",
    "f5_big_ip.ini": "f5.bigip",
    "cisco_asa.ini": "cisco.asa",
    "fortigate.ini": "fortinet.fortigate",
    "huawei_usg.ini": "huawei.usg",
    "iptables.ini": "iptables.log",
    "junos.ini": "juniper.srx",
    "modsecurity.ini": "modsecurity.auditlog",
    "netscreen.ini": "juniper.netscreen",
    "nginx.ini": "nginx.access",
    "owlh.ini": "zeek.log",
    "paloalto.ini": "panw.panos",
    "pfsense.ini": "pfsense.log",
    "sophos_fw.ini": "sophos.xg",
    "squid_rules.ini": "squid.access",
    "sshd.ini": "openssh.sshd",
}
# A line of a supported file whose content is another product: (file, substring) → dataset.
WAZUH_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("apache.ini", "ModSecurity:"): "modsecurity.auditlog",
    ("f5_big_ip.ini", "CEF:0|F5|"): "cef.log",  # ASM (WAF) violations are CEF
}
# Abbreviated test lines that carry no field at all (Wazuh matches their text): not device
# output. They must be refused with the reason, never parsed into an empty event.
WAZUH_NO_FIELDS: dict[tuple[str, str], str] = {
    ("checkpoint_smart1.ini", 'action:""; VPN routing...'): "checkpoint.firewall",
    ("checkpoint_smart1.ini", 'action:""; Replace Malicious code ...'): "checkpoint.firewall",
}
# Zeek's family parser names each line by its log type.
FAMILIES: dict[str, frozenset[str]] = {
    "zeek.log": frozenset(
        {
            "zeek.connection",
            "zeek.dns",
            "zeek.http",
            "zeek.ssl",
            "zeek.ssh",
            "zeek.files",
            "zeek.notice",
            "zeek.weird",
            "zeek.x509",
        }
    ),
    "huawei.usg": frozenset({"huawei.usg", "huawei.ips"}),
}

# cn_devices/<file>:<line> → dataset; lines of products we do not parse map to None and the
# reason is the comment. Comment lines (#) are not device lines.
CN_DEVICES: dict[str, dict[int, str | None]] = {
    "h3c_secpath.log": {
        2: "h3c.secpath",
        3: "h3c.ips",
        4: "syslog.kv",
        5: "syslog.kv",  # H3C A2020 bastion host: key=value, not Comware
        6: "h3c.secpath",
        7: "h3c.secpath",
        8: "h3c.secpath",
        9: "h3c.secpath",  # switches are Comware too
        10: "syslog.kv",  # H3C NTP notice in plain key=value
        11: "h3c.secpath",
    },
    "hillstone.log": dict.fromkeys(range(2, 7), "hillstone.stoneos"),
    "huawei.log": dict.fromkeys(range(2, 5), "huawei.usg"),
    "nsfocus.log": {
        2: "json.log",  # a collector's JSON wrapper around a bastion line
        3: "syslog.kv",
        4: "syslog.kv",  # NSFOCUS SAS bastion: key:value; pairs
        5: "nsfocus.waf",
        6: "nsfocus.waf",
        7: "nsfocus.ads",
        8: "nsfocus.ads",  # ADS anti-DDoS hardware status (a shipped YAML definition)
    },
    "other_cn_vendors.log": {
        2: "dptech.fw",
        3: "dptech.fw",
        4: "dptech.fw",
        5: "dptech.fw",
        6: "dptech.fw",  # DPtech 迪普 NAT444 / POLICY / %%--DPX lines (a shipped YAML definition)
        7: "netentsec.icg",
        8: "netentsec.icg",
        9: None,  # River Security (瑞数) access log, JSON cut short by its source
        10: "cef.log",  # 安华金和 DBFW: not real CEF; cef.log reads its key:value| layout
        11: "syslog.kv",
        12: None,  # 金山 vgm IDS
        13: "syslog.kv",
        14: "syslog.kv",
        15: "syslog.kv",
        16: "syslog.kv",
        17: "syslog.kv",
        18: "syslog.kv",  # network gap (网闸): key=value
        **dict.fromkeys(range(19, 30), "zhonganwangmai.apt"),  # 中安网脉 APT sensor, tab-separated
    },
    "qianxin_360_wangshen.log": {
        2: "qianxin.waf",
        3: "qianxin.secssl",
        4: "qianxin.nsg",
        5: "qianxin.nsg",
        6: "qianxin.secssl",  # 3: and 6: SecSSL VPN pipe-delimited (a shipped YAML definition)
        7: "json.log",  # 天擎 EDR JSON
        8: "qianxin.waf",
    },
    "sangfor.log": {
        2: "syslog.kv",
        3: "sangfor.af",
        4: "sangfor.sip",  # 4: 安全感知平台 '|!secevent|!' + JSON
        5: "syslog.kv",
        6: "sangfor.af",  # 2, 5: server-blade EDR key=value;
    },
    "topsec.log": {2: "topsec.tos"},
    "venustech_leadsec.log": {2: "venustech.leadsec"},
}

_WAZUH_LINE = re.compile(r"^log \d+ pass = (.*)$")


def _allowed(dataset: str) -> frozenset[str]:
    return FAMILIES.get(dataset, frozenset({dataset}))


def test_wazuh_lines_of_supported_vendors() -> None:
    root = corpus_dir("wazuh")
    rows: list[str] = []
    problems: list[str] = []
    for path in sorted(root.glob("*.ini")):
        dataset = WAZUH.get(path.name)
        lines = [
            (number, m.group(1))
            for number, text in enumerate(path.read_text("utf-8").splitlines(), start=1)
            if (m := _WAZUH_LINE.match(text))
        ]
        seen: dict[str, int] = {}
        ok = 0
        for number, line in lines:
            outcome = parse_line(line, offset=number)
            got = (
                f"dead letter ({outcome.dead_letter.error.type if outcome.dead_letter.error else '?'})"
                if outcome.dead_letter is not None
                else ",".join(sorted({e.event.dataset or "?" for e in outcome.events}))
            )
            seen[got] = seen.get(got, 0) + 1
            if dataset is None:
                continue
            want = next(
                (d for (f, s), d in WAZUH_EXCEPTIONS.items() if f == path.name and s in line), dataset
            )
            no_fields = next(
                (d for (f, t), d in WAZUH_NO_FIELDS.items() if f == path.name and t in line), None
            )
            if no_fields is not None:
                error = outcome.dead_letter.error if outcome.dead_letter is not None else None
                if error is not None and f"not a {no_fields} record: no kv fields found" in (
                    error.message or ""
                ):
                    ok += 1
                else:
                    problems.append(
                        f"{path.name}:{number}: {got}, expected a 'no fields' dead letter: {line[:120]}"
                    )
                continue
            if outcome.dead_letter is None and {e.event.dataset for e in outcome.events} <= _allowed(want):
                ok += 1
            else:
                problems.append(f"{path.name}:{number}: {got}, expected {want}: {line[:120]}")
        summary = ", ".join(f"{k} ×{v}" for k, v in sorted(seen.items()))
        status = f"{ok}/{len(lines)} ok" if dataset is not None else "not a supported product"
        rows.append(f"{path.name:<24}{status:<26}{summary}")
    REPORT.add("conformance: wazuh lines → dataset", rows + (problems or ["all supported lines as expected"]))
    assert not problems, "\n".join(problems)


def test_cn_device_lines() -> None:
    root = corpus_dir("cn_devices")
    rows: list[str] = []
    problems: list[str] = []
    for path in sorted(root.glob("*.log")):
        table = CN_DEVICES.get(path.name)
        if table is None:
            problems.append(f"{path.name}: not in CN_DEVICES: map every line of new corpus files")
            continue
        device_lines = {
            number: line
            for number, line in enumerate(path.read_bytes().split(b"\n"), start=1)
            if line.strip() and not line.startswith(b"#")
        }
        if set(device_lines) != set(table):
            problems.append(f"{path.name}: lines {sorted(device_lines)} but the table maps {sorted(table)}")
        for number, line in sorted(device_lines.items()):
            outcome = parse_line(line, offset=number)
            if outcome.dead_letter is not None:
                got = (
                    f"dead letter: {outcome.dead_letter.error.message if outcome.dead_letter.error else '?'}"
                )
            else:
                got = ",".join(sorted({e.event.dataset or "?" for e in outcome.events}))
            want = table.get(number)
            mark = "ok" if want is not None else "unsupported"
            if want is not None and (outcome.dead_letter is not None or got != want):
                mark = "WRONG"
                problems.append(f"{path.name}:{number}: {got}, expected {want}")
            rows.append(f"{mark:<12}{path.name}:{number:<4}{got[:100]}")
    REPORT.add(
        "conformance: cn_devices lines → dataset", rows + (problems or ["every supported line as expected"])
    )
    assert not problems, "\n".join(problems)


def test_tables_name_real_files() -> None:
    wazuh, cn = corpus_dir("wazuh"), corpus_dir("cn_devices")
    assert all((wazuh / name).exists() for name in WAZUH), sorted(
        n for n in WAZUH if not (wazuh / n).exists()
    )
    assert all((cn / name).exists() for name in CN_DEVICES)
    assert Path(cn).is_dir()
