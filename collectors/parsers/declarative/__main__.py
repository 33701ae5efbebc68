"""Check definitions: ``python -m collectors.parsers.declarative [--print-samples] [PATH ...]``.

Each PATH is a directory of ``*.yaml`` definitions or one file; the shipped definitions are
checked too unless ``--no-shipped``. Errors and warnings go to stderr as ``file.yaml:LINE:
message``; with ``--print-samples`` each sample's events go to stdout as NDJSON. Exit 1 when
any definition is refused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from collectors.decode import decode_record
from collectors.parse import parser_for
from collectors.parsers.declarative.loader import declared, load_declarative, sample_record
from collectors.parsers.declarative.schema import DefinitionError


def _line(kind: str, error: DefinitionError) -> str:
    return f"{error.where}: {kind}: {error.message}" if error.where else f"{kind}: {error.message}"


def main(argv: Sequence[str] | None = None) -> int:
    """Load, report, exit 1 on errors."""
    p = argparse.ArgumentParser(prog="python -m collectors.parsers.declarative", description=__doc__)
    p.add_argument("paths", nargs="*", metavar="PATH", help="definition directories or files")
    p.add_argument("--no-shipped", action="store_true", help="do not load the shipped definitions")
    p.add_argument("--print-samples", action="store_true", help="print each sample's events (NDJSON)")
    args = p.parse_args(argv)
    result = load_declarative(args.paths, shipped=not args.no_shipped)
    for error in result.errors:
        print(_line("error", error), file=sys.stderr)
    for warning in result.warnings:
        print(_line("warning", warning), file=sys.stderr)
    if args.print_samples:
        definitions = declared()
        for dataset in result.loaded:
            parser = parser_for(dataset)
            assert parser is not None
            for sample in definitions[dataset].samples:
                record = sample_record(sample.data)
                for event in parser.parse(decode_record(record), record):
                    sys.stdout.buffer.write(event.to_json() + b"\n")
    print(f"loaded: {', '.join(result.loaded) or 'none'}; {len(result.errors)} error(s)", file=sys.stderr)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
