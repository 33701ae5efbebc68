"""Hostile lines for the parsers' linearity tests: a sample line padded to just under the limit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from soc_core.vocabulary import MAX_RECORD_BYTES


def padded(line: bytes, pads: Iterable[bytes]) -> Iterator[bytes]:
    """``line`` whole and cut in half, each followed by a run of each pad up to just under
    ``MAX_RECORD_BYTES`` and one ``x`` (the run is not the line's end, where regexes stop early)."""
    limit = MAX_RECORD_BYTES - 64
    for head in (line, line[: len(line) // 2]):
        for pad in pads:
            yield (head + pad * (limit // len(pad)))[:limit] + b"x"
