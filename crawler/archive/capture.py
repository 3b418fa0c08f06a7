"""Capture: every response a crawl, a re-check or an on-demand fetch receives over HTTP is written
to this process's WARC files as received (headers, body still in its Content-Encoding), off the
reactor thread, and the request's meta says where (`capture`), so the article made of it records
the record it came from (`capture: {file, offset, length}`).

A downloader middleware next to the downloader (so it sees what came over the wire, every retry
included), writing through one thread: the response goes on once its record is in the kernel's
hands, so a crawl killed at any point loses no record it reported. WARC_CAPTURE turns it off."""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from crawler.archive.warcfiles import Captured, Fetch, WarcFiles, recover, writer_name

logger = logging.getLogger(__name__)


class CaptureMiddleware:
    def __init__(self, crawler: Crawler, files: WarcFiles) -> None:
        self.crawler = crawler
        self.files = files
        self.pool = ThreadPool(1, 1, name="warc-capture")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        settings = crawler.settings
        if not settings.getbool("WARC_CAPTURE") or os.environ.get("SCRAPY_CHECK"):
            raise NotConfigured
        folder = Path(settings.get("WARC_DIR"))
        for line in recover(folder):
            logger.warning("WARC: %s", line)
        middleware = cls(crawler, WarcFiles(folder, writer_name(), settings.getint("WARC_MAX_BYTES")))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        middleware.pool.start()
        return middleware

    async def process_response(  # type: ignore[override]  # Scrapy awaits a coroutine here
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if not response.url.startswith(("http://", "https://")):
            return response
        fetch = Fetch(
            url=response.url,
            fetched_at=datetime.now(UTC),
            status=response.status,
            headers=_pairs(response.headers),
            body=response.body,
            request_headers=tuple(_pairs(request.headers)),
        )
        from twisted.internet import reactor  # the one Scrapy installed

        try:
            captured: Captured = await maybe_deferred_to_future(
                deferToThreadPool(reactor, self.pool, self.files.write, fetch)  # type: ignore[arg-type]
            )
        except OSError as exc:  # a full disk: the page goes on, said and counted, never a lost article
            self._stats("warc/failed")
            logger.warning("WARC: %s not captured: %s", response.url, exc)
            return response
        request.meta["capture"] = asdict(captured)
        self._stats("warc/records")
        self._stats("warc/bytes", captured.length)
        return response

    def spider_closed(self, spider: Spider) -> None:
        self.pool.stop()  # waits for the write under way
        self.files.close()

    def _stats(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)


def _pairs(headers: Any) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]
