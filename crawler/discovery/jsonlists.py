"""JSON and JSONP channel lists, as Chinese portals serve them (NetEase:
`data_callback([{"title": ..., "docurl": ..., "time": "12/01/2026 10:21:03"}, ...])`): the callback
wrapper is stripped and the rest parsed as JSON, never searched with a regex. Every object in it
with a web address under one of the declared URL keys is an entry, in document order."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crawler.discovery.entries import Entry, Listing
from crawler.extract.dates import find_datetime, relative_time, zone
from crawler.failures import NotJSON

# a JavaScript callback (or `a.b.c`) around the JSON, with an optional trailing semicolon
JSONP = re.compile(r"\A\s*[A-Za-z_$][\w$.]*\s*\((?P<json>.*)\)\s*;?\s*\Z", re.S)
EPOCH_MS = 10**11  # a numeric time above this is in milliseconds


@dataclass(frozen=True)
class JsonFields:
    """Where a source's JSON list keeps each entry's URL, time and title (the first key present
    wins), and the strptime format of its times when they are not ISO-like."""

    url: tuple[str, ...] = ("docurl", "url", "link", "href", "share_url", "articleUrl")
    time: tuple[str, ...] = ("time", "ptime", "pubDate", "publish_time", "pubtime", "date", "ctime")
    title: tuple[str, ...] = ("title",)
    time_format: str = ""


def json_text(text: str) -> str:
    """The JSON of a JSON or JSONP body."""
    match = JSONP.match(text)
    return match.group("json") if match else text


def read_json(text: str, fields: JsonFields, tz: str) -> Listing:
    try:
        data = json.loads(json_text(text))
    except ValueError as exc:
        raise NotJSON(f"not a JSON list: {exc}") from None
    return Listing("json", entries=[e for obj in _objects(data) if (e := _entry(obj, fields, tz))])


def _objects(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in the document, depth first, in document order."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            yield value
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))


def _first(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((obj[k] for k in keys if obj.get(k) not in (None, "")), None)


def _entry(obj: dict[str, Any], fields: JsonFields, tz: str) -> Entry | None:
    url = _first(obj, fields.url)
    if not isinstance(url, str) or not re.match(r"(?:https?:)?//", url.strip()):
        return None
    published, precision = _time(_first(obj, fields.time), fields.time_format, tz)
    title = _first(obj, fields.title)
    return Entry(
        url.strip(), published=published, precision=precision, title=title if isinstance(title, str) else ""
    )


def _time(value: Any, time_format: str, tz: str) -> tuple[datetime | None, str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value / 1000 if value > EPOCH_MS else value, UTC), "second"
    if not isinstance(value, str):
        return None, "second"
    if time_format:
        try:
            parsed = datetime.strptime(value.strip(), time_format).replace(tzinfo=zone(tz))
            return parsed, "second" if "%H" in time_format else "day"
        except ValueError:
            pass
    found = find_datetime(value, tz) or relative_time(value, datetime.now(UTC), tz)
    return (found.value, found.precision) if found else (None, "second")
