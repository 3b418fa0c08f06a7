"""The store's index of what a crawl captured (crawler/store/captures.py), written in batches
from a thread as the capture middleware reports each record (`page_captured`).

The index is derived data: a batch the store cannot take is counted (`warc/unindexed`) and said
once, in one line naming `crawler db index-warc`, which adds what is missing from the files. The
records themselves are in WARC_DIR whatever the store does."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred, succeed
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from crawler.archive.warcfiles import fetches
from crawler.failures import StoreUnavailable
from crawler.signals import page_captured
from crawler.store.captures import Captures, capture_entry
from crawler.store.extension import store_of

logger = logging.getLogger(__name__)


class CaptureIndex:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler, self.stats = crawler, crawler.stats
        self.batch_size = crawler.settings.getint("MONGO_BATCH_SIZE")
        self.pending: list[dict[str, Any]] = []
        self.writing: Deferred[None] = succeed(None)  # the chain of batch writes, in order

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CaptureIndex:
        if not crawler.settings.getbool("WARC_CAPTURE") or os.environ.get("SCRAPY_CHECK"):
            raise NotConfigured
        index = cls(crawler)
        crawler.signals.connect(index.captured, signal=page_captured)
        crawler.signals.connect(index.spider_closed, signal=signals.spider_closed)
        return index

    @cached_property
    def captures(self) -> Captures:
        """The crawl's store, asked for once every extension is built."""
        return Captures(store_of(self.crawler))

    def captured(self, entry: dict[str, Any]) -> None:
        self.pending.append(entry)
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        entries, self.pending = self.pending, []
        if not entries:
            return

        def write(_: object) -> Deferred[int]:
            return deferToThread(self.captures.add, entries)

        def done(result: int | Failure) -> None:
            if isinstance(result, Failure):
                self._unindexed(len(entries), result)
            else:
                self.stats.inc_value("warc/indexed", result)

        self.writing = self.writing.addCallback(write).addBoth(done)

    def _unindexed(self, count: int, failure: Failure) -> None:
        if not failure.check(StoreUnavailable):
            logger.error("WARC index: a batch failed unexpectedly: %s", failure.getTraceback())
        elif not self.stats.get_value("warc/unindexed"):  # said once a run: the count says the rest
            logger.warning("WARC index: the store did not take a batch (%s)", failure.getErrorMessage())
        self.stats.inc_value("warc/unindexed", count)

    async def spider_closed(self) -> None:
        self.flush()
        await maybe_deferred_to_future(self.writing)
        if unindexed := self.stats.get_value("warc/unindexed"):
            logger.warning(
                "WARC index: %d record(s) are kept in WARC_DIR but not in the store's index; "
                "`crawler db index-warc` adds them from the files",
                unindexed,
            )


def reindex(folder: Path, captures: Captures, batch: int = 500) -> Reindexed:
    """Index every response record of the finished WARC files in `folder` (`crawler db index-warc`):
    what the index holds already stays as it is. A file that cannot be read to its end keeps what
    came before the fault indexed, and is named in `unreadable`."""
    done = Reindexed()
    for path in sorted(folder.glob("*.warc.gz")) if folder.is_dir() else []:
        done.files += 1
        entries: list[dict[str, Any]] = []
        try:
            for captured, fetch in fetches(path):
                where = {"file": captured.file, "offset": captured.offset, "length": captured.length}
                entries.append(
                    capture_entry(fetch.url, fetch.fetched_at, fetch.status, fetch.content_type, where)
                )
                if len(entries) >= batch:
                    done.add(captures.add(entries), len(entries))
                    entries = []
        except Exception as exc:  # noqa: BLE001 - warcio raises many kinds on a damaged file
            done.unreadable.append(
                f"{path.name}: unreadable after {done.records + len(entries)} record(s) ({exc})"
            )
        done.add(captures.add(entries), len(entries))
    done.writing = len(list(folder.glob("*.warc.gz.open"))) if folder.is_dir() else 0
    return done


@dataclass
class Reindexed:
    files: int = 0
    records: int = 0
    new: int = 0
    writing: int = 0  # files still being written (`.open`): their writer indexes them
    unreadable: list[str] = field(default_factory=list)

    def add(self, new: int, records: int) -> None:
        self.new += new
        self.records += records
