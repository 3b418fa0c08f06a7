"""`crawler schedule [SOURCE ...] [--once]`: the long-running service that keeps sources up to date."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor
from twisted.internet.defer import Deferred, DeferredList

from crawler.cli.settings import crawled_sources, frontier_reachable, load_settings, verbose_option
from crawler.failures import StoreUnavailable
from crawler.frontier.seeding import Seeder
from crawler.frontier.workers import redis_client
from crawler.logs import command_logging
from crawler.recurring import Runs, scheduler, triggers
from crawler.runs import exit_code
from crawler.store.client import StoreClient
from crawler.store.counters import Tallies

logger = logging.getLogger(__name__)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("schedule", help="crawl every source on its schedule until stopped")
    parser.add_argument("sources", nargs="*", metavar="SOURCE", help="default: every source")
    parser.add_argument("--once", action="store_true", help="run every source once and exit (for cron)")
    verbose_option(parser)
    parser.set_defaults(run=run)


def last_starts(settings: Settings, names: list[str]) -> dict[str, datetime]:
    """When each source last ran, from the run records; with the store down, every source is due."""
    try:
        with StoreClient(settings) as store:
            last = Tallies.of(store.database, settings).last_runs(names)
    except StoreUnavailable as exc:
        logger.warning("run records unavailable (%s): every source runs now", exc)
        return {}
    return {name: record["started_at"] for name, record in last.items()}


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    names = crawled_sources(settings, args.sources)
    try:
        plan = triggers(names, settings)
    except ValueError as exc:
        print(f"crawler: {exc}", file=sys.stderr)
        return 2
    frontier_reachable(settings)
    install_reactor(settings["TWISTED_REACTOR"])
    command_logging(settings, args.verbose)
    process = CrawlerProcess(settings)  # SIGTERM / Ctrl-C: running crawls close and store what they have
    crawlers = []

    def crawl(name: str) -> Deferred:
        crawlers.append(process.create_crawler(name))
        return process.crawl(crawlers[-1])

    # with REDIS_URL, a source's turn seeds a round for the workers (`crawler worker`) instead
    seeds = Seeder(redis_client(settings), plan) if settings.get("REDIS_URL") else None
    runs = Runs(seeds or crawl)
    from twisted.internet import reactor

    if args.once:
        launched = [d for d in (runs.launch(name) for name in names) if d is not None]
        DeferredList(launched).addBoth(lambda _: reactor.callLater(0, reactor.stop))
    else:
        jobs = scheduler(runs, plan, last_starts(settings, names), reactor)
        reactor.callWhenRunning(jobs.start)
        reactor.addSystemEventTrigger(
            "before", "shutdown", lambda: jobs.running and jobs.shutdown(wait=False)
        )
        for job in jobs.get_jobs():
            print(f"{job.id}: {job.trigger}", flush=True)
    process.start(stop_after_crawl=False)
    if args.once and seeds is not None:
        return 1 if seeds.failed else 0
    return exit_code(crawlers) if args.once else 0
