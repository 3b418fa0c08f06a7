"""`crawler worker [SOURCE ...] [--sources SOURCE ...] [--until-idle]`: one worker of a distributed
crawl (REDIS_URL): it takes requests from the sources' shared frontier until stopped. Start as many
as the sites and the store allow, on any machine; `crawler schedule` seeds the rounds."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from scrapy.crawler import CrawlerProcess

from crawler.cli.settings import crawled_sources, frontier_reachable, load_settings, verbose_option
from crawler.logs import command_logging
from crawler.runs import exit_code


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "worker", help="crawl from the shared Redis frontier until stopped (needs REDIS_URL)"
    )
    parser.add_argument("sources", nargs="*", metavar="SOURCE", help="default: every source")
    parser.add_argument(
        "--sources",
        nargs="+",
        dest="source_list",
        metavar="SOURCE",
        default=[],
        help="the same, as an option",
    )
    parser.add_argument(
        "--until-idle",
        action="store_true",
        help="exit once nothing is queued or leased by any worker (for batch jobs and tests)",
    )
    verbose_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    names = crawled_sources(settings, [*args.sources, *args.source_list])
    if not settings.get("REDIS_URL"):
        print(
            "crawler: `worker` needs REDIS_URL (e.g. redis://127.0.0.1:6379/0); on one machine, "
            "use `crawler crawl` or `crawler schedule`",
            file=sys.stderr,
        )
        return 2
    frontier_reachable(settings)
    settings.set("FRONTIER_SEED_ON_START", False, priority="cmdline")
    settings.set("FRONTIER_EXIT_WHEN_EMPTY", args.until_idle, priority="cmdline")
    settings.set(
        "CLOSESPIDER_PAGECOUNT", 0, priority="cmdline"
    )  # a worker runs for days; rounds bound the pages
    command_logging(settings, args.verbose)
    process = CrawlerProcess(settings)  # SIGTERM / Ctrl-C: in-flight pages finish, the rest goes back
    crawlers = [process.create_crawler(name) for name in dict.fromkeys(names)]
    for crawler in crawlers:
        process.crawl(crawler)
    process.start()
    code = exit_code(crawlers)
    return (
        0 if code == 3 else code
    )  # "degraded" is a source's business, shown by `crawler status`, not the worker's
