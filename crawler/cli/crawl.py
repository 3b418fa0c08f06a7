"""`crawler crawl [SOURCE ...]`: one discovery crawl of the given sources (all by default)."""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.cli.settings import frontier_reachable, known_sources, load_settings, verbose_option
from crawler.logs import command_logging
from crawler.runs import exit_code
from crawler.spiders import SOURCES


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("crawl", help="crawl sources once: discover, fetch and store new articles")
    parser.add_argument("sources", nargs="*", metavar="SOURCE", help=f"default: all of {', '.join(SOURCES)}")
    parser.add_argument("--max-depth", type=int, help="listing pages followed through pagination")
    verbose_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    known_sources(args.sources, SOURCES)
    settings = load_settings(args)
    frontier_reachable(settings)
    command_logging(settings, args.verbose)
    process = CrawlerProcess(settings)
    crawlers = [process.create_crawler(SOURCES[name]) for name in args.sources or SOURCES]
    for crawler in crawlers:
        process.crawl(crawler, **({"max_depth": args.max_depth} if args.max_depth is not None else {}))
    process.start()
    return exit_code(crawlers)
