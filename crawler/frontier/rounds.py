"""A distributed crawl's rounds, recorded as runs. The round a scheduler seeds is what operators
see: one record in `crawls`, the shape of a single-process run's plus `round`, `round_id` and the
workers that took part with their pages, written once when the round has drained (nothing
queued, nothing leased) or when ROUND_DEADLINE has passed (then `degraded`, `round_deadline`).

- Counting. Each worker adds its stats to the round as it acknowledges its leases, in the same
  Redis script (queue.py, `_ACK`), so what a worker counted is in the round exactly when its
  pages are done; the articles a round stored new (and the copies among them) are counted in the
  store itself at the end, by `first_seen`, so a worker killed between storing and counting
  changes nothing.
- Recording. Every worker of a source looks, every few seconds, for rounds of its source that
  are over. The first to claim one (a Redis key with an expiry, so a claimant that dies leaves it
  to the next) writes the record, which the store keeps once (a unique `round_id`), then sends
  the alerts, as a single-process run does, and closes the round.
- While a round runs, its counts so far are in Redis: `crawler status` and /metrics show them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet import threads
from twisted.internet.task import LoopingCall

from crawler.failures import StoreUnavailable
from crawler.frontier.queue import Frontier
from crawler.frontier.workers import redis_client, worker_id
from crawler.logs import RUN_LINES
from crawler.monitors import Floors
from crawler.runs import judge, run_line, run_record, seeds_discovery
from crawler.signals import run_recorded
from crawler.store.extension import store_of
from crawler.store.repositories import Articles, Runs

logger = logging.getLogger(__name__)
LOOK_SECONDS = 2.0  # how often a worker looks for rounds of its sources that are over
CLAIM_MS = 60_000  # a claimant that died leaves the round to the next one after this
KEEP_SECONDS = 7 * 86400  # a recorded round's counts stay this long in Redis, for reading

# the stats a round adds up from its workers (medians and times are not sums)
COUNTED = (
    "downloader/response_count",
    "downloader/response_bytes",
    "downloader/response_status_count/",
    "conditional/not_modified",
    "store/",
    "dedup/duplicates",
    "incremental/skipped",
    "validate/dropped/",
    "fetch/failed/",
    "discovery/",
    "recheck/",
    "extraction/",
    "clean/removed/",
    "monitor/items",
    "monitor/article_pages",
    "monitor/with_",
    "offsite/filtered",
    "robotstxt/forbidden",
)


def counted(stats: dict[str, Any]) -> dict[str, int]:
    """The stats a round adds up, as whole numbers."""
    return {
        key: int(value)
        for key, value in stats.items()
        if key.startswith(COUNTED) and isinstance(value, int | float) and "median" not in key
    }


@dataclass(frozen=True)
class Round:
    """One round of a source as Redis has it."""

    number: int
    started: datetime
    ended: datetime | None  # its last acknowledged lease
    stats: dict[str, int]
    workers: dict[str, int]  # worker -> leases it finished in this round

    @classmethod
    def read(cls, frontier: Frontier, number: int) -> Round | None:
        raw, workers = frontier.round_counts(number)
        if b"started" not in raw:
            return None
        values = {k.decode(): v.decode() for k, v in raw.items()}
        ended = values.pop("ended", None)
        return cls(
            number,
            datetime.fromtimestamp(float(values.pop("started")), UTC),
            datetime.fromtimestamp(float(ended), UTC) if ended else None,
            {k: int(v) for k, v in values.items()},
            {k.decode(): int(v) for k, v in workers.items()},
        )


def rounds_under_way(settings: BaseSettings, source: str) -> list[Round]:
    """The source's rounds seeded and not yet recorded, with their counts so far."""
    frontier = Frontier(redis_client(settings), source)
    return [r for n in frontier.open_rounds() if (r := Round.read(frontier, n)) is not None]


def over(frontier: Frontier, deadline: float, now: float) -> list[tuple[int, str]]:
    """The open rounds of the source that are over, each with how it ended: `finished` (drained:
    a later round was seeded, or nothing is queued or leased) or `round_deadline`."""
    current, busy = frontier.round_number(), frontier.has_work()
    ended = []
    for number in frontier.open_rounds():
        if number < current or not busy:
            ended.append((number, "finished"))
        elif deadline and (started := frontier.round_started(number)) and now - started > deadline:
            ended.append((number, "round_deadline"))
    return ended


class RoundRecorder:
    """Extension of a worker's crawl (REDIS_URL): records its source's rounds that are over."""

    def __init__(self, crawler: Crawler, server: Redis) -> None:
        self.crawler = crawler
        self.server = server
        self.deadline = crawler.settings.getfloat("ROUND_DEADLINE")
        self.floors = Floors.of(crawler)
        self.history_runs = crawler.settings.getint("MONITOR_HISTORY_RUNS")
        self.timer = LoopingCall(lambda: deferred_from_coro(self.look()))  # an asyncio task, as Scrapy's
        self.looking = False
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RoundRecorder:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        return cls(crawler, redis_client(crawler.settings))

    def opened(self, spider: Any) -> None:
        if seeds_discovery(self.crawler):
            self.frontier = Frontier(self.server, spider.name)
            self.timer.start(LOOK_SECONDS, now=False)

    async def closed(self, spider: Any) -> None:
        if self.timer.running:
            self.timer.stop()
            await self.look()  # a round this worker finished last is recorded before it goes

    async def look(self) -> None:
        if self.looking:
            return
        self.looking = True
        try:
            for number, how in over(self.frontier, self.deadline, time.time()):
                if self.frontier.claim_round(number, worker_id(), CLAIM_MS):
                    await self.record(number, how)
        except RedisError as exc:
            logger.debug("rounds not looked at: redis unreachable (%s)", exc)
        finally:
            self.looking = False

    async def record(self, number: int, how: str) -> None:
        name = self.frontier.source
        found = Round.read(self.frontier, number)
        if found is None:  # recorded and closed by another worker meanwhile
            return
        if how == "round_deadline":
            left = self.frontier.end_round(number)
            logger.warning(
                "%s: round %d ended by ROUND_DEADLINE, %d request(s) set aside", name, number, left
            )
        try:
            record = await maybe_deferred_to_future(threads.deferToThread(self.store, name, found, how))
        except StoreUnavailable as exc:
            self.frontier.release_round(number, worker_id())  # the next look, here or elsewhere, tries again
            logger.warning(
                "round %d of %s not recorded yet: the store is unreachable (%s)", number, name, exc
            )
            return
        self.frontier.close_round(number, KEEP_SECONDS)
        if record is None:  # another worker's write got there first
            return
        if self.crawler.settings.getbool("FRONTIER_SEED_ON_START"):  # `crawl`: its round is its exit code
            assert self.crawler.stats is not None
            self.crawler.stats.set_value("run/status", record["status"])
        logging.getLogger(RUN_LINES).info("%s", run_line(record))
        await self.crawler.signals.send_catch_log_async(run_recorded, record=record)

    def store(self, name: str, found: Round, how: str) -> dict[str, Any] | None:
        """The round's record, written once; None when it was there already."""
        ended = found.ended or datetime.now(UTC)
        client = store_of(self.crawler)
        new, copies = Articles(client).new_between(name, found.started, ended)
        stats = found.stats | {"store/new": new, "dedup/duplicates": copies}
        record = run_record(name, found.started, ended, "finished" if how == "finished" else how, stats)
        record |= {
            "round": found.number,
            "round_id": f"{name}:{found.number}:{found.started.timestamp():.0f}",
            "workers": found.workers,
        }
        runs = Runs(client)
        judge(record, runs.latest(name, {"extraction": 1}, self.history_runs), self.floors)
        return record if runs.record_once(record) else None
