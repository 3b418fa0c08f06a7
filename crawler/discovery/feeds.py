"""RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom feeds, read with feedparser: it knows every dialect's
link and date elements (`<link href>` in Atom, `dc:date` in RSS 1.0, RFC 822 and W3C dates), which
a regex over `<link>` does not. Only bytes are handed to it, never a string it could take for a URL
to fetch."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from crawler.discovery.entries import Entry, Listing


def read_feed(body: bytes) -> Listing:
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    return Listing("feed", entries=[e for entry in parsed.entries if (e := _entry(entry))])


def _entry(entry: Any) -> Entry | None:
    links = [link.get("href") for link in entry.get("links", ()) if link.get("rel", "alternate") == "alternate"]
    url = entry.get("link") or next((href for href in links if href), None)
    if not url:
        return None
    return Entry(
        url=url.strip(),
        published=_utc(entry.get("published_parsed")) or _utc(entry.get("updated_parsed")),
        modified=_utc(entry.get("updated_parsed")),
        title=entry.get("title", ""),
    )


def _utc(value: time.struct_time | None) -> datetime | None:
    """feedparser's dates are UTC struct_times."""
    return datetime.fromtimestamp(calendar.timegm(value), UTC) if value else None
