"""`crawler fetch URL [URL ...]`: one JSON object per stored article on stdout, errors on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from crawler.cli.settings import load_settings
from crawler.ondemand import fetch


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("fetch", help="fetch URLs, store them, print each article as JSON Lines")
    parser.add_argument("urls", nargs="+", metavar="URL")
    parser.add_argument("--no-store", action="store_true", help="print without storing")
    parser.add_argument("--timeout", type=float, help="seconds per download (default: FETCH_TIMEOUT)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    if args.timeout:
        settings.set("FETCH_TIMEOUT", args.timeout, priority="cmdline")
    failed = 0
    for outcome in fetch(args.urls, settings, store=not args.no_store):
        if outcome.article is not None:
            print(json.dumps(outcome.article, ensure_ascii=False), flush=True)
        else:
            failed += 1
            print(f"crawler: {outcome.url}: {outcome.error}", file=sys.stderr)
    return 1 if failed else 0
