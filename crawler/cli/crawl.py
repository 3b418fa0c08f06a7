"""`crawler crawl [SOURCE ...]`: one discovery crawl of the given sources (all by default);
`--start-urls URL ...` crawls from the given feeds, sitemaps or listing pages instead: a source's,
or with no source the generic one's, on those URLs' sites only."""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.cli.settings import crawled_sources, frontier_reachable, load_settings, verbose_option
from crawler.failures import BadSetting, BadURL
from crawler.logs import command_logging
from crawler.runs import exit_code
from crawler.sources import GENERIC
from crawler.urls import check_url


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("crawl", help="crawl sources once: discover, fetch and store new articles")
    parser.add_argument(
        "sources", nargs="*", metavar="SOURCE", help="default: every enabled source (crawler sources)"
    )
    parser.add_argument("--max-depth", type=int, help="listing pages followed through pagination")
    parser.add_argument(
        "--start-urls",
        nargs="+",
        metavar="URL",
        help="discover from these feeds, sitemaps or listing pages: of the one SOURCE given, else of the "
        "generic source (any site: only these URLs' hosts are crawled)",
    )
    verbose_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    names, options = chosen(args, settings)
    frontier_reachable(settings)
    command_logging(settings, args.verbose)
    process = CrawlerProcess(settings)
    crawlers = [process.create_crawler(name) for name in names]
    for crawler in crawlers:
        process.crawl(crawler, **options)
    process.start()
    return exit_code(crawlers)


def chosen(args: argparse.Namespace, settings: Settings) -> tuple[list[str], dict[str, Any]]:
    """The sources to crawl and their spiders' arguments; BadSetting for a choice no crawl makes."""
    options: dict[str, Any] = {"max_depth": args.max_depth} if args.max_depth is not None else {}
    if not args.start_urls:
        return crawled_sources(settings, args.sources), options
    crawled_sources(settings, args.sources, generic=True)
    if len(args.sources) > 1:
        raise BadSetting("--start-urls: give one SOURCE, or none for the generic source")
    try:
        urls = [check_url(url) for url in args.start_urls]
    except BadURL as exc:
        raise BadSetting(f"--start-urls: {exc}") from None
    return args.sources or [GENERIC.name], options | {"start_urls": ",".join(urls)}
