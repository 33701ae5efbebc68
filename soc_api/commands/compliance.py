"""``soc compliance``: the 等保 2.0 status, the evidence pack, and checking a pack's MANIFEST."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from compliance.models import ComplianceReport
from compliance.pack import MANIFEST_NAME, PACK_FILES, verify_pack, write_pack
from compliance.report import build_report, gap_order
from soc_api.commands.common import add_data_arg, parse_time, settings_from_args
from soc_api.compliance.service import period, role_matrix
from soc_core.audit import append_audit
from soc_core.config import Settings
from soc_core.digests import file_digests
from soc_core.errors import ConfigError
from soc_core.state.db import StateStore, open_state
from soc_core.storage.embedded import EmbeddedEventStore
from soc_core.vocabulary import ComplianceStatus

HOST_ACTOR = "host:soc-compliance"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc compliance status|export|verify``."""
    p = sub.add_parser("compliance", help="等保 2.0 control status and evidence packs")
    actions = p.add_subparsers(dest="compliance_command", required=True, metavar="ACTION")
    status = actions.add_parser("status", help="each item's status on the live data")
    export = actions.add_parser("export", help="write report.pdf, evidence.xlsx, evidence.json and MANIFEST")
    for parser in (status, export):
        add_data_arg(parser)
        parser.add_argument(
            "--from", dest="start", default=None, help="period start (ISO-8601; default: period_days ago)"
        )
        parser.add_argument("--to", dest="end", default=None, help="period end (ISO-8601; default: now)")
    status.add_argument("--json", action="store_true", help="print the items as JSON")
    status.set_defaults(func=cmd_status)
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory for the pack")
    export.set_defaults(func=cmd_export)
    verify = actions.add_parser("verify", help="check a pack's files against its MANIFEST")
    verify.add_argument("pack", type=Path, metavar="DIR")
    verify.set_defaults(func=cmd_verify)


def _report(
    args: argparse.Namespace, settings: Settings
) -> tuple[ComplianceReport, EmbeddedEventStore, StateStore]:
    try:
        start, end = period(settings=settings, start=parse_time(args.start), end=parse_time(args.end))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    events = EmbeddedEventStore.open_reader(settings.data_dir)
    state = open_state(settings.state_url)
    try:
        made = build_report(
            events=events, state=state, settings=settings, start=start, end=end, role_matrix=role_matrix()
        )
    except BaseException:
        events.close()
        state.close()
        raise
    return made, events, state


def cmd_status(args: argparse.Namespace) -> int:
    """Print every item's status, high-risk and worst first; exit 1 when a high-risk item fails."""
    settings = settings_from_args(args)
    made, events, state = _report(args, settings)
    events.close()
    state.close()
    items = gap_order(made.items)
    if args.json:
        print(
            json.dumps(
                {"totals": made.totals, "items": [i.model_dump(mode="json") for i in items]},
                ensure_ascii=False,
            )
        )
    else:
        for item in items:
            mark = "高风险 " if item.high_risk else ""
            print(f"{item.key:<14} {item.status_zh:<6} {mark}{item.control}: {item.summary}")
        print(" ".join(f"{ComplianceStatus(k).label_zh} {v}" for k, v in made.totals.items()))
    failing = {ComplianceStatus.NON_COMPLIANT}
    return 1 if any(i.high_risk and i.status in failing for i in items) else 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the pack; the export is written to the operation log."""
    settings = settings_from_args(args)
    made, events, state = _report(args, settings)
    try:
        write_pack(made, args.out, font=settings.compliance.font)
        with state.session() as session:
            append_audit(
                session,
                actor=HOST_ACTOR,
                action="compliance.export",
                target=str(args.out),
                detail={
                    "from": made.period_start.isoformat(),
                    "to": made.period_end.isoformat(),
                    "totals": made.totals,
                    "sha256": {n: file_digests(args.out / n)[0] for n in (*PACK_FILES, MANIFEST_NAME)},
                },
            )
    finally:
        events.close()
        state.close()
    print(json.dumps({"out": str(args.out), "files": [*PACK_FILES, MANIFEST_NAME], "totals": made.totals}))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Exit 0 when every file matches its SHA-256 and SM3 in MANIFEST."""
    problems = verify_pack(args.pack)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"OK: {len(PACK_FILES)} files match {MANIFEST_NAME} (SHA-256 and SM3)")
    return 1 if problems else 0
