"""Conditional requests for listing pages and feeds: their ETag / Last-Modified are remembered per
URL in the store, sent back next time, and a 304 answer ends there, with no parsing.

Validators are written only when a run finishes: a run killed half way must see its listings
again, or the articles it had not reached yet would never be found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.failures import NotModified, StoreUnavailable
from crawler.store.extension import store_of
from crawler.store.repositories import Validators


class ConditionalListingMiddleware:
    """Downloader middleware for requests to `parse_listing` (listing pages, feeds, sitemaps)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.validators = Validators(store_of(crawler))
        self.seen: dict[str, dict[str, Any]] = {}  # URL -> validators of this run, written at its end

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalListingMiddleware:
        if not crawler.settings.get("MONGO_VALIDATORS_COLLECTION"):
            raise NotConfigured
        middleware = cls(crawler)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def close(self, spider: Spider, reason: str) -> None:
        if reason == "finished":
            try:
                self.validators.remember(self.seen)
            except StoreUnavailable:
                pass  # the next run fetches those listings whole: nothing lost

    @staticmethod
    def _is_listing(request: Request, spider: Spider | None) -> bool:
        return spider is not None and request.callback == getattr(spider, "parse_listing", None)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if not self._is_listing(request, spider or self.crawler.spider):
            return
        try:
            known = self.validators.known(request.url)
        except StoreUnavailable:
            return
        if known and known.get("etag"):
            request.headers.setdefault(b"If-None-Match", known["etag"].encode("latin-1"))
        if known and known.get("last_modified"):
            request.headers.setdefault(b"If-Modified-Since", known["last_modified"].encode("latin-1"))

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if not self._is_listing(request, spider or self.crawler.spider):
            return response
        assert self.crawler.stats is not None
        if response.status == 304:
            self.crawler.stats.inc_value("conditional/not_modified")
            raise NotModified(f"not modified since the last run: {request.url}")
        etag, modified = response.headers.get(b"ETag"), response.headers.get(b"Last-Modified")
        if response.status == 200 and (etag or modified):
            self.seen[request.url] = {
                "etag": etag.decode("latin-1") if etag else None,
                "last_modified": modified.decode("latin-1") if modified else None,
                "seen_at": datetime.now(UTC),
            }
        return response
