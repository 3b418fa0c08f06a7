"""Thin Scrapy adapters over clean/ and store/: they read settings once, count in stats, and state
a reason for every drop."""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IReactorFromThreads
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from crawler.clean import clean_article
from crawler.dedup.fingerprint import fingerprint
from crawler.dedup.index import as_document
from crawler.failures import Problem, Reason
from crawler.ingest import Ingested, Store, StoreCrawler
from crawler.signals import article_checked, articles_stored
from crawler.sources import OUTLETS, spec_for
from crawler.stages import BodyFloorPipeline, CountingPipeline
from crawler.store.mongo import StoreUnavailable, WriteResult
from crawler.store.schema import to_document
from crawler.store.versions import Check

logger = logging.getLogger(__name__)

STORE_UNAVAILABLE = "store_unavailable"  # the close reason of a run that outlasted MONGO_OUTAGE_LIMIT


class CleanPipeline(CountingPipeline):
    """Turns the raw body container into clean text, lifting origin and original title."""

    def process_item(self, item: Any) -> Any:
        audit = clean_article(item, spec_for(ItemAdapter(item)["source"]).noise)
        for rule, entry in audit.rules.items():
            self.stats.inc_value(f"clean/removed/{rule}", entry["blocks"])
        return item


class ValidatePipeline(BodyFloorPipeline):
    """Drops what is not an article: no title, or too little text after cleaning."""

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        if len(adapter.get("body") or "") < self.min_body_chars:
            self._drop(Problem(Reason.NO_ARTICLE_TEXT, f"no article text on {adapter['url']}"))
        if not adapter.get("title"):
            self._drop(Problem(Reason.NO_TITLE, f"no title on {adapter['url']}"))
        self.stats.inc_value("validate/ok")
        return item

    def _drop(self, problem: Problem) -> None:
        self.stats.inc_value(f"validate/dropped/{problem.reason}")
        raise NotAnArticle(problem)


class NotAnArticle(DropItem):
    """A page dropped for what it holds; carries the Problem an on-demand fetch reports."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message, log_level="INFO")
        self.problem = problem


class DedupPipeline(CountingPipeline):
    """Fingerprints the clean body; grouping happens once the article is stored (MongoPipeline)."""

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        adapter["dedup"] = as_document(fingerprint(adapter["body"]))
        self.stats.inc_value("dedup/fingerprinted")
        return item


class MongoPipeline:
    """Batched, versioned writes; what the store cannot take goes to the spool, never lost.

    Batches are written in a thread, one after another, so that downloading and parsing go on
    while the store works; at most MAX_BATCHES_IN_FLIGHT wait, then new items wait for the store."""

    MAX_BATCHES_IN_FLIGHT = 2
    RETRY_WAIT = 1.0  # seconds between attempts while the store is down

    def __init__(self, crawler: Crawler, store: Store | None = None) -> None:
        settings = crawler.settings
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.owns_store = store is None
        self.store = store or Store(settings, OUTLETS)
        self.batch_size = settings.getint("MONGO_BATCH_SIZE")
        self.flush_interval = settings.getfloat("MONGO_FLUSH_INTERVAL")
        self.buffer: list[dict[str, Any]] = []
        self.buffered_items: list[Any] = []
        self.last_flush = time.monotonic()
        self.spooled = 0
        self.writing: Deferred[None] = succeed(None)  # the chain of batch writes, in order
        self.outage_limit = settings.getfloat("MONGO_OUTAGE_LIMIT")
        self.outage_since: float | None = None  # monotonic time the store was first found down
        self.gave_up = False
        self.in_flight = 0
        self.timer = LoopingCall(self._flush_if_due)
        self.checks: list[Check] = []  # re-checks that stored no text, written with the next batch
        crawler.signals.connect(self.checked, signal=article_checked)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MongoPipeline:
        return cls(crawler, crawler.store if isinstance(crawler, StoreCrawler) else None)

    async def open_spider(self) -> None:
        """Prepare the store (in a thread: a store that is down never holds up the reactor),
        replaying what earlier runs spooled."""
        try:
            replayed = await maybe_deferred_to_future(deferToThread(self.store.prepare))
        except StoreUnavailable as exc:
            logger.warning(
                "store %s unreachable (%s): articles will be spooled to %s",
                self.store.uri,
                exc,
                self.store.spool.path,
            )
        else:
            self.stats.set_value("store/replayed", replayed.written)
            self.stats.set_value("store/quarantined", replayed.quarantined)
        self.timer.start(self.flush_interval, now=False)

    def _flush_if_due(self) -> None:
        if (self.buffer or self.checks) and time.monotonic() - self.last_flush >= self.flush_interval:
            self.flush()

    def checked(self, check: Check) -> None:
        self.checks.append(check)
        if len(self.checks) >= self.batch_size:
            self.flush()

    async def process_item(self, item: Any) -> Any:
        self.buffer.append(to_document(item))
        self.buffered_items.append(item)
        if len(self.buffer) >= self.batch_size or time.monotonic() - self.last_flush >= self.flush_interval:
            self.flush()
        if self.in_flight > self.MAX_BATCHES_IN_FLIGHT:
            await maybe_deferred_to_future(self._after_writes())  # back-pressure: the store is behind
        return item

    def _after_writes(self) -> Deferred[None]:
        """A Deferred that fires once the batches queued so far are written."""
        waiter: Deferred[None] = Deferred()

        def release(result: Any) -> Any:
            waiter.callback(None)
            return result  # the chain goes on as it was, failure or not

        self.writing.addBoth(release)
        return waiter

    def flush(self) -> None:
        docs, self.buffer = self.buffer, []
        items, self.buffered_items = self.buffered_items, []
        checks, self.checks = self.checks, []
        self.last_flush = time.monotonic()
        if not docs and not checks:
            return
        self.in_flight += 1

        def write(_: object) -> Deferred[None]:
            return deferToThread(self._write_batch, docs, checks)

        def done(result: object) -> None:
            self.in_flight -= 1
            if isinstance(result, Failure):
                logger.error("batch write failed unexpectedly: %s", result.getTraceback())
            else:
                self.crawler.signals.send_catch_log(signal=articles_stored, items=items)

        self.writing = self.writing.addCallback(write).addBoth(done)

    def _write_batch(self, docs: list[dict[str, Any]], checks: list[Check]) -> None:
        """Write a batch, waiting out a store outage (the crawl waits too, held back by the
        batches in flight) up to MONGO_OUTAGE_LIMIT; past it, spool and end the run. Re-checks
        are written after the articles; past the limit they are let go (crawler/rechecks.py)."""
        waited = False
        while True:
            try:
                done = self.store.write(docs) if docs else Ingested(WriteResult())
                recorded = self.store.check(checks) if checks else 0
                break
            except StoreUnavailable as exc:
                if self._outage_over_limit():
                    if docs:
                        self._spool(docs, f"store unavailable: {exc}")
                    if checks:
                        logger.warning(
                            "%d re-check(s) not recorded (store unavailable): those articles stay due",
                            len(checks),
                        )
                    return
                waited = True
                time.sleep(self.RETRY_WAIT)
        self.stats.inc_value("recheck/recorded", recorded)
        self.outage_since = None
        if waited:
            self.stats.inc_value("store/waited", len(docs))
        self._count(done)
        for doc, reason in done.written.refused:
            logger.warning("%s: %s", doc.get("url"), reason)
            self._spool([doc], reason)

    def _outage_over_limit(self) -> bool:
        """True once the store has been down for MONGO_OUTAGE_LIMIT; the first time, ends the run.
        A limit of 0 never waits and never ends the run: every batch goes to the spool at once."""
        if self.outage_limit <= 0:
            return True
        now = time.monotonic()
        self.outage_since = self.outage_since or now
        if now - self.outage_since < self.outage_limit:
            return False
        if not self.gave_up:
            self.gave_up = True
            logger.error(
                "store down for %.0f s (MONGO_OUTAGE_LIMIT): ending the run; articles go to %s",
                now - self.outage_since,
                self.store.spool.path,
            )
            from twisted.internet import reactor  # the running one: imported here, never installed here

            cast(IReactorFromThreads, reactor).callFromThread(self._end_run)
        return True

    def _end_run(self) -> None:
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=STORE_UNAVAILABLE))

    def _count(self, done: Ingested) -> None:
        for key in ("new", "updated", "unchanged", "versions"):
            self.stats.inc_value(f"store/{key}", getattr(done.written, key))
        self.stats.inc_value("dedup/duplicates", len(done.copies))
        self.stats.inc_value("dedup/originals", done.originals)
        self.stats.inc_value("dedup/errors", done.group_errors)

    def _spool(self, docs: list[dict[str, Any]], reason: str) -> None:
        self.store.spool.append(docs, reason)
        self.spooled += len(docs)
        self.stats.inc_value("store/spooled", len(docs))

    async def close_spider(self) -> None:
        if self.timer.running:
            self.timer.stop()
        self.flush()
        await maybe_deferred_to_future(self._after_writes())
        self._closed()

    def _closed(self) -> None:
        if self.owns_store:
            self.store.close()
        if self.spooled:
            logger.error(
                "%d article(s) could not be stored and were spooled to %s; they are written on the next "
                "run, or now with `crawler db replay`",
                self.spooled,
                self.store.spool.path,
            )
