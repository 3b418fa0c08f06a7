"""Thin Scrapy adapters over clean/ and store/: they read settings once, count in stats, and state
a reason for every drop."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred, succeed
from twisted.internet.task import LoopingCall
from twisted.internet.threads import deferToThread
from twisted.python.failure import Failure

from crawler.clean import cleaned
from crawler.dedup.fingerprint import fingerprint
from crawler.dedup.index import as_document
from crawler.failures import Failed, Problem, Reason, StoreUnavailable
from crawler.items import Article, RawArticle
from crawler.pagework import PageWork, page_work
from crawler.shared import given
from crawler.signals import article_checked, articles_spooled, articles_stored, articles_unsaved
from crawler.sources import registry_of
from crawler.stages import BodyFloorPipeline, PageWorkPipeline
from crawler.store.extension import store_of
from crawler.store.ingest import Store
from crawler.store.schema import to_document
from crawler.store.versions import Check
from crawler.store.writer import Writer, Written

logger = logging.getLogger(__name__)
T = TypeVar("T")


async def worked(work: PageWork, function: Callable[..., T], *args: Any) -> T:
    """A step in the crawl's page workers; a worker that died drops the item, with its reason."""
    try:
        return await work.run(function, *args)
    except Failed as exc:
        raise NotAnArticle(exc.problem) from None


class CleanPipeline(PageWorkPipeline):
    """Turns what a spider yields (a RawArticle: the article and its pages' body containers) into
    the clean Article, lifting origin and original title; a title longer than TITLE_MAX_CHARS (a
    page that put its text in <title>) is cut, and the cut said."""

    def __init__(self, stats: StatsCollector, work: PageWork, settings: BaseSettings) -> None:
        super().__init__(stats, work, settings)
        self.title_max = settings.getint("TITLE_MAX_CHARS")
        self.sources = registry_of(settings)

    async def process_item(self, item: RawArticle) -> Article:
        noise = self.sources.spec_for(item.article.source).noise
        article, audit, cut = await worked(self.work, cleaned, item, noise, self.title_max)
        for rule, entry in audit.rules.items():
            self.stats.inc_value(f"clean/removed/{rule}", entry["blocks"])
        if audit.spared:  # a rule matched the story's block: the run's fallback reasons say so
            self.stats.inc_value("extraction/fallback/story_kept")
        if cut:
            self.stats.inc_value("clean/title_cut")
        return article


class ValidatePipeline(BodyFloorPipeline):
    """Drops what is not an article: no title, or too little text after cleaning."""

    def process_item(self, item: Any) -> Any:
        problem = unfit(item, self.min_body_chars)
        if problem is not None:
            self._drop(problem)
        self.stats.inc_value("validate/ok")
        return item

    def _drop(self, problem: Problem) -> None:
        self.stats.inc_value(f"validate/dropped/{problem.reason}")
        raise NotAnArticle(problem)


def unfit(item: Any, min_body_chars: int) -> Problem | None:
    """Why a cleaned item is not an article (too little text, no title), or None."""
    adapter = ItemAdapter(item)
    if len(adapter.get("body") or "") < min_body_chars:
        return Problem(Reason.NO_ARTICLE_TEXT, f"no article text on {adapter['url']}")
    if not adapter.get("title"):
        return Problem(Reason.NO_TITLE, f"no title on {adapter['url']}")
    return None


class NotAnArticle(DropItem):
    """A page dropped for what it holds; carries the Problem an on-demand fetch reports."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message, log_level="INFO")
        self.problem = problem


class DedupPipeline(PageWorkPipeline):
    """Fingerprints the clean body; grouping happens once the article is stored (MongoPipeline)."""

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        adapter["dedup"] = as_document(await worked(self.work, fingerprint, adapter["body"]))
        self.stats.inc_value("dedup/fingerprinted")
        return item


class MongoPipeline:
    """Adapts items to the store's writer (crawler/store/writer.py) and counts what each batch
    came to: stored, spooled, held (neither, yet). Batches are written in a thread, one after
    another, so that downloading and parsing go on while the store works; at most
    MAX_BATCHES_IN_FLIGHT wait, then new items wait for the store."""

    MAX_BATCHES_IN_FLIGHT = 2

    def __init__(self, crawler: Crawler, store: Store) -> None:
        settings = crawler.settings
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.store = store
        self.work = page_work(crawler)
        self.writer = Writer(store, settings.getfloat("MONGO_OUTAGE_LIMIT"))
        self.batch_size = settings.getint("MONGO_BATCH_SIZE")
        self.flush_interval = settings.getfloat("MONGO_FLUSH_INTERVAL")
        self.buffer: list[dict[str, Any]] = []
        self.buffered_items: list[Any] = []
        self.last_flush = time.monotonic()
        self.writing: Deferred[None] = succeed(None)  # the chain of batch writes, in order
        self.in_flight = 0
        self.timer = LoopingCall(self._flush_if_due)
        self.checks: list[Check] = []  # re-checks that stored no text, written with the next batch
        crawler.signals.connect(self.checked, signal=article_checked)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MongoPipeline:
        return cls(
            crawler, given(crawler, Store) or Store(store_of(crawler), registry_of(crawler.settings).outlets)
        )

    async def open_spider(self) -> None:
        """Prepare the store (in a thread: a store that is down never holds up the reactor),
        replaying what earlier runs spooled."""
        try:
            replayed = await maybe_deferred_to_future(deferToThread(self.store.prepare))
        except StoreUnavailable as exc:
            spool = self.store.spool.path
            logger.warning("%s unreachable (%s): articles go to %s", self.store.uri, exc, spool)
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
        document = await worked(self.work, to_document, item)  # hashes the body: page work
        self.buffer.append(document)  # not `self.buffer.append(await ...)`: a flush meanwhile swaps the list
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

        def write(_: object) -> Deferred[Written]:
            return deferToThread(self.writer.write, docs, checks)

        def done(result: Written | Failure) -> None:
            self.in_flight -= 1
            if isinstance(result, Failure):
                logger.error("batch write failed unexpectedly: %s", result.getTraceback())
                self.writer.held.extend(
                    (doc, f"the write failed: {result.getErrorMessage()}") for doc in docs
                )
                return
            self._count(result, len(docs))
            held = {doc["url"] for doc, _ in self.writer.held}  # not safe yet: a frontier lease stays open
            self.crawler.signals.send_catch_log(
                signal=articles_stored, items=[i for i in items if ItemAdapter(i)["url"] not in held]
            )
            self._said_spooled(result.spooled)
            if result.ended and self.writer.outage_limit > 0:
                deferred_from_coro(self.crawler.engine.close_spider_async(reason=result.ended))

        self.writing = self.writing.addCallback(write).addBoth(done)

    def _count(self, written: Written, docs: int) -> None:
        stats = self.stats
        stats.inc_value("store/spooled", len(written.spooled))
        stats.inc_value("store/respooled", written.respooled)
        stats.inc_value("recheck/recorded", written.recorded)
        if written.done is None:
            return
        if written.waited:
            stats.inc_value("store/waited", docs)
        for key in ("new", "updated", "unchanged", "versions"):
            stats.inc_value(f"store/{key}", getattr(written.done.written, key))
        stats.inc_value("dedup/duplicates", len(written.done.copies))
        stats.inc_value("dedup/originals", written.done.originals)
        stats.inc_value("dedup/errors", written.done.group_errors)

    def _said_spooled(self, spooled: list[tuple[str, str]]) -> None:
        if spooled:
            path = str(self.store.spool.path)
            self.crawler.signals.send_catch_log(signal=articles_spooled, spooled=spooled, path=path)

    async def close_spider(self) -> None:
        if self.timer.running:
            self.timer.stop()
        self.flush()
        await maybe_deferred_to_future(self._after_writes())
        if self.writer.held:  # a last attempt: space may have been freed meanwhile
            spooled = await maybe_deferred_to_future(deferToThread(self.writer.spool, []))
            self.stats.inc_value("store/spooled", len(spooled))
            self._said_spooled(spooled)
        self._closed()

    def _closed(self) -> None:
        spooled = self.stats.get_value("store/spooled", 0)
        if spooled:
            logger.error(
                "%d article(s) could not be stored and were spooled to %s; they are written on the next "
                "run, or now with `crawler db replay`",
                spooled,
                self.store.spool.path,
            )
        if held := self.writer.held:
            self.stats.set_value("store/unsaved", len(held))
            unsaved = [(doc["url"], reason) for doc, reason in held]
            self.crawler.signals.send_catch_log(signal=articles_unsaved, unsaved=unsaved)
            logger.error(
                "%d article(s) lost: neither stored nor spooled (%s); the next run fetches them again",
                len(held),
                held[0][1],
            )
