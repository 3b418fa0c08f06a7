"""Re-checks on a schedule: each round of a source fetches again its stored articles that are due
(`recheck_at`, set at every write from RECHECK_SCHEDULE), with the validators their last response
gave, so an unchanged page costs a 304 and no parsing. A round's start adds them (RecheckMiddleware,
after the spider's own discovery requests, in a single crawl; the worker that takes a distributed
round's seed, in a round), and the requests go wherever the round's other requests go.

What a re-check finds that stores no text (a 304, or the article gone) is a `Check`, sent as the
`article_checked` signal; MongoPipeline writes it with the next batch. A check the store cannot
take is not spooled: the article's `recheck_at` did not move, so the next round asks again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler

from crawler.failures import StoreUnavailable
from crawler.store.extension import store_of
from crawler.store.repositories import Articles

logger = logging.getLogger(__name__)


def due(crawler: Crawler, source: str, now: datetime | None = None) -> list[dict[str, Any]]:
    """The source's stored articles due for a re-check, the longest due first, at most
    RECHECK_MAX_PER_RUN; none while the store is unreachable (they stay due)."""
    settings = crawler.settings
    limit = settings.getint("RECHECK_MAX_PER_RUN")
    if limit <= 0 or not str(settings.get("RECHECK_SCHEDULE") or "").strip():
        return []
    try:
        return Articles(store_of(crawler)).due(source, now or datetime.now(UTC), limit)
    except StoreUnavailable as exc:
        logger.warning("%s: re-checks skipped this round, the store is unreachable (%s)", source, exc)
        return []


def conditional_headers(doc: dict[str, Any]) -> dict[str, str]:
    """The validators of an article's last response, sent back so an unchanged page answers 304;
    none for an article missing a later page: its first page is read again, so its pager is."""
    headers: dict[str, str] = {}
    if doc.get("pages_missing"):
        return headers
    if doc.get("etag"):
        headers["If-None-Match"] = doc["etag"]
    if doc.get("last_modified"):
        headers["If-Modified-Since"] = doc["last_modified"]
    return headers


def recheck_requests(docs: list[dict[str, Any]], callback: Any, errback: Any) -> list[Request]:
    return [
        Request(
            doc["url"],
            callback=callback,
            errback=errback,
            dont_filter=True,
            headers=conditional_headers(doc),
            meta={"recheck": True, "requested_url": doc["url"]},
        )
        for doc in docs
    ]


def round_rechecks(crawler: Crawler, spider: Spider) -> list[Request]:
    """The re-check requests of the source's due articles, for a round's start, counted."""
    rechecks = recheck_requests(due(crawler, spider.name), spider.parse, getattr(spider, "on_error", None))
    assert crawler.stats is not None
    crawler.stats.inc_value("recheck/due", len(rechecks))
    return rechecks


class RecheckMiddleware:
    """Spider middleware: a discovery crawl's start is the spider's own requests, then the source's
    stored articles due for a re-check (a fetch of given URLs has none). A distributed round holds
    both back (RoundSeedMiddleware, further from the spider) and asks for them when its seed is taken."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RecheckMiddleware:
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for request in start:
            yield request
        spider = self.crawler.spider
        source = getattr(spider, "spec", None) is not None  # a source's spider, not one of SPIDER_MODULES
        if spider is not None and source and not getattr(spider, "urls", None):
            for request in round_rechecks(self.crawler, spider):
                yield request
