"""Incremental discovery: an article page already in the store is not fetched again, unless it is
recent enough that an edit may still come. The check reads the store, so it holds across restarts
and across machines, and a crawl interrupted half way resumes without refetching what it stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo.errors import PyMongoError
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.store.client import LazyStore
from crawler.urls import BadURL, normalise_url


class AlreadyStored(IgnoreRequest):
    """An article page the store has, older than the re-check window."""


class IncrementalMiddleware:
    """Downloader middleware for discovery crawls; on-demand fetches (dont_filter) always fetch."""

    def __init__(self, crawler: Crawler, window: timedelta) -> None:
        self.crawler = crawler
        self.window = window
        self.store = LazyStore(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        if not crawler.settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured
        middleware = cls(crawler, timedelta(hours=crawler.settings.getfloat("INCREMENTAL_RECHECK_HOURS")))
        crawler.signals.connect(middleware.store.close, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        if request.dont_filter or spider is None or request.callback != spider.parse:
            return
        try:
            url = normalise_url(request.url)
        except BadURL:
            return
        canonical = spider.spec.canonical(url) if spider.spec.canonical else url
        try:
            stored = self.store.collection().find_one(
                {"url": canonical}, {"published_at": 1, "first_seen": 1}
            )
        except PyMongoError:
            return  # the store cannot say: fetch, the pipeline will spool
        if stored is None:
            return
        reference = stored.get("published_at") or stored.get("first_seen")
        if reference and reference.replace(tzinfo=reference.tzinfo or UTC) > datetime.now(UTC) - self.window:
            self.crawler.stats.inc_value("incremental/rechecked")
            return
        self.crawler.stats.inc_value("incremental/skipped")
        raise AlreadyStored(f"already stored: {canonical}")
