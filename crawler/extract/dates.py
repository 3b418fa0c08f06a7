"""Publication times from the forms Chinese news pages use, to the minute, with a time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

_TIME = r"(?:\s*|T)(?P<H>\d{1,2})\s*[:时時点點]\s*(?P<M>\d{1,2})\s*分?(?:\s*[:]?\s*(?P<S>\d{1,2})\s*秒?)?"
_OFFSET = r"(?:\.\d+)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
# Ordered: the first pattern that matches a text wins; all need a time of day except the last two.
DATE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME + _OFFSET),
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日" + _TIME),
    re.compile(r"(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})" + _TIME),
    re.compile(r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"),
    re.compile(r"(?<!\d)(?P<y>20\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"),
)


def zone(name: str) -> tzinfo:
    """An IANA zone or a `+08:00` offset as a tzinfo."""
    if re.fullmatch(r"[+-]\d{2}:?\d{2}", name):
        sign = -1 if name[0] == "-" else 1
        digits = name[1:].replace(":", "")
        return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return ZoneInfo(name)


def parse_datetime(text: str, default_tz: str) -> datetime | None:
    """The first date-time in `text`, aware: its own offset if it states one, else `default_tz`."""
    found = find_datetime(text, default_tz)
    return found[0] if found else None


def find_datetime(text: str, default_tz: str) -> tuple[datetime, str] | None:
    """The first date-time in `text` and the exact text it was read from."""
    if not text:
        return None
    for pattern in DATE_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        parts = match.groupdict()
        try:
            value = datetime(
                int(parts["y"]), int(parts["m"]), int(parts["d"]),
                int(parts.get("H") or 0), int(parts.get("M") or 0), int(parts.get("S") or 0),
            )
        except ValueError:
            continue
        offset = parts.get("tz")
        tz = (UTC if offset == "Z" else zone(offset)) if offset else zone(default_tz)
        return value.replace(tzinfo=tz), match.group(0).strip()
    return None
