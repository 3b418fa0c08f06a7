"""The discovery of a source's spider: its start URLs (`-a start_urls=`, SOURCE_START_URLS, the
spec's own), then any discovery document told by what
it is (crawler/discovery/): a listing page (its pagination followed within `max_depth`), a feed, a
sitemap or news sitemap, a sitemap index or robots.txt, a JSON/JSONP list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import scrapy
from scrapy.http import HtmlResponse, Response, TextResponse

from crawler.discovery.documents import read_document, recognise
from crawler.discovery.entries import Entry, Listing
from crawler.discovery.jsonlists import JsonFields
from crawler.discovery.sitemaps import unpacked
from crawler.extract.charset import looks_binary, page_text
from crawler.failures import NotJSON, NotListing, Problem, Reason, TooLarge
from crawler.spiders.base import SpiderBase
from crawler.urls import check_url

DEFAULT_MAX_DEPTH = 2  # listing pages followed through pagination, counted from a start URL
ABSOLUTE = ("http://", "https://")
MAX_HOPS = 3  # robots.txt -> sitemap index -> sitemap is two; more is a loop or a trap


def listing_of(response: Response, max_size: int, fields: JsonFields, tz: str) -> Listing:
    """What a discovery response lists, told by what it is; an HTML page's links, in page order, as
    a `listing`. Raises NotListing, NotJSON, TooLarge."""
    body = unpacked(response.body, max_size)
    kind = recognise(body)
    if kind != "html":
        text = (
            page_text(body, (response.headers.get("Content-Type") or b"").decode("latin-1"))
            if kind == "json"
            else ""
        )
        return read_document(kind, body, text, response.url, fields, tz)
    if looks_binary(body):
        raise NotListing("not a listing page, feed, sitemap, JSON list or robots.txt (binary content)")
    if not isinstance(response, TextResponse) or body is not response.body:
        response = HtmlResponse(response.url, body=body)
    hrefs = response.css("a::attr(href)").getall()
    return Listing(
        "listing",
        entries=[Entry(u) for u in dict.fromkeys(urljoin(response.url, h.strip()) for h in hrefs)],
    )


class Discovery(SpiderBase):
    max_depth: int
    start_override: list[str] | None

    def discovery_requests(self) -> list[scrapy.Request]:
        """The listing pages a discovery crawl starts from (the due re-checks are added to a
        round's start by crawler/rechecks.py); in a distributed crawl, the worker that takes the
        round's seed entry calls this."""
        return [
            scrapy.Request(url, callback=self.parse_listing, errback=self.on_error, meta={"listing_depth": 0})
            for url in self.discovery_urls()
        ]

    def discovery_urls(self) -> list[str]:
        """`-a start_urls=...`, else SOURCE_START_URLS[name], else the spec's own."""
        configured = self.options.start_urls.get(self.name)
        return self.start_override or [check_url(u) for u in configured or self.spec.start_urls]

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        """Any discovery document, told by what it is: a listing page (its pagination followed
        within `max_depth`), a feed, a sitemap or news sitemap, a sitemap index or robots.txt (the
        sitemaps they name read next), or a JSON/JSONP list. Article URLs go to `parse` unless
        their dates put them before DISCOVERY_MAX_AGE_HOURS."""
        try:
            listing = self.listing(response)
        except TooLarge as exc:
            self.fail(response.url, Problem(Reason.TOO_LARGE, str(exc)))
            return
        except NotJSON as exc:
            self.fail(response.url, Problem(Reason.NOT_JSON, str(exc)))
            return
        except NotListing as exc:
            self.fail(response.url, Problem(Reason.NOT_LISTING, str(exc)))
            return
        depth, hops = response.meta.get("listing_depth", 0), response.meta.get("discovery_hops", 0)
        cutoff = self.cutoff()
        stats = self.crawler.stats
        assert stats is not None
        for child in listing.follow if hops < MAX_HOPS else ():
            if cutoff and child.older_than(cutoff):
                stats.inc_value(f"discovery/{listing.kind}/too_old")
                continue
            yield response.follow(
                child.url,
                callback=self.parse_listing,
                errback=self.on_error,
                meta={"listing_depth": depth, "discovery_hops": hops + 1},
            )
        for entry in listing.entries:
            candidates = (
                u if u.startswith(ABSOLUTE) else urljoin(response.url, u)
                for u in (entry.url, *entry.alternates)
            )
            url = next((u for u in candidates if self.spec.is_article(u)), None)
            if url is None:
                continue
            stats.inc_value(f"discovery/{listing.kind}/found")
            if cutoff and entry.older_than(cutoff):
                stats.inc_value(f"discovery/{listing.kind}/too_old")
                continue
            modified = entry.modified.timestamp() if entry.modified else None
            yield scrapy.Request(
                url,
                callback=self.parse,
                errback=self.on_error,
                meta={"discovered_by": listing.kind, "listed_modified": modified},
            )
        if listing.kind == "listing" and depth < self.max_depth and isinstance(response, TextResponse):
            for selector in self.spec.pagination:
                for href in response.css(selector).xpath("@href").getall():
                    yield response.follow(
                        href,
                        callback=self.parse_listing,
                        errback=self.on_error,
                        meta={"listing_depth": depth + 1},
                    )

    def listing(self, response: Response) -> Listing:
        """What a discovery response lists (`listing_of`)."""
        max_size = response.meta.get("download_maxsize", self.options.download_maxsize)
        return listing_of(response, max_size, self.spec.json_fields, self.spec.timezone)

    def cutoff(self) -> datetime | None:
        """Entries dated before this are not requested; None when DISCOVERY_MAX_AGE_HOURS is 0."""
        hours = self.options.max_age_hours
        return datetime.now(UTC) - timedelta(hours=hours) if hours > 0 else None
