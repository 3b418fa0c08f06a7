"""`crawler` — the command operators and analysts run. Scrapy's own `scrapy crawl|list|check`
work as usual alongside it."""

from __future__ import annotations

import argparse
import sys

from crawler.cli import (
    api,
    crawl,
    db,
    export,
    extract,
    fetch,
    history,
    schedule,
    source,
    sources,
    status,
    worker,
)
from crawler.failures import BadSetting, CannotStart
from crawler.logs import reader_left


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crawler", description=__doc__)
    parser.add_argument(
        "-s", "--set", action="append", default=[], metavar="NAME=VALUE", help="override a setting"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    fetch.add_parser(commands)
    extract.add_parser(commands)
    crawl.add_parser(commands)
    db.add_parser(commands)
    export.add_parser(commands)
    history.add_parser(commands)
    api.add_parser(commands)
    status.add_parser(commands)
    sources.add_parser(commands)
    source.add_parser(commands)
    schedule.add_parser(commands)
    worker.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except BadSetting as exc:
        print(f"crawler: {exc}", file=sys.stderr)
        return 2
    except CannotStart as exc:
        print(f"crawler: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `crawler export | head -1`: the reader has all it wanted
        reader_left()  # Python's own flush at exit
        return 1


if __name__ == "__main__":
    sys.exit(main())
