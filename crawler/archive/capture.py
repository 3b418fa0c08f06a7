"""Capture: every response a crawl, a re-check or an on-demand fetch receives over HTTP is written
to this process's WARC files as received (headers, body still in its Content-Encoding), off the
reactor thread, and the request's meta says where (`capture`), so the article made of it records
the record it came from (`capture: {file, offset, length}`).

A downloader middleware next to the downloader (so it sees what came over the wire, every retry
included), writing through one thread: the response goes on once its record is in the kernel's
hands, so a crawl killed at any point loses no record it reported. One `Capture` per process: a
crawl makes its own; the API gives its one to every fetch's crawl (SharedCrawler), so that its
fetches fill one file instead of a file each. WARC_CAPTURE turns it off."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from crawler.archive.warcfiles import Captured, Fetch, WarcFiles, recover, writer_name
from crawler.shared import given
from crawler.signals import page_captured
from crawler.store.captures import capture_entry

logger = logging.getLogger(__name__)
DAY = 86400


class Capture:
    """A process's WARC writer and the one thread it writes in."""

    def __init__(self, settings: BaseSettings) -> None:
        folder = Path(settings.get("WARC_DIR"))
        for line in recover(folder):
            logger.warning("WARC: %s", line)
        for line in prune(folder, settings.getint("WARC_KEEP_DAYS")):
            logger.info("WARC: %s", line)
        self.files = WarcFiles(folder, writer_name(), settings.getint("WARC_MAX_BYTES"))
        self.pool = ThreadPool(1, 1, name="warc-capture")
        self.pool.start()

    def write(self, fetch: Fetch) -> Deferred[Captured]:
        from twisted.internet import reactor  # the one Scrapy installed

        return deferToThreadPool(reactor, self.pool, self.files.write, fetch)  # type: ignore[arg-type]

    def close(self) -> None:
        """Wait for the write under way, then finish the file."""
        self.pool.stop()
        self.files.close()


def prune(folder: Path, keep_days: int) -> list[str]:
    """Delete finished WARC files older than `keep_days` (0: keep them all), whole files only."""
    if keep_days <= 0 or not folder.is_dir():
        return []
    oldest = time.time() - keep_days * DAY
    gone = [path for path in folder.glob("*.warc.gz") if path.stat().st_mtime < oldest]
    for path in gone:
        path.unlink(missing_ok=True)
    return [f"{len(gone)} file(s) older than {keep_days} day(s) removed (WARC_KEEP_DAYS)"] if gone else []


class CaptureMiddleware:
    def __init__(self, crawler: Crawler, capture: Capture) -> None:
        self.crawler = crawler
        self.capture = capture

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureMiddleware:
        if not crawler.settings.getbool("WARC_CAPTURE") or os.environ.get("SCRAPY_CHECK"):
            raise NotConfigured
        shared = given(crawler, Capture)
        middleware = cls(crawler, shared or Capture(crawler.settings))
        if shared is None:
            crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
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
        try:
            captured = await maybe_deferred_to_future(self.capture.write(fetch))
        except OSError as exc:  # a full disk: the page goes on, said and counted, never a lost article
            self._stats("warc/failed")
            logger.warning("WARC: %s not captured: %s", response.url, exc)
            return response
        request.meta["capture"] = where = asdict(captured)
        entry = capture_entry(fetch.url, fetch.fetched_at, fetch.status, fetch.content_type, where)
        self.crawler.signals.send_catch_log(signal=page_captured, entry=entry)
        self._stats("warc/records")
        self._stats("warc/bytes", captured.length)
        return response

    def spider_closed(self, spider: Spider) -> None:
        self.capture.close()

    def _stats(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)


def _pairs(headers: Any) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, values in headers.items() for v in values]
