"""Sitemaps, sitemap indexes and Google News sitemaps, read with Scrapy's own `Sitemap` (the
streaming, entity-safe parser `SitemapSpider` uses), gzipped or not.

Scrapy's parser keeps each `<url>`'s direct children only, so a news sitemap's
`<news:news><news:publication_date>` would arrive as an empty `news` value: `NewsSitemap` lifts the
children of `news:news` into the entry first (`news_publication_date`, `news_title`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lxml import etree
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawler.discovery.entries import Entry, Listing
from crawler.extract.dates import FoundTime, find_datetime, zone
from crawler.failures import TooLarge

GZIP_MAGIC = b"\x1f\x8b\x08"
CLOCK = re.compile(r"[\d-]{8,10}[T ](?P<clock>\d.*)")  # the time of day after an ISO date
SECONDS = re.compile(r"\d{2}:?\d{2}:?\d{2}")


class NewsSitemap(Sitemap):
    """Scrapy's Sitemap, keeping what a `<news:news>` block says of its `<url>`."""

    def _process_sitemap_element(self, elem: etree._Element) -> dict[str, Any] | None:
        news = {
            f"news_{self._get_tag_name(child)}": (child.text or "").strip()
            for block in elem
            if self._get_tag_name(block) == "news"
            for child in block.iter()
            if child is not block and (child.text or "").strip()
        }
        entry = super()._process_sitemap_element(elem)
        return entry | news if entry is not None else None


def unpacked(body: bytes, max_size: int) -> bytes:
    """The body, gunzipped when it is a gzip file (`sitemap-1.xml.gz` served as such), at most
    `max_size` bytes once inflated (0: no limit), as Scrapy's SitemapSpider reads it."""
    if not body.startswith(GZIP_MAGIC):
        return body
    try:
        return gunzip(body, max_size=max_size)
    except ValueError as exc:  # Scrapy's size check: past DOWNLOAD_MAXSIZE once inflated
        raise TooLarge(
            f"gzipped document past the download size limit once inflated ({max_size} bytes)"
        ) from exc


def read_sitemap(body: bytes, tz: str) -> Listing:
    """A urlset's pages (kind `news_sitemap` when it has news entries) or an index's sitemaps."""
    sitemap = NewsSitemap(body)
    entries = [_entry(d, tz) for d in sitemap if d.get("loc")]
    if sitemap.type == "sitemapindex":
        return Listing("sitemap_index", follow=entries)
    news = any(e.published is not None for e in entries)
    return Listing("news_sitemap" if news else "sitemap", entries=entries)


def read_robots(body: bytes, url: str) -> Listing:
    """robots.txt: its `Sitemap:` lines, to be read next."""
    return Listing("robots", follow=[Entry(u) for u in sitemap_urls_from_robots(body, base_url=url)])


def w3c_datetime(text: str, tz: str) -> FoundTime | None:
    """A sitemap's W3C date-time (`2026-12-01`, `2026-12-01T08:15+08:00`, `...T08:15:00Z`), read
    with `datetime.fromisoformat` (a sitemap of 50,000 entries has 100,000 of them), else as any
    other date text; a time without a zone is in the source's."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return find_datetime(text, tz)
    clock = CLOCK.match(text)
    precision = "day" if not clock else "second" if SECONDS.match(clock.group("clock")) else "minute"
    return FoundTime(value if value.tzinfo else value.replace(tzinfo=zone(tz)), text, precision)


def _entry(d: dict[str, Any], tz: str) -> Entry:
    published = w3c_datetime(d.get("news_publication_date", ""), tz)
    modified = w3c_datetime(d.get("lastmod", ""), tz)
    return Entry(
        url=d["loc"],
        published=published.value if published else None,
        precision=published.precision if published else "second",
        modified=modified.value if modified else None,
        modified_precision=modified.precision if modified else "second",
        title=d.get("news_title", ""),
        alternates=tuple(d.get("alternate", ())),
    )
