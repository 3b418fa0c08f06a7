"""RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom feeds, read with feedparser: it knows every dialect's
link and date elements (`<link href>` in Atom, `dc:date` in RSS 1.0, RFC 822 and W3C dates), which
a regex over `<link>` does not. Only bytes are handed to it, never a string it could take for a URL
to fetch."""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from crawler.discovery.entries import Entry, Listing

# a date with no time of day (`2026-12-01`, `Tue, 01 Dec 2026`): it covers the whole day, as in a sitemap
DAY_ONLY = re.compile(r"(?:\w{3},\s*)?\d{1,2}\s+\w{3}\s+\d{4}|\d{4}-\d{2}-\d{2}")


def read_feed(body: bytes) -> Listing:
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    return Listing("feed", entries=[e for entry in parsed.entries if (e := _entry(entry))])


def _entry(entry: Any) -> Entry | None:
    links = [
        link.get("href") for link in entry.get("links", ()) if link.get("rel", "alternate") == "alternate"
    ]
    url = entry.get("link") or next((href for href in links if href), None)
    if not url:
        return None
    # read as a plain dict: feedparser's own lookup would answer `updated` with `published`
    published, updated = dict.get(entry, "published_parsed"), dict.get(entry, "updated_parsed")
    published_raw, updated_raw = dict.get(entry, "published") or "", dict.get(entry, "updated") or ""
    return Entry(
        url=url.strip(),
        published=_utc(published) or _utc(updated),
        precision=_precision(published_raw if published else updated_raw),
        modified=_utc(updated),
        modified_precision=_precision(updated_raw),
        title=entry.get("title", ""),
    )


def _precision(raw: str) -> str:
    return "day" if DAY_ONLY.fullmatch(raw.strip()) else "second"


def _utc(value: time.struct_time | None) -> datetime | None:
    """feedparser's dates are UTC struct_times."""
    return datetime.fromtimestamp(calendar.timegm(value), UTC) if value else None
