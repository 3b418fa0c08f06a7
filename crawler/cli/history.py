"""`crawler history URL`: every stored version of an article and its removals, one JSON line each."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from crawler.cli.settings import load_settings, store_to_read
from crawler.failures import BadURL
from crawler.sources import registry_of
from crawler.store.history import history


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("history", help="every stored version of an article, and its removals")
    parser.add_argument("url", help="the article's URL (any of its forms: it is looked up as stored)")
    parser.add_argument(
        "--diff", action="store_true", help="each version with a unified diff against the one before"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    try:
        url = registry_of(settings).stored_url(args.url)
    except BadURL as exc:
        print(f"crawler: {exc}", file=sys.stderr)
        return 2
    with store_to_read(settings) as store:
        versions = store.collection("MONGO_VERSIONS_COLLECTION")
        entries = history(store.collection(), versions, url, args.diff)
    if entries is None:
        print(f"crawler: {url} is not stored", file=sys.stderr)
        return 1
    for entry in entries:
        print(json.dumps(entry, ensure_ascii=False))
    return 0
