"""Device timestamps → UTC ``datetime``. Pure: the receive time is an argument, never the clock.

Devices write time in many shapes; the ones handled here cover the syslog headers and the
``time=`` / ``"timestamp":`` values we meet in practice:

* RFC 3339 / ISO 8601, ``T`` or space, optional fraction, optional ``Z``/``±hh:mm``
  (``2026-11-27T16:00:00.123+08:00``, ``2019-09-19 14:35:34``, ``2019/7/2 16:39:32``)
* compact ``20191017 16:00:18``
* BSD / RFC 3164 ``Nov 27 16:00:00`` with an optional year before or after the time
  (``Aug 23 2019 10:39:28``, ``Dec  1 19:35:56 2019``)
* POSIX seconds or milliseconds (``1578291550``, ``1578291550123``, ``1578291550.5``)

Text without an offset is device-local time in ``tz`` (Asia/Shanghai unless configured). A
BSD timestamp without a year gets the latest year that is not more than a day after the
receive time: a December line received on 1 January belongs to the old year, and a device
clock running a little fast across midnight on 31 December still lands in the new year.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC: Final = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=UTC)
# How far into the future (relative to receipt) a year-less timestamp may be: device clocks drift.
FUTURE_TOLERANCE_S: Final = 86_400.0

MONTHS: Final[dict[str, int]] = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}

_NUMERIC: Final = re.compile(
    r"(?P<y>\d{4})(?:[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})|(?P<mo2>\d{2})(?P<d2>\d{2}))"
    r"(?:[T ]+(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    r"\s*(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII | re.IGNORECASE,
)
_BSD: Final = re.compile(
    r"(?P<mon>[A-Za-z]{3})\s+(?P<d>\d{1,2})\s+(?:(?P<y1>\d{4})\s+)?"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?"
    r"(?:\s+(?P<y2>\d{4}))?",
    re.ASCII,
)
_EPOCH_RE: Final = re.compile(r"\d{9,13}(?:\.\d{1,9})?", re.ASCII)


_FIXED_OFFSET: Final = re.compile(r"(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?", re.ASCII | re.IGNORECASE)


@functools.lru_cache(maxsize=64)
def zone(name: str) -> dt.tzinfo:
    """The zone for ``name``: an IANA name (``Asia/Shanghai``) or a fixed offset (``+08:00``,
    ``-0700``, ``UTC+8``) as devices are often configured; raises ``ValueError`` otherwise."""
    fixed = _FIXED_OFFSET.fullmatch(name.strip())
    if fixed is not None:
        sign, hours, minutes = fixed.group(1), int(fixed.group(2)), int(fixed.group(3) or 0)
        if hours > 23 or minutes > 59:
            raise ValueError(f"unknown timezone {name!r} (offset out of range)")
        delta = dt.timedelta(hours=hours, minutes=minutes)
        return dt.timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def from_posix(seconds: float) -> dt.datetime:
    """UTC datetime for POSIX seconds; non-finite or out-of-range values give the epoch."""
    # Transports stamp a whole read chunk with one receive time: the last result repeats.
    global _last_posix
    cached = _last_posix
    if cached[0] == seconds:
        return cached[1]
    if not math.isfinite(seconds):
        return _EPOCH
    try:
        result = _EPOCH + dt.timedelta(seconds=seconds)
    except OverflowError:
        return _EPOCH
    _last_posix = (seconds, result)
    return result


_last_posix: tuple[float, dt.datetime] = (math.nan, _EPOCH)


def _fraction_us(text: str | None) -> int:
    # Nanosecond fractions (some devices) are cut to microseconds, which datetime holds.
    return int(text[:6].ljust(6, "0")) if text else 0


def _offset(text: str) -> dt.timezone:
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"bad UTC offset {text!r}")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _local(fields: tuple[int, int, int, int, int, int, int], tz: str) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=zone(tz)).astimezone(UTC)


def resolve_timestamp(text: str, *, received_at: float, tz: str) -> dt.datetime:
    """UTC time for a device timestamp ``text``; raises ``ValueError`` if it is not one.

    ``received_at`` (POSIX seconds) resolves a missing year; ``tz`` is the device's zone for
    timestamps without an offset.
    """
    try:
        stamp, parts = _parse(text.strip(), tz)
        if stamp is not None:
            return stamp
        assert parts is not None
        return _resolve_year(parts, received_at, tz)
    except OverflowError as exc:  # year 1 or 9999 pushed out of range by an offset
        raise ValueError(f"timestamp out of range: {text!r}") from exc


_Parts = tuple[int, int, int, int, int, int]  # month, day, hour, minute, second, microsecond


# Memoised: at tens of thousands of records per second the same second's text repeats; the
# result depends only on (text, tz) — the year-less case returns its parts, not a time.
@functools.lru_cache(maxsize=4096)
def _parse(text: str, tz: str) -> tuple[dt.datetime | None, _Parts | None]:
    if not text:
        raise ValueError("empty timestamp")
    if text[0].isdigit():
        if _EPOCH_RE.fullmatch(text):
            value = float(text)
            return from_posix(value / 1000.0 if value >= 1e12 else value), None
        m = _NUMERIC.fullmatch(text)
        if m is None:
            raise ValueError(f"unrecognised timestamp {text!r}")
        g = m.group
        month, day = (g("mo"), g("d")) if g("mo") else (g("mo2"), g("d2"))
        fields = (
            int(g("y")),
            int(month),
            int(day),
            int(g("h") or 0),
            int(g("mi") or 0),
            int(g("s") or 0),
            _fraction_us(g("f")),
        )
        z = g("z")
        if z:
            return dt.datetime(*fields, tzinfo=_offset(z.upper())).astimezone(UTC), None
        return _local(fields, tz), None
    m = _BSD.fullmatch(text)
    if m is None:
        raise ValueError(f"unrecognised timestamp {text!r}")
    g = m.group
    month_no = MONTHS.get(g("mon").lower())
    if month_no is None:
        raise ValueError(f"unknown month in {text!r}")
    day_no, hour, minute, second = int(g("d")), int(g("h")), int(g("mi")), int(g("s"))
    micro = _fraction_us(g("f"))
    year_text = g("y1") or g("y2")
    if year_text:
        return _local((int(year_text), month_no, day_no, hour, minute, second, micro), tz), None
    if not (1 <= month_no <= 12 and 1 <= day_no <= 31 and hour < 24 and minute < 60 and second < 60):
        raise ValueError(f"invalid date or time in {text!r}")
    return None, (month_no, day_no, hour, minute, second, micro)


@functools.lru_cache(maxsize=4096)
def _local_or_none(year: int, parts: _Parts, tz: str) -> tuple[dt.datetime, float] | None:
    try:
        stamp = _local((year, *parts), tz)
    except ValueError:  # 29 February in a common year
        return None
    return stamp, stamp.timestamp()


# Any instant in a year after the UTC year of (receipt + tolerance + 14 h, the largest UTC
# offset) is beyond the tolerance, so that year is where the search starts.
_START_SLACK_S: Final = FUTURE_TOLERANCE_S + 14 * 3600.0


# (parts, tz) → (lo, hi, time): the answer for every receive time in [lo, hi). Exact, so the
# result never depends on what was parsed before; it saves the year search on nearly every line.
_year_cache: Final[dict[tuple[_Parts, str], tuple[float, float, dt.datetime]]] = {}
_YEAR_CACHE_MAX: Final = 4096


def _resolve_year(parts: _Parts, received_at: float, tz: str) -> dt.datetime:
    if not math.isfinite(received_at):
        received_at = 0.0
    cached = _year_cache.get((parts, tz))
    if cached is not None and cached[0] <= received_at < cached[1]:
        return cached[2]
    limit = received_at + FUTURE_TOLERANCE_S
    # The latest year whose instant is not beyond the limit; going back 10 years finds a leap
    # year for 29 February.
    start = from_posix(received_at + _START_SLACK_S).year
    above: float | None = None  # the instant of the nearest valid later year
    for year in range(start, start - 10, -1):
        found = _local_or_none(year, parts, tz)
        if found is None:
            continue
        if found[1] <= limit:
            if above is not None:
                if len(_year_cache) >= _YEAR_CACHE_MAX:
                    _year_cache.clear()
                # valid while found <= received + tolerance < above
                lo, hi = found[1] - FUTURE_TOLERANCE_S, above - FUTURE_TOLERANCE_S
                _year_cache[(parts, tz)] = (lo, hi, found[0])
            return found[0]
        above = found[1]
    raise ValueError(f"no valid date for month {parts[0]} day {parts[1]}")
