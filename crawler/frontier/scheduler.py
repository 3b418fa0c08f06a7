"""The Scrapy scheduler of a distributed crawl: requests go to the source's frontier in Redis and come
back leased; a lease is acknowledged once its page has been handled for good — the response parsed,
the requests it led to queued, its article stored (or dropped, or spooled) — or its final failure
recorded. Whatever a worker held when it stopped goes back to the queue.

SCHEDULER names this class in every deployment: without REDIS_URL, or for a fetch of given URLs,
it hands over to Scrapy's own scheduler and nothing here runs.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from redis.exceptions import RedisError
from scrapy import Request, Spider, signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.core.scheduler import Scheduler as LocalScheduler
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall, deferLater

from crawler.failures import Unreadable
from crawler.frontier.codec import decode, encode
from crawler.frontier.config import FrontierConfig
from crawler.frontier.queue import Frontier
from crawler.frontier.rounds import counted
from crawler.frontier.workers import Heartbeat, heartbeat_key, redis_client, worker_id
from crawler.items import RawArticle
from crawler.rechecks import round_rechecks
from crawler.runs import seeds_discovery
from crawler.signals import articles_stored

logger = logging.getLogger(__name__)

ENTRY = "frontier_entry"  # request meta: the stream entry a request was leased as
MAX_WAITING = 2  # requests waiting for a politeness slot past which a worker takes no more from the queue


class Leases:
    """The requests this worker holds, and the articles each still has on their way to the store.
    An extension (EXTENSIONS), so that the crawler's scheduler and its two frontier middlewares
    share one, built with the crawler (`leases_of`)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Leases:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls()

    def __init__(self) -> None:
        self.held: dict[str, Request] = {}
        # id(article) -> (the article, its entry), until it is stored or dropped; the article is
        # held so that its id cannot be another's while the entry waits on it
        self.items: dict[int, tuple[Any, str]] = {}
        self.open: Counter[str] = Counter()
        self.waiting = 0  # requests waiting for a politeness slot (politeness.py counts them)

    def take(self, entry: str, request: Request) -> None:
        request.meta[ENTRY] = entry
        self.held[entry] = request

    def expect(self, item: Any, response: Response) -> None:
        entry = response.meta.get(ENTRY)
        if entry in self.held:
            article = _article_of(item)
            self.items[id(article)] = (article, entry)
            self.open[entry] += 1

    def item_done(self, item: Any) -> None:
        held = self.items.pop(id(_article_of(item)), None)
        if held is not None:
            self.open[held[1]] -= 1

    def finished(self, active: Callable[[Request], bool]) -> list[str]:
        """Entries whose request is no longer downloaded or parsed and whose articles are stored."""
        done = [e for e, request in self.held.items() if self.open[e] <= 0 and not active(request)]
        for entry in done:
            del self.held[entry]
            self.open.pop(entry, None)
        return done


def _article_of(item: Any) -> Any:
    """The article a spider's RawArticle holds: the object CleanPipeline cleans and hands on, so
    that the stored item is known for the one the spider yielded."""
    return item.article if isinstance(item, RawArticle) else item


def leases_of(crawler: Crawler) -> Leases:
    """The crawler's Leases; its components are built after its extensions."""
    leases = crawler.get_extension(Leases)
    if leases is None:
        raise ValueError(
            "REDIS_URL is set but crawler.frontier.scheduler.Leases is not in EXTENSIONS: "
            "the frontier's scheduler and middlewares share it"
        )
    return leases


class LeaseMiddleware:
    """Spider middleware: notes which lease each article comes from, so that the lease is kept until
    the article is in the store; a worker killed before that gets the page fetched again."""

    def __init__(self, crawler: Crawler) -> None:
        self.leases = leases_of(crawler)
        for signal in (signals.item_dropped, signals.item_error, articles_stored):
            crawler.signals.connect(self.item_done, signal=signal)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeaseMiddleware:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    def item_done(self, item: Any = None, items: list[Any] | None = None, **_: Any) -> None:
        for each in items if items is not None else [item]:
            self.leases.item_done(each)

    def _note(self, response: Response, output: Any) -> Any:
        if not isinstance(output, Request):
            self.leases.expect(output, response)
        return output

    def process_spider_output(self, response: Response, result: Any, spider: Spider | None = None) -> Any:
        return (self._note(response, output) for output in result)

    async def process_spider_output_async(
        self, response: Response, result: Any, spider: Spider | None = None
    ) -> Any:
        async for output in result:
            yield self._note(response, output)


class RoundSeedMiddleware:
    """Spider middleware: a discovery crawl of a distributed round starts from the round's seed in
    the shared frontier (the worker that takes it asks the spider for its discovery requests), so
    the spider's own start is held back, unread (it would ask the store for the due re-checks)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RoundSeedMiddleware:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        if seeds_discovery(self.crawler):
            return
        async for request in start:
            yield request


class ClusterScheduler(BaseScheduler):
    seeds_rounds = True  # a crawl with it takes its discovery from its round's seed (runs.seeds_discovery)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BaseScheduler:  # type: ignore[override]  # the local one, too
        return cls(crawler) if seeds_discovery(crawler) else LocalScheduler.from_crawler(crawler)

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.server = redis_client(settings)
        config = FrontierConfig.from_settings(settings)
        self.lease_ms = config.lease_ms
        self.poll_interval = config.poll_interval
        self.seen_ttl = config.seen_ttl
        self.max_deliveries = config.max_deliveries
        self.seed_on_start = config.seed_on_start
        self.exit_when_empty = config.exit_when_empty
        self.outage_limit = config.outage_limit
        self.fingerprinter = crawler.request_fingerprinter
        self.leases = leases_of(crawler)
        self.local: deque[Request] = deque()  # leased, not yet handed to the engine
        self.waking: list[Request] = []  # taken by the poller, on their way in through engine.crawl
        self.outbox: deque[tuple[str, Any]] = deque()  # writes Redis could not take yet, in order
        self.down_since: float | None = None
        self.acked = 0
        self.counted: dict[str, int] = {}  # the stats as last added to the round (rounds.py)
        self.last_beat = self.last_reap = 0.0
        crawler.signals.connect(self.idle, signal=signals.spider_idle)

    # --- Scrapy's scheduler interface -------------------------------------------------------------

    def open(self, spider: Spider) -> Deferred[None]:
        self.spider = spider
        self.frontier = Frontier(self.server, spider.name)
        self.heartbeat = Heartbeat(self.server, self.lease_ms, spider.name)
        return deferred_from_coro(self._open())

    async def _open(self) -> None:
        await self._until_reachable(self.frontier.ensure)
        await self._until_reachable(lambda: self.heartbeat.beat(0))  # alive before taking
        if self.seed_on_start:
            outcome = await self._until_reachable(lambda: self.frontier.seed(worker_id(), 0, force=True))
            logger.info(
                "frontier %s: %s",
                self.frontier.stream,
                "new round seeded" if outcome == "seeded" else "a round is under way: joining it",
            )
        self.timer = LoopingCall(self.tick)
        self.timer.start(self.poll_interval, now=False)  # after the engine's own start

    def close(self, reason: str) -> Deferred[None]:
        if self.timer.running:
            self.timer.stop()
        return deferred_from_coro(self._close())

    async def _close(self) -> None:
        self.ack_finished()
        for request in [*self.local, *self.waking]:
            self.leases.held.pop(request.meta.get(ENTRY, ""), None)  # never started: handed back below
        await self._until_reachable(self._drain)
        given = await self._until_reachable(lambda: self.frontier.give_back(worker_id(), self.max_deliveries))
        if given:
            logger.info("frontier: %d request(s) not finished here went back to the queue", given)
        self.stats.set_value("frontier/handed_back", given)
        self.heartbeat.stop()

    def has_pending_requests(self) -> bool:
        return bool(self.local or self.waking)

    def enqueue_request(self, request: Request) -> bool:
        if any(request is w for w in self.waking):  # leased already: the poller woke the engine with it
            self.waking.remove(request)
            self.local.append(request)
            return True
        if request.meta.get("is_start_request"):
            self.stats.inc_value("frontier/start_requests_seeded_instead")
            return False  # discovery starts from the seed entry, in whichever worker takes it
        payload = encode(request, self.spider)
        fingerprint = None if request.dont_filter else self.fingerprinter.fingerprint(request)
        if self.outbox or self.down_since is not None:
            self.outbox.append(("push", (payload, fingerprint)))
            return True
        try:
            pushed = self.frontier.push(payload, fingerprint, self.seen_ttl)
        except RedisError as exc:
            self._down(exc)
            self.outbox.append(("push", (payload, fingerprint)))
            return True
        self.stats.inc_value("scheduler/enqueued/redis" if pushed else "frontier/filtered_as_seen")
        return pushed

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        if self.down_since is not None or self.leases.waiting >= MAX_WAITING:
            return (
                None  # a request held here while the site's slots are busy is one other workers cannot have
            )
        try:
            entries = self.frontier.take(worker_id())
        except RedisError as exc:
            self._down(exc)
            return None
        for entry in entries:
            if entry.seed is not None:
                self._start_round(entry.id, entry.seed)
                return self.next_request()
            assert entry.payload is not None
            try:
                request = decode(entry.payload, self.spider)
            except Unreadable as exc:  # e.g. pickled by a worker of an older version: never unpickled
                logger.warning("frontier %s: entry %s set aside, %s", self.frontier.stream, entry.id, exc)
                self.stats.inc_value("frontier/unreadable")
                self.outbox.append(("set_aside", (entry.id, entry.payload)))
                self._flush()
                continue
            self.leases.take(entry.id, request)
            self.stats.inc_value("scheduler/dequeued/redis")
            return request
        return None

    # --- the rest ------------------------------------------------------------------------------

    def _start_round(self, entry: str, round_: int) -> None:
        """A seed: this worker queues the source's discovery requests, then lets the seed go."""
        requests = [
            *self.spider.discovery_requests(),  # type: ignore[attr-defined]
            *round_rechecks(self.crawler, self.spider),
        ]
        logger.info(
            "frontier %s: round %d, %d discovery request(s)", self.frontier.stream, round_, len(requests)
        )
        for request in requests:
            self.enqueue_request(request)
        self.outbox.append(("ack", [entry]))
        self._flush()

    def idle(self, spider: Spider) -> None:
        """A worker never stops on its own; a crawl stops when nothing is queued or leased by anyone.
        Scrapy's engine asks this on each of its looks while idle (every 5 s)."""
        logger.debug("frontier %s: the engine is idle", self.frontier.stream)
        if not self.exit_when_empty or self.leases.held or self.outbox or self.down_since is not None:
            raise DontCloseSpider
        try:
            if self.frontier.has_work():
                raise DontCloseSpider
        except RedisError as exc:
            self._down(exc)
            raise DontCloseSpider from None

    def tick(self) -> None:
        """Acknowledge, heartbeat, hand back dead workers' leases, and wake an idle engine."""
        try:
            self.ack_finished()
            now = time.monotonic()
            if now - self.last_beat >= self.lease_ms / 3000:
                self.heartbeat.beat(self.acked)
                self.last_beat = now
            if now - self.last_reap >= self.lease_ms / 2000:
                self.reap()
                self.last_reap = now
            if not self.leases.held and not self.local and not self.waking and self.frontier.has_queued():
                self.wake()
        except RedisError as exc:
            self._down(exc)

    def ack_finished(self) -> None:
        done = self.leases.finished(self._active)
        if done:
            self.outbox.append(("ack", done))
        self._flush()

    def _active(self, request: Request) -> bool:
        """Still being downloaded or parsed. Scrapy sends no signal when a request's handling ends
        (a redirect or retry leaves as a new request, a failure through an errback), so the engine's
        own sets of requests in the downloader and the scraper are asked."""
        engine = self.crawler.engine
        assert engine is not None and engine.scraper.slot is not None
        return (
            request in engine.downloader.active
            or request in engine.scraper.slot.active
            or any(request is r for r in (*self.local, *self.waking))
        )

    def _flush(self) -> None:
        try:
            self._drain()
        except RedisError as exc:
            self._down(exc)

    def _drain(self) -> None:
        if self.down_since is not None:
            self.server.ping()
        while self.outbox:
            kind, value = self.outbox[0]
            if kind == "push":
                payload, fingerprint = value
                pushed = self.frontier.push(payload, fingerprint, self.seen_ttl)
                self.stats.inc_value("scheduler/enqueued/redis" if pushed else "frontier/filtered_as_seen")
            elif kind == "set_aside":
                self.frontier.set_aside(*value)
            else:
                self.stats.inc_value("frontier/acked", len(value))
                now = counted(self.stats.get_stats())
                since = {k: n - self.counted.get(k, 0) for k, n in now.items() if n != self.counted.get(k, 0)}
                self.frontier.ack(value, worker_id(), since)
                self.counted = now
                self.acked += len(value)
            self.outbox.popleft()
        if self.down_since is not None:
            logger.warning("redis is back after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None
            # heartbeats lapsed in the outage: beat now, and give the others a lease time to do the same
            self.last_beat, self.last_reap = 0.0, time.monotonic()

    def reap(self) -> None:
        for worker in self.frontier.consumers():
            if worker != worker_id():
                moved = self.frontier.give_back(
                    worker, self.max_deliveries, heartbeat_key(worker, self.spider.name)
                )
                if moved > 0:
                    logger.warning(
                        "worker %s stopped holding %d request(s): back in the queue", worker, moved
                    )
                    self.stats.inc_value("frontier/requeued_from_stopped_workers", moved)

    def wake(self) -> None:
        """Scrapy looks at an idle scheduler every 5 s; a queued request is handed in now instead."""
        request = self.next_request()
        if request is not None:
            self.stats.inc_value("frontier/woken")
            self.waking.append(request)
            assert self.crawler.engine is not None
            self.crawler.engine.crawl(request)

    def _down(self, exc: Exception) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning("redis unreachable (%s): waiting for it; nothing is dropped meanwhile", exc)

    async def _until_reachable(self, call: Callable[[], Any]) -> Any:
        """`call`, retried once a second while Redis is down, for up to REDIS_OUTAGE_LIMIT seconds."""
        from twisted.internet import reactor

        started = time.monotonic()
        while True:
            try:
                return call()
            except RedisError as exc:
                if time.monotonic() - started > self.outage_limit:
                    raise
                self._down(exc)
                await maybe_deferred_to_future(deferLater(reactor, 1.0))
