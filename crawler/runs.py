"""Run records: each discovery crawl of a source writes one document to the `crawls` collection,
from the crawler's own stats, so operators see what every run did."""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.misc import load_object

from crawler.failures import StoreUnavailable
from crawler.logs import RUN_LINES
from crawler.monitors import Floors, check_run, extraction
from crawler.signals import run_recorded
from crawler.store.extension import store_of
from crawler.store.repositories import Runs

logger = logging.getLogger(__name__)


ANSWERED = ("downloader/response_status_count/200", "downloader/response_status_count/304")


def run_status(reason: str, failures: bool, spooled: bool, answered: bool, unsaved: bool = False) -> str:
    """ok; degraded when pages failed, articles were spooled, or a per-run cap (CLOSESPIDER_*) or a
    distributed round's ROUND_DEADLINE cut the run short; interrupted by SIGTERM / Ctrl-C (what
    was fetched is stored); failed when the run did not finish otherwise (the store down past its
    limit, its disk full), nothing came back but errors, or articles could be neither stored nor
    spooled."""
    if unsaved:
        return "failed"
    if reason == "shutdown":
        return "interrupted"
    if reason.startswith("closespider_") or reason == "round_deadline":
        return "degraded"
    if reason != "finished" or (failures and not answered):
        return "failed"
    return "degraded" if failures or spooled else "ok"


def run_record(
    source: str, started: datetime, ended: datetime, reason: str, stats: dict[str, Any]
) -> dict[str, Any]:
    """The run document: counts read from the stats the pipelines and spiders keep."""

    def total(prefix: str) -> dict[str, int]:
        return {k.removeprefix(prefix): int(v) for k, v in stats.items() if k.startswith(prefix)}

    failures = total("fetch/failed/")
    dropped = total("validate/dropped/")
    spooled = int(stats.get("store/spooled", 0))
    unsaved = int(stats.get("store/unsaved", 0))
    answered = sum(int(stats.get(key, 0)) for key in ANSWERED)
    status = run_status(reason, bool(failures), bool(spooled), bool(answered), bool(unsaved))
    return {
        "source": source,
        "started_at": started,
        "ended_at": ended,
        "status": status,
        "reason": reason,
        "pages_fetched": int(stats.get("downloader/response_count", 0)),
        "listings_not_modified": int(stats.get("conditional/not_modified", 0)),
        "bytes": int(stats.get("downloader/response_bytes", 0)),
        "articles": {
            "new": int(stats.get("store/new", 0)),
            "updated": int(stats.get("store/updated", 0)),
            "unchanged": int(stats.get("store/unchanged", 0)),
            "duplicates": int(stats.get("dedup/duplicates", 0)),
            "skipped_stored": int(stats.get("incremental/skipped", 0)),
            "spooled": spooled,
            "unsaved": unsaved,  # neither stored nor spooled (both disks full): fetched again next run
            "waited": int(stats.get("store/waited", 0)),  # written late: the store was down a while
            "dropped": dropped,
        },
        "skipped": {  # pages not fetched on purpose, as Scrapy's own middlewares count them
            reason: int(stats[key])
            for reason, key in (("offsite", "offsite/filtered"), ("robots_txt", "robotstxt/forbidden"))
            if stats.get(key)
        },
        "errors": {"total": sum(failures.values()), "by_reason": failures},
        "extraction": extraction(stats),
        "discovery": discovery(total("discovery/")),
        # stored articles a round fetched again (RECHECK_SCHEDULE): answered 304, or found gone;
        # the others are among articles.updated (a new version) and articles.unchanged
        "rechecks": {key: int(stats.get(f"recheck/{key}", 0)) for key in ("due", "not_modified", "removed")},
    }


def discovery(counts: dict[str, int]) -> dict[str, dict[str, int]]:
    """Per discovery kind (feed, sitemap, news_sitemap, sitemap_index, json, listing, robots): article
    URLs found, skipped as too old, already stored, and new (the rest: requested)."""
    kinds: dict[str, dict[str, int]] = {}
    for key, n in counts.items():
        kind, _, count = key.partition("/")
        kinds.setdefault(kind, {"found": 0, "new": 0, "too_old": 0, "stored": 0})[count] = n
    for numbers in kinds.values():
        numbers["new"] = max(0, numbers["found"] - numbers["too_old"] - numbers["stored"])
    return dict(sorted(kinds.items()))


def problems(record: dict[str, Any]) -> list[str]:
    """Why a run was not ok: the drift checks it failed, its errors, how it ended, what waits."""
    if record["status"] in ("ok", "interrupted"):
        return []
    found = list(record.get("degraded_by") or [])
    found += [f"{count} × {reason}" for reason, count in record["errors"]["by_reason"].items()]
    if record["reason"] != "finished":
        found.append(f"ended: {record['reason']}")
    if record["articles"].get("spooled"):
        found.append(f"{record['articles']['spooled']} article(s) spooled")
    if record["articles"].get("unsaved"):
        found.append(f"{record['articles']['unsaved']} article(s) neither stored nor spooled")
    return found


def run_line(record: dict[str, Any]) -> str:
    """A run in one line, as a crawling command prints it: `netease: ok — 12 new, 3 updated,
    40 unchanged, 0 failed in 14 s`, and why when it was not ok."""
    articles, seconds = record["articles"], (record["ended_at"] - record["started_at"]).total_seconds()
    line = (
        f"{record['source']}: {record['status']} — {articles['new']} new, {articles['updated']} updated, "
        f"{articles['unchanged']} unchanged, {record['errors']['total']} failed in {seconds:.0f} s"
    )
    return line + "".join(f"; {p}" for p in problems(record) if not p.startswith("ended: "))


STATUSES = ("ok", "interrupted", "degraded", "failed")  # the worst last
EXIT_CODES = {"ok": 0, "interrupted": 0, "degraded": 3, "failed": 1}


def exit_code(crawlers: list[Crawler]) -> int:
    """A command's exit code from its runs: 1 when one failed, else 3 when one was degraded, else
    0 (SIGTERM included: stopping on purpose is not a fault); each run not ok is named on stderr."""
    statuses = []
    for crawler in crawlers:
        assert crawler.stats is not None and crawler.spidercls is not None
        status = crawler.stats.get_value("run/status", "failed")
        if EXIT_CODES[status]:
            reason = crawler.stats.get_value("finish_reason", "did not start")
            print(f"crawler: {crawler.spidercls.name}: run {status} ({reason})", file=sys.stderr)
        statuses.append(status)
    return EXIT_CODES[max(statuses, key=STATUSES.index, default="ok")]


class RunRecorder:
    """Extension: writes the run record when a discovery crawl closes (not for on-demand fetches)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started = datetime.now(UTC)
        self.floors = Floors.of(crawler)
        self.history_runs = crawler.settings.getint("MONITOR_HISTORY_RUNS")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        if not crawler.settings.get("MONGO_CRAWLS_COLLECTION"):
            raise NotConfigured
        if os.environ.get("SCRAPY_CHECK"):  # `scrapy check` reads fixture pages: no run, no store
            raise NotConfigured
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        self.started = datetime.now(UTC)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Store the run record, then tell `run_recorded` handlers (the alerts), whose work the
        crawl waits for before it ends."""
        if getattr(spider, "urls", None):  # an on-demand fetch, not a run of the source
            return
        if seeds_discovery(self.crawler):
            self.crawler.stats.set_value("run/status", "ok")  # its rounds are the runs (rounds.py)
            return
        assert self.crawler.stats is not None
        record = run_record(
            spider.name, self.started, datetime.now(UTC), reason, self.crawler.stats.get_stats()
        )
        runs = Runs(store_of(self.crawler))
        try:
            self.monitor(record, runs.latest(spider.name, {"extraction": 1}, self.history_runs))
            runs.record(record)
        except StoreUnavailable as exc:
            self.monitor(record, [])
            logger.error("run record of %s not stored (%s): %s", spider.name, exc, run_line(record))
            return
        finally:
            self.crawler.stats.set_value("run/status", record["status"])  # for the command's exit code
        logging.getLogger(RUN_LINES).info("%s", run_line(record))
        await self.crawler.signals.send_catch_log_async(run_recorded, record=record)

    def monitor(self, record: dict[str, Any], history: list[dict[str, Any]]) -> None:
        judge(record, history, self.floors)


def judge(record: dict[str, Any], history: list[dict[str, Any]], floors: Floors) -> None:
    """The drift checks against the source's recent runs: a run that fails one is degraded."""
    record["degraded_by"] = check_run(record, history, floors)
    if record["degraded_by"] and record["status"] == "ok":
        record["status"] = "degraded"


def seeds_discovery(crawler: Crawler) -> bool:
    """Whether the crawl's discovery starts from its round's seed in the shared frontier (whichever
    worker takes it), not from the spider's start: with REDIS_URL, a scheduler that seeds rounds
    (the frontier's ClusterScheduler), and no URLs given. Its rounds, not its crawls, are runs."""
    scheduler = load_object(crawler.settings["SCHEDULER"])
    return (
        bool(crawler.settings.get("REDIS_URL"))
        and not getattr(crawler.spider, "urls", None)
        and getattr(scheduler, "seeds_rounds", False) is True
    )  # an attribute, not issubclass: Scrapy's schedulers duck-type it
