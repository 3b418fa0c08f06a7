"""`crawler fetch URL [URL ...]`: one JSON object per stored article on stdout, and one line per
URL that gave none on stderr (the crawl's own log only with `-v`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.utils.reactor import install_reactor

from crawler.cli.settings import load_settings
from crawler.logs import json_logging
from crawler.ondemand import OnDemand
from crawler.sources import registry_of
from crawler.store.client import StoreClient
from crawler.store.ingest import Store


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("fetch", help="fetch URLs, store them, print each article as JSON Lines")
    parser.add_argument("urls", nargs="+", metavar="URL")
    parser.add_argument("--no-store", action="store_true", help="print without storing")
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds the whole fetch may take, retries included (default: FETCH_TIMEOUT)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show the crawl's log on stderr")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if args.timeout:
        settings.set("FETCH_TIMEOUT", args.timeout, priority="cmdline")
    # what a user acts on is the one line per URL below; the log is for finding out why
    settings.set("LOG_LEVEL", "INFO" if args.verbose else "CRITICAL", priority="spider")
    store = None if args.no_store else Store(StoreClient(settings), registry_of(settings).outlets)
    install_reactor(settings["TWISTED_REACTOR"])  # before the crawlers OnDemand builds
    json_logging(settings)
    process = CrawlerProcess(settings)
    ondemand = OnDemand(process, settings, store)
    fetched, _ = ondemand.crawl(args.urls)
    if fetched.crawlers:
        budget = settings.getfloat("FETCH_TIMEOUT")
        ondemand.limit(fetched, budget, f"timed out: no answer within {budget:g} s")
        process.start()
    failed = 0
    try:
        for outcome in ondemand.outcomes(args.urls, fetched):
            if outcome.article is not None:
                print(json.dumps(outcome.article, ensure_ascii=False), flush=True)
                if why := outcome.article.get("pages_missing_why"):
                    print(f"crawler: {outcome.url}: {why}; stored without it", file=sys.stderr)
            else:
                failed += 1
                print(f"crawler: {outcome.url}: {outcome.problem}", file=sys.stderr)
    finally:
        if store is not None:
            store.close()
    return 1 if failed else 0
