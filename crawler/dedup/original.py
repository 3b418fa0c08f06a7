"""Which copy of a story is its original: a pure function of the members, so every writer, the
regrouping and the evaluation choose alike.

The original is the copy that ran first, as far as the evidence says:
- a member whose `origin` ("来源：网易") names another member's outlet defers to it (`credited`);
  a credit naming the member's own outlet (a NetEase story's "来源：网易财经") is no credit;
- times are compared with their precision: a time is the interval it stands for (a day-only
  time, stored as 00:00, covers the whole day), and one member ran first only when its interval
  ends before the other's begins; a member with no time never beats one with a time (`earliest`);
- among members no time tells apart, a re-poster never wins against one that is not
  (`not_repost`): a re-posting site (`reposts=True` in its SourceSpec), or a member crediting an
  outlet not its own beside a member of its own outlet that does not (a NetEase self-media
  re-post under another account's credit, beside NetEase's story); then
  the more precise time wins (`precise`), then the first stored (`first_seen`), then the URL, so
  the choice never depends on the order read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SPANS = {
    "second": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1),  # "3小时前": three hours before the fetch, to the hour
    "day": timedelta(days=1),
}
_NEVER = datetime.max.replace(tzinfo=UTC)
_SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Outlets:
    """What the choice knows of sources: the names others credit them by, and which re-post."""

    names: Mapping[str, tuple[str, ...]]
    reposting: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Choice:
    original: dict[str, Any]
    by: str  # only, credited, earliest, not_repost, precise, first_seen


def precision_of(member: Mapping[str, Any]) -> str | None:
    """The stored precision; for a document stored before it was kept, a time at midnight of its
    zone is taken as a day, any other as a minute."""
    published = member.get("published_at")
    if published is None:
        return None
    if member.get("published_precision") in SPANS:
        return str(member["published_precision"])
    local = _aware(published).astimezone(_zone(member.get("timezone")))
    return "day" if (local.hour, local.minute, local.second) == (0, 0, 0) else "minute"


def interval(member: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    precision = precision_of(member)
    if precision is None:
        return None
    start = _aware(member["published_at"])
    if precision != "second":
        start = start.replace(second=0, microsecond=0)  # sites round differently
    return start, start + SPANS[precision]


def credits(member: Mapping[str, Any], other: Mapping[str, Any], outlets: Outlets) -> bool:
    """True when `member`'s origin line names `other`'s outlet (its site or a name of its source),
    and not its own: a credit to itself says nothing of who ran the story first."""
    origin = member.get("origin")
    if not origin or member.get("source") == other.get("source") and member.get("site") == other.get("site"):
        return False
    return _names(origin, other, outlets) and not _names(origin, member, outlets)


def _names(origin: str, member: Mapping[str, Any], outlets: Outlets) -> bool:
    names = (member.get("site") or "", *outlets.names.get(member.get("source") or "", ()))
    return any(name and (name in origin or origin in name) for name in names)


def reposters(members: list[dict[str, Any]], outlets: Outlets) -> set[int]:
    """The ids of the re-posters among members: sites that re-post by trade, and a member crediting
    an outlet not its own beside a member of its outlet that does not (a NetEase self-media re-post
    under another account's credit, beside NetEase's own story). A credit to an outlet outside the
    group says nothing against a member that credits no one: that one may be its copy."""
    elsewhere = {id(m) for m in members if m.get("origin") and not _names(str(m["origin"]), m, outlets)}
    return {
        id(m)
        for m in members
        if m.get("source") in outlets.reposting
        or id(m) in elsewhere
        and any(o.get("source") == m.get("source") and id(o) not in elsewhere for o in members)
    }


def choose_original(members: Iterable[dict[str, Any]], outlets: Outlets) -> Choice:
    members = list(members)
    if len(members) == 1:
        return Choice(members[0], "only")
    credited = [m for m in members if not any(credits(m, o, outlets) for o in members if o is not m)]
    pool = credited or members  # credit that runs in a circle says nothing
    spans = {id(m): interval(m) for m in pool}
    timed = [m for m in pool if spans[id(m)] is not None]
    first = (
        [m for m in timed if not any(_before(spans[id(o)], spans[id(m)]) for o in timed)] if timed else pool
    )
    reposting = reposters(members, outlets)
    ranked = sorted(first, key=lambda m: _tie_key(m, spans[id(m)], reposting))
    original = ranked[0]
    if len(credited) < len(members) and _credited_by_others(original, members, outlets):
        return Choice(original, "credited")
    if len(first) == 1:
        return Choice(original, "earliest")
    runner_up = ranked[1]
    for rank, reason in ((0, "not_repost"), (1, "precise")):
        if (
            _tie_key(original, spans[id(original)], reposting)[rank]
            != _tie_key(runner_up, spans[id(runner_up)], reposting)[rank]
        ):
            return Choice(original, reason)
    return Choice(original, "first_seen")


def _before(a: tuple[datetime, datetime] | None, b: tuple[datetime, datetime] | None) -> bool:
    return a is not None and b is not None and a[1] <= b[0]


def _tie_key(
    member: Mapping[str, Any], span: tuple[datetime, datetime] | None, reposting: set[int]
) -> tuple[Any, ...]:
    width = span[1] - span[0] if span else timedelta.max
    return (
        id(member) in reposting,
        width,
        _aware(member["first_seen"]) if member.get("first_seen") else _NEVER,
        member["url"],
    )


def _credited_by_others(original: Mapping[str, Any], members: list[dict[str, Any]], outlets: Outlets) -> bool:
    return any(credits(m, original, outlets) for m in members if m is not original)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name and "/" in name else _SHANGHAI
    except (ValueError, KeyError):
        return _SHANGHAI
