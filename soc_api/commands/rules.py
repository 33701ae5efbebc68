"""``soc rules``: check rule files, run the regression cases, hunt over stored events.

* ``soc rules check PATH... [--json]`` — load and compile every rule; ``--json`` prints
  ``{"rules":N,"compiled":N,"failed":[{"path":..,"reason":..}]}``. Exit 0 when every rule
  compiled, 1 when some were refused.
* ``soc rules test [--rules DIR] [--regression DIR]`` — every ``<regression>/<rule>/`` case
  (events and the expected number of matches) against the rules; exit 1 on any mismatch.
* ``soc rules hunt RULE --from T --to T [--data DIR]`` — run one rule (file) over the events
  stored in that time range; matching events as NDJSON on stdout, a summary on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from detectors.sigma.rules import SHIPPED_REGRESSION, SHIPPED_RULES, load_rules
from soc_api.commands.common import add_data_arg, add_store_args, parse_time, settings_from_args
from soc_core.storage.factory import store_overrides


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc rules`` and its sub-commands."""
    p = sub.add_parser("rules", help="check, test and hunt with Sigma rules")
    rules_sub = p.add_subparsers(dest="rules_command", required=True, metavar="SUBCOMMAND")

    check = rules_sub.add_parser("check", help="compile rules and report every refusal with its reason")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    check.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    check.set_defaults(func=run_check)

    test = rules_sub.add_parser("test", help="run the regression cases of the rule pack")
    test.add_argument("--rules", action="append", type=Path, metavar="DIR", help=f"default {SHIPPED_RULES}")
    test.add_argument("--regression", type=Path, default=SHIPPED_REGRESSION, metavar="DIR")
    test.set_defaults(func=run_test)

    hunt = rules_sub.add_parser("hunt", help="run a rule over stored events in a time range")
    hunt.add_argument("rule", type=Path, metavar="RULE")
    hunt.add_argument("--from", dest="start", required=True, metavar="TIME", help="ISO time (inclusive)")
    hunt.add_argument("--to", dest="end", required=True, metavar="TIME", help="ISO time (exclusive)")
    add_data_arg(hunt)
    add_store_args(hunt)
    hunt.add_argument("--limit", type=int, default=10_000, help="stop after this many matches")
    hunt.set_defaults(func=run_hunt)


def run_check(args: argparse.Namespace) -> int:
    """Compile and report."""
    for path in args.paths:
        if not path.exists():
            print(f"soc rules check: {path}: no such file or folder", file=sys.stderr)
            return 2
    ruleset = load_rules(args.paths)
    failed = [{"path": f.path, "reason": f.reason} for f in ruleset.failed]
    # Compiled, but a %placeholder% without configured values matches nothing: say so.
    warnings = [
        {
            "path": r.path,
            "warning": f"placeholder {', '.join(sorted(r.unresolved))} has no values: matches nothing",
        }
        for r in ruleset.rules
        if r.unresolved
    ]
    if args.json:
        report = {
            "rules": ruleset.total,
            "compiled": ruleset.compiled,
            "failed": failed,
            "warnings": warnings,
        }
        print(json.dumps(report, ensure_ascii=False))
    else:
        for f in ruleset.failed:
            print(f"{f.path}: {f.reason}")
        for w in warnings:
            print(f"{w['path']}: warning: {w['warning']}")
        share = ruleset.compiled / ruleset.total if ruleset.total else 1.0
        print(f"{ruleset.compiled} of {ruleset.total} rules compiled ({share:.1%}); {len(failed)} refused")
    return 0 if not failed else 1


def run_test(args: argparse.Namespace) -> int:
    """Run the regression cases."""
    from detectors.sigma.regression import run_cases

    results = run_cases(rules=args.rules or [SHIPPED_RULES], regression=args.regression)
    bad = 0
    for result in results:
        mark = "ok  " if result.passed else "FAIL"
        bad += not result.passed
        print(f"{mark} {result.name}: expected {result.expected}, got {result.got}{result.note}")
    print(f"{len(results) - bad} of {len(results)} regression cases passed")
    return 0 if results and bad == 0 else 1


def run_hunt(args: argparse.Namespace) -> int:
    """Run one rule over stored events."""
    from detectors.hunts import hunt_stored

    settings = settings_from_args(args, **store_overrides(args.store, args.es_url))
    start, end = parse_time(args.start), parse_time(args.end)
    assert start is not None and end is not None  # required arguments
    found = hunt_stored(
        rule_path=args.rule,
        settings=settings,
        start=start,
        end=end,
        limit=args.limit,
        out=sys.stdout.buffer,
    )
    print(json.dumps(found), file=sys.stderr)
    return 0
