"""Every parser, any input: events or exactly one dead letter with a reason, never an exception.

Random bytes rarely look like a device line, so besides them each parser gets its own sample
lines cut short, with bytes flipped, spliced with each other and with junk — the inputs that
reach deep into a parser. Fixed cases: a 1 MiB line, NUL bytes, invalid UTF-8.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from padding_support import padded

from collectors.parse import ParseOutcome, parse_record
from collectors.parsers import PARSERS
from soc_core.records import RawRecord
from soc_core.vocabulary import MAX_RECORD_BYTES, DeadLetterReason

PARSERS_DIR = Path(__file__).resolve().parents[2] / "collectors" / "parsers"
DATASETS = sorted(PARSERS)
FORMATS = ["auto", *DATASETS]
REASONS = {reason.value for reason in DeadLetterReason}


def _sample_lines() -> dict[str, list[bytes]]:
    lines: dict[str, list[bytes]] = {}
    for dataset, cls in PARSERS.items():
        folder = PARSERS_DIR / cls.__module__.split(".")[2] / "samples"
        found: list[bytes] = []
        for sample in sorted(folder.glob("*.log")) if folder.is_dir() else []:
            found.extend(line for line in sample.read_bytes().split(b"\n") if line.strip())
        lines[dataset] = found or [b"<190>Nov 27 16:00:00 host app: text"]
    return lines


SAMPLES = _sample_lines()
ALL_SAMPLES = [line for found in SAMPLES.values() for line in found]


def _record(data: bytes, timezone: str | None = None) -> RawRecord:
    return RawRecord(
        data=data,
        received_at=1_795_766_400.0,
        origin="test",
        peer="192.0.2.1:514",
        offset=7,
        timezone=timezone,
    )


def check(outcome: ParseOutcome) -> None:
    """The contract: events (each serialisable) xor one dead letter with a known reason."""
    if outcome.dead_letter is None:
        assert outcome.events
        for event in outcome.events:
            assert event.event.dataset
            assert event.to_json()
    else:
        assert not outcome.events
        error = outcome.dead_letter.error
        assert error is not None and error.type in REASONS and error.message
        assert "internal error" not in error.message, error.message


@st.composite
def mutated(draw: st.DrawFn, pool: list[bytes]) -> bytes:
    """A sample line cut, with bytes flipped or inserted, or spliced with another line."""
    line = bytearray(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(("cut", "flip", "insert", "splice", "delete")))
        if not line:
            break
        at = draw(st.integers(0, len(line) - 1))
        if action == "cut":
            del line[at:]
        elif action == "flip":
            line[at] = draw(st.integers(0, 255))
        elif action == "insert":
            line[at:at] = draw(
                st.sampled_from(
                    (
                        b'"',
                        b"=",
                        b"\\",
                        b",",
                        b";",
                        b"{",
                        b"}",
                        b"[",
                        b":",
                        "中文".encode(),
                        b"\xff",
                        b"|",
                        b" ",
                        b"\t",
                        b"%%",
                    )
                )
            )
        elif action == "delete":
            del line[at : at + draw(st.integers(1, 8))]
        else:
            other = draw(st.sampled_from(ALL_SAMPLES))
            line[at:] = other[draw(st.integers(0, max(0, len(other) - 1))) :]
    return bytes(line)


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_lines_never_raise(fmt: str, data: st.DataObject) -> None:
    pool = ALL_SAMPLES if fmt == "auto" else SAMPLES[fmt]
    check(parse_record(_record(data.draw(mutated(pool)))))
    check(parse_record(_record(data.draw(mutated(pool))), fmt=fmt))


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=512))
def test_random_bytes_never_raise(fmt: str, data: bytes) -> None:
    check(parse_record(_record(data), fmt=fmt))


@pytest.mark.parametrize("fmt", FORMATS)
def test_fixed_hard_cases(fmt: str) -> None:
    sample = (ALL_SAMPLES if fmt == "auto" else SAMPLES[fmt])[0]
    huge = sample + b" " + b"x=" * (MAX_RECORD_BYTES // 2)
    outcome = parse_record(_record(huge), fmt=fmt)
    check(outcome)
    assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
    assert outcome.dead_letter.error.type == DeadLetterReason.TOO_LONG.value
    just_under = (sample + b" " + b"a" * MAX_RECORD_BYTES)[: MAX_RECORD_BYTES - 1]
    check(parse_record(_record(just_under), fmt=fmt))
    with_nul = sample[:10] + b"\x00" + sample[10:]
    outcome = parse_record(_record(with_nul), fmt=fmt)
    check(outcome)
    assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
    assert outcome.dead_letter.error.type == DeadLetterReason.BINARY.value
    check(parse_record(_record(sample + b"\xff\xfe\xfd"), fmt=fmt))
    check(parse_record(_record(b"\xc3\x28" + sample), fmt=fmt))
    check(parse_record(_record(sample, timezone="+05:45"), fmt=fmt))
    check(parse_record(_record(sample.replace(b"2026", b"9999").replace(b"Nov", b"Feb 30")), fmt=fmt))


_PADDINGS: tuple[bytes, ...] = (b" ", b"\t", b"=", b"; ", b' a="b"')


@pytest.mark.timeout(600)  # linear parses take well under a second each; a quadratic one, minutes to hours
@pytest.mark.parametrize("fmt", DATASETS)
def test_samples_padded_to_a_mebibyte_stay_linear(fmt: str) -> None:
    """Every sample line, whole and cut in half, padded to 1 MiB with a run of blanks, "=",
    separators or pairs, is parsed or dead-lettered: no regex rescans a run for each of its
    characters (a lazy value that looked for the line's end at every blank once took hours)."""
    for sample in SAMPLES[fmt]:
        for line in padded(sample, _PADDINGS):
            check(parse_record(_record(line), fmt=fmt))


STRICT_JSON = sorted(dataset for dataset, cls in PARSERS.items() if cls.strict_json)


def test_some_parser_reads_strict_json() -> None:
    assert "suricata.eve" in STRICT_JSON  # the decoder's binary check is skipped for these


@pytest.mark.parametrize("dataset", STRICT_JSON)
def test_strict_json_parsers_refuse_raw_control_bytes(dataset: str) -> None:
    """``strict_json`` is a promise: a JSON record holding a raw control byte never becomes an
    event (the decoder did not count them), and one that is mostly control bytes is reported
    as binary content, as the decoder would have reported it."""
    samples = [line for line in SAMPLES[dataset] if line.startswith(b'{"')]
    assert samples, f"{dataset}: no JSON sample line"
    for sample in samples:
        assert parse_record(_record(sample), fmt=dataset).dead_letter is None
        for fmt in (dataset, "auto"):
            one = parse_record(_record(sample.replace(b'":"', b'":"\x01', 1)), fmt=fmt)
            check(one)
            assert one.dead_letter is not None and one.dead_letter.error is not None
            assert one.dead_letter.error.type == DeadLetterReason.PARSE_ERROR.value
            controls = b'":"' + b"\x01\x1b" * len(sample)
            blob = parse_record(_record(sample.replace(b'":"', controls, 1)), fmt=fmt)
            check(blob)
            assert blob.dead_letter is not None and blob.dead_letter.error is not None
            assert blob.dead_letter.error.type == DeadLetterReason.BINARY.value
            assert "binary content" in (blob.dead_letter.error.message or "")


@pytest.mark.parametrize("dataset", sorted(set(DATASETS) - set(STRICT_JSON)))
def test_json_looking_binary_is_binary_for_every_parser(dataset: str) -> None:
    """Other parsers get the check before they parse a record that starts with ``{``."""
    blob = b"{" + b"\x01\x02 a=1 b=2 " * 20 + b"}"
    outcome = parse_record(_record(blob), fmt=dataset)
    check(outcome)
    assert outcome.dead_letter is not None and outcome.dead_letter.error is not None
    assert outcome.dead_letter.error.type == DeadLetterReason.BINARY.value
