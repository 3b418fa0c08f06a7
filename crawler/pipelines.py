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
from crawler.signals import article_checked, articles_spooled, articles_stored, articles_unsaved
from crawler.sources import OUTLETS, spec_for
from crawler.stages import BodyFloorPipeline, CountingPipeline
from crawler.store.mongo import StoreUnavailable, WriteResult
from crawler.store.schema import to_document
from crawler.store.versions import Check

logger = logging.getLogger(__name__)

STORE_UNAVAILABLE = "store_unavailable"  # the close reason of a run that outlasted MONGO_OUTAGE_LIMIT
DISK_FULL = "disk_full"  # the close reason of a run whose store's disk filled


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
    """Batched, versioned writes; what the store cannot take goes to the spool, and what the spool
    cannot take either is held and said: nothing is counted where it is not.

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
        self.writing: Deferred[None] = succeed(None)  # the chain of batch writes, in order
        self.outage_limit = settings.getfloat("MONGO_OUTAGE_LIMIT")
        self.outage_since: float | None = None  # monotonic time the store was first found down
        self.ended: str | None = None  # why this pipeline ended the run: store_unavailable, disk_full
        self.in_flight = 0
        self.timer = LoopingCall(self._flush_if_due)
        self.checks: list[Check] = []  # re-checks that stored no text, written with the next batch
        self.held: list[tuple[dict[str, Any], str]] = []  # neither stored nor spooled (yet), with why
        self.last_batch: list[dict[str, Any]] = []  # the batch acknowledged last (_keep_last_batch)
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
                "%s unreachable (%s): articles go to %s", self.store.uri, exc, self.store.spool.path
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

        def write(_: object) -> Deferred[list[tuple[str, str]]]:
            return deferToThread(self._write_batch, docs, checks)

        def done(result: list[tuple[str, str]] | Failure) -> None:
            self.in_flight -= 1
            if isinstance(result, Failure):
                logger.error("batch write failed unexpectedly: %s", result.getTraceback())
                self._hold(docs, f"the write failed: {result.getErrorMessage()}")
                return
            held = {doc["url"] for doc, _ in self.held}  # not safe yet: a frontier lease stays open
            self.crawler.signals.send_catch_log(
                signal=articles_stored, items=[i for i in items if ItemAdapter(i)["url"] not in held]
            )
            self._said_spooled(result)

        self.writing = self.writing.addCallback(write).addBoth(done)

    def _write_batch(self, docs: list[dict[str, Any]], checks: list[Check]) -> list[tuple[str, str]]:
        """Write a batch, waiting out a store outage (the crawl waits too, held back by the
        batches in flight) up to MONGO_OUTAGE_LIMIT; past it, or on a full disk, spool and end the
        run. Re-checks are written after the articles; past the limit they are let go
        (crawler/rechecks.py). Returns the URLs spooled, with why; what the spool could not take
        is held."""
        waited, reason = False, None
        while reason is None:
            if self.ended == DISK_FULL:  # a full disk does not empty itself: no write is tried
                reason = "the store's disk is full"
                break
            try:
                done = self.store.write(docs) if docs else Ingested(WriteResult())
                recorded = self.store.check(checks) if checks else 0
                break
            except StoreUnavailable as exc:
                if full := self.store.full_disk(exc):
                    reason = f"the store's disk is full: {full}"
                    self._end_run(DISK_FULL, reason)
                    self._keep_last_batch()
                elif self._outage_over_limit():
                    reason = f"store unavailable: {exc}"
                    self._end_run(STORE_UNAVAILABLE, f"{self.store.uri} down: {exc}")
                else:
                    waited = True
                    time.sleep(self.RETRY_WAIT)
        if reason is not None:
            if checks:
                logger.warning(
                    "%d re-check(s) not recorded (store unavailable): those articles stay due", len(checks)
                )
            return self._spool([(doc, reason) for doc in docs])
        self.stats.inc_value("recheck/recorded", recorded)
        self.outage_since = None
        self.last_batch = docs
        if waited:
            self.stats.inc_value("store/waited", len(docs))
        self._count(done)
        for doc, why in done.written.refused:
            logger.warning("%s: %s", doc.get("url"), why)
        return self._spool(done.written.refused)

    def _outage_over_limit(self) -> bool:
        """True once the store has been down for MONGO_OUTAGE_LIMIT. A limit of 0 never waits:
        every batch goes to the spool at once, and the run goes on."""
        if self.outage_limit <= 0:
            return True
        now = time.monotonic()
        self.outage_since = self.outage_since or now
        return now - self.outage_since >= self.outage_limit

    def _end_run(self, reason: str, why: str) -> None:
        """Ends the run, once, saying why in one line. An on-demand fetch (a limit of 0) is never
        ended: every URL asked for is fetched and spooled; after an outage it tries the store
        again with each batch, after a full disk no more."""
        if self.ended is not None or (reason == STORE_UNAVAILABLE and self.outage_limit <= 0):
            return
        self.ended = reason
        logger.error("%s (%s); articles go to %s", why, reason, self.store.spool.path)
        if self.outage_limit <= 0:
            return
        from twisted.internet import reactor  # the running one: imported here, never installed here

        cast(IReactorFromThreads, reactor).callFromThread(self._close, reason)

    def _close(self, reason: str) -> None:
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

    def _keep_last_batch(self) -> None:
        """Spool the batch acknowledged last, once more: the embedded engine can lose the write it
        acknowledged just before its disk filled (Store.room). A copy the store has is counted
        "already stored" by the replay; one it lost is written then."""
        kept, self.last_batch = self.last_batch, []
        if not kept:
            return
        try:
            self.store.spool.append(kept, "stored just before the store's disk filled: kept in case")
        except OSError as exc:
            logger.error("%d article(s) stored last could not be spooled again: %s", len(kept), exc.strerror)
            return
        self.stats.inc_value("store/respooled", len(kept))

    def _count(self, done: Ingested) -> None:
        for key in ("new", "updated", "unchanged", "versions"):
            self.stats.inc_value(f"store/{key}", getattr(done.written, key))
        self.stats.inc_value("dedup/duplicates", len(done.copies))
        self.stats.inc_value("dedup/originals", done.originals)
        self.stats.inc_value("dedup/errors", done.group_errors)

    def _spool(self, docs: list[tuple[dict[str, Any], str]]) -> list[tuple[str, str]]:
        """Append the documents, and those held before them, to the spool; counted as spooled only
        once the append returned (it fsyncs). What it cannot take is held, in memory, for the
        next append. Returns the URLs spooled, with why."""
        held, self.held = self.held, []
        todo = held + docs
        if not todo:
            return []
        try:
            for why in dict.fromkeys(reason for _, reason in todo):
                self.store.spool.append([doc for doc, reason in todo if reason == why], why)
        except OSError as exc:  # a full or read-only spool disk: nothing of this append counts
            self.held = todo
            logger.error(
                "%d article(s) neither stored nor spooled: the spool %s cannot be written (%s); held in "
                "memory for the next attempt",
                len(todo),
                self.store.spool.path,
                exc.strerror or exc,
            )
            return []
        self.stats.inc_value("store/spooled", len(todo))
        return [(doc["url"], reason) for doc, reason in todo]

    def _hold(self, docs: list[dict[str, Any]], reason: str) -> None:
        self.held.extend((doc, reason) for doc in docs)

    async def close_spider(self) -> None:
        if self.timer.running:
            self.timer.stop()
        self.flush()
        await maybe_deferred_to_future(self._after_writes())
        if self.held:  # a last attempt: space may have been freed meanwhile
            spooled = await maybe_deferred_to_future(deferToThread(self._spool, []))
            self._said_spooled(spooled)
        self._closed()

    def _said_spooled(self, spooled: list[tuple[str, str]]) -> None:
        if spooled:
            path = str(self.store.spool.path)
            self.crawler.signals.send_catch_log(signal=articles_spooled, spooled=spooled, path=path)

    def _closed(self) -> None:
        if self.owns_store:
            self.store.close()
        spooled = self.stats.get_value("store/spooled", 0)
        if spooled:
            logger.error(
                "%d article(s) could not be stored and were spooled to %s; they are written on the next "
                "run, or now with `crawler db replay`",
                spooled,
                self.store.spool.path,
            )
        if self.held:
            self.stats.set_value("store/unsaved", len(self.held))
            unsaved = [(doc["url"], reason) for doc, reason in self.held]
            self.crawler.signals.send_catch_log(signal=articles_unsaved, unsaved=unsaved)
            logger.error(
                "%d article(s) lost: neither stored nor spooled (%s); the next run fetches them again",
                len(self.held),
                self.held[0][1],
            )
