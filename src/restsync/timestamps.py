"""Time, on the ground floor: UTC normalising, the one timestamp format restsync writes, strict
ISO 8601 for what restsync stored or a user typed, and any timestamp an API may send.

Accepted: ISO 8601 (with or without zone, `Z`, offsets, fractions of any length), `YYYY-MM-DD
HH:MM:SS`, bare dates, RFC 2822 (`Tue, 15 Nov 1994 08:12:31 GMT`), and epoch seconds,
milliseconds or microseconds as numbers or numeric strings. Zone-less values are UTC.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MILLIS_ABOVE = 1e11  # 1e11 s is the year 5138; 1e11 ms is 1973
_MICROS_ABOVE = 1e14
_NUMERIC = re.compile(r"([+-]?)(\d+)(?:\.(\d*))?")
_COMPACT_DATE = re.compile(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])")  # 20240115
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")
_EXTRA_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y")


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def to_utc(moment: datetime | float | int | None) -> datetime | None:
    """What callers pass for a window edge: an aware or naive (= UTC) datetime, or epoch seconds
    (RAGFlow's poll_source); unlike `parse_timestamp`, numbers are never read as milliseconds."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return as_utc(moment)
    return datetime.fromtimestamp(float(moment), tz=timezone.utc)


def format_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z suffix, the one timestamp format restsync writes."""
    if moment is None:
        return None
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def parse_iso(text: object) -> datetime | None:
    """A strict ISO 8601 date or date-time in UTC (zone-less means UTC), for values restsync wrote
    itself or a user typed; None when `text` is empty or not ISO 8601. API values, which come in
    every format, go through `parse_timestamp` instead."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def _from_epoch_number(number: float) -> datetime | None:
    if not math.isfinite(number):
        return None
    magnitude = abs(number)
    if magnitude > _MICROS_ABOVE:
        number /= 1_000_000
    elif magnitude > _MILLIS_ABOVE:
        number /= 1_000
    try:
        return EPOCH + timedelta(seconds=number)
    except OverflowError:
        return None


def _from_epoch_text(sign: str, whole: str, fraction: str | None) -> datetime | None:
    """Exact decimal arithmetic: `"1700000000.000100"` keeps its 100 µs, which a float would blur."""
    units = int(whole)
    digits = fraction or ""
    if units > _MICROS_ABOVE:
        scale = 0  # already microseconds
    elif units > _MILLIS_ABOVE:
        scale = 3
    else:
        scale = 6
    digits = (digits + "0" * scale)[:scale]
    micros = units * 10**scale + (int(digits) if digits else 0)
    if sign == "-":
        micros = -micros
    try:
        return EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return None


def _from_text(text: str) -> datetime | None:
    numeric = _NUMERIC.fullmatch(text)
    if numeric is not None:
        if numeric.group(3) is None and _COMPACT_DATE.fullmatch(text):
            return datetime.strptime(text, "%Y%m%d").replace(tzinfo=timezone.utc)
        return _from_epoch_text(*numeric.groups())
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    # fromisoformat is strict about case and keeps at most 6 fraction digits on some inputs.
    normalised = _LONG_FRACTION.sub(r"\1", text.upper() if "z" in text or "t" in text else text)
    if normalised != text:
        try:
            return as_utc(datetime.fromisoformat(normalised))
        except ValueError:
            pass
    if "," in text or text[:1].isalpha():
        try:
            return as_utc(parsedate_to_datetime(text))
        except (TypeError, ValueError, IndexError):
            pass
    for pattern in _EXTRA_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime for `value`, or None when it is empty or not a timestamp."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return _from_epoch_number(float(value)) if isinstance(value, float) else _from_epoch_text(
            "-" if value < 0 else "", str(abs(value)), None
        )
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return _from_text(text)
        except (OverflowError, ValueError):
            return None
    return None


def _to_datetime(moment: datetime | float | int) -> datetime:
    if isinstance(moment, datetime):
        return as_utc(moment)
    parsed = _from_epoch_number(float(moment))
    if parsed is None:
        raise ValueError(f"not a time: {moment!r}")
    return parsed


def format_time(moment: datetime | float | int, fmt: str | None = "iso") -> str:
    """`moment` as `poll_time_format` asks: `iso` (`2025-01-01T00:00:00Z`), `epoch`, `epoch_ms`,
    or a strftime pattern (applied in UTC)."""
    utc = _to_datetime(moment)
    style = (fmt or "iso").strip()
    lowered = style.lower()
    if lowered in ("iso", "iso8601", "rfc3339"):
        return format_utc(utc) or ""
    if lowered in ("epoch", "epoch_s", "unix"):
        return str(_epoch_micros(utc) // 1_000_000)
    if lowered in ("epoch_ms", "unix_ms"):
        return str(_epoch_micros(utc) // 1_000)
    return utc.strftime(style)


def _epoch_micros(utc: datetime) -> int:
    delta = utc - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
