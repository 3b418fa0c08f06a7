"""Publication times from the forms Chinese news pages use, to the minute, with a time zone."""

from __future__ import annotations

import re
from dataclasses import dataclass
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
# A date in an article URL: /2019/09/07/, /20190907/, /2019-09/07/ (day precision at best)
URL_DATE = re.compile(r"/(?P<y>20\d{2})[/-]?(?P<m>[01]\d)[/-]?(?P<d>[0-3]\d)(?=[/_.])")
PRECISIONS = ("day", "hour", "minute", "second")  # from least to most precise
# Times stated against the moment a page is read: "刚刚", "5分钟前", "3小时前", "2天前", "昨天 10:20"
# (list pages and some article pages); read against the fetch time, each as precise as it says
AGO = re.compile(
    r"(?P<now>刚刚|剛剛|just now)"
    r"|(?P<n>\d{1,3})\s*(?P<unit>秒钟?|秒鐘?|分钟|分鐘|小时|小時|天|日|周|週|星期)\s*前"
    r"|(?P<en>\d{1,3})\s+(?P<enunit>second|minute|hour|day|week)s?\s+ago",
    re.I,
)
# a day word alone or with a time, never one inside a name ("今日头条") or a phrase ("昨天上午")
DAY_WORD = re.compile(
    r"(?P<day>今天|今日|昨天|昨日|前天)(?:\s*(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{2}))?(?![\u4e00-\u9fff])"
)
_UNITS = {  # a unit's length and the precision a count of it gives
    "秒": (timedelta(seconds=1), "minute"),
    "分": (timedelta(minutes=1), "minute"),
    "小": (timedelta(hours=1), "hour"),
    "天": (timedelta(days=1), "day"),
    "日": (timedelta(days=1), "day"),
    "周": (timedelta(weeks=1), "day"),
    "週": (timedelta(weeks=1), "day"),
    "星": (timedelta(weeks=1), "day"),
    "s": (timedelta(seconds=1), "minute"),
    "m": (timedelta(minutes=1), "minute"),
    "h": (timedelta(hours=1), "hour"),
    "d": (timedelta(days=1), "day"),
    "w": (timedelta(weeks=1), "day"),
}
_DAYS_BACK = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
# No news page we crawl was published before the web was; a time before this, or after the fetch
# plus a day, is a placeholder (the .NET default 0001-01-01, 9999-12-31) or a typo, never evidence.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_AFTER_FETCH = timedelta(days=1)


@dataclass(frozen=True)
class FoundTime:
    """A date-time read from a text: the value (aware), the text it came from, and how precise the
    text was: a day-only date is stored at 00:00 of that day, and only its precision says so."""

    value: datetime
    raw: str
    precision: str

    @property
    def rank(self) -> int:
        return PRECISIONS.index(self.precision)


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
    return found.value if found else None


def find_datetime(
    text: str, default_tz: str, patterns: tuple[re.Pattern[str], ...] = DATE_PATTERNS
) -> FoundTime | None:
    """The first date-time in `text`, the exact text it was read from, and its precision."""
    if not text:
        return None
    for pattern in patterns:
        match = pattern.search(text)
        if not match:
            continue
        parts = match.groupdict()
        try:
            value = datetime(
                int(parts["y"]),
                int(parts["m"]),
                int(parts["d"]),
                int(parts.get("H") or 0),
                int(parts.get("M") or 0),
                int(parts.get("S") or 0),
            )
        except ValueError:
            continue
        offset = parts.get("tz")
        tz = (UTC if offset == "Z" else zone(offset)) if offset else zone(default_tz)
        precision = "second" if parts.get("S") else "minute" if parts.get("M") else "day"
        return FoundTime(value.replace(tzinfo=tz), match.group(0).strip(), precision)
    return None


def relative_time(text: str, fetched_at: datetime, default_tz: str) -> FoundTime | None:
    """A time stated against the reading ("3小时前", "昨天 10:20"), as of `fetched_at`, with the
    precision it has: an hour ago is the hour, two days ago the day, never a minute; or None."""
    if not text:
        return None
    tz = zone(default_tz)
    local = fetched_at.astimezone(tz).replace(second=0, microsecond=0)
    if match := AGO.search(text):
        if match["now"]:
            return FoundTime(local, match.group(0), "minute")
        count, unit = (match["n"], match["unit"]) if match["n"] else (match["en"], match["enunit"])
        length, precision = _UNITS[unit[0].lower()]
        value = local - int(count) * length
        if precision == "day":
            value = value.replace(hour=0, minute=0)
        return FoundTime(value, match.group(0), precision)
    match = DAY_WORD.search(text)
    if match is None:
        return None
    day = local.date() - timedelta(days=_DAYS_BACK[match["day"]])
    if match["H"] is None:
        return FoundTime(datetime(day.year, day.month, day.day, tzinfo=tz), match.group(0), "day")
    try:
        value = datetime(day.year, day.month, day.day, int(match["H"]), int(match["M"]), tzinfo=tz)
    except ValueError:
        return None
    return FoundTime(value, match.group(0), "minute") if value <= local else None


def implausible(found: FoundTime, fetched_at: datetime) -> str | None:
    """Why a time a page states cannot be its publication time (None when it can): before
    EARLIEST, or after the fetch plus LATEST_AFTER_FETCH (9999-12-31 at -05:00 is past year 9999
    in UTC: after it too)."""
    if found.value.year < EARLIEST.year:
        return f"before {EARLIEST.year}"
    try:
        value = found.value.astimezone(UTC)
    except OverflowError:
        return "after the fetch"  # beyond year 9999 once in UTC
    if value < EARLIEST:
        return f"before {EARLIEST.year}"
    if value > fetched_at + LATEST_AFTER_FETCH:
        return "after the fetch"
    return None


def url_date(url: str, default_tz: str) -> FoundTime | None:
    """The day an article URL names (`/2019/09/07/`, `/20190907/`), as a day-precise time."""
    return find_datetime(url, default_tz, (URL_DATE,))
