"""Retries that back off: Scrapy's RetryMiddleware decides what to retry (5xx, timeouts, lost
connections); this waits before each retry, doubling from RETRY_BACKOFF_BASE up to
RETRY_BACKOFF_MAX seconds, so a struggling site is given room instead of being hit again at once."""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.base = crawler.settings.getfloat("RETRY_BACKOFF_BASE")
        self.cap = crawler.settings.getfloat("RETRY_BACKOFF_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        return cls(crawler)

    def delay(self, retry: Request) -> float:
        attempt = max(int(retry.meta.get("retry_times", 1)), 1)
        return min(self.base * 2 ** (attempt - 1), self.cap)

    async def _wait(self, result: Any) -> Any:
        if isinstance(result, Request) and self.base > 0:
            from twisted.internet import reactor  # the one Scrapy installed, not a default one

            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("retry/backoff_waits")
            await maybe_deferred_to_future(deferLater(reactor, self.delay(result)))
        return result

    async def process_response(  # type: ignore[override]  # Scrapy awaits a coroutine here
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Any:
        return await self._wait(super().process_response(request, response))

    async def process_exception(  # type: ignore[override]  # Scrapy awaits a coroutine here
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Any:
        return await self._wait(super().process_exception(request, exception))
