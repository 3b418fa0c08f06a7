"""`crawler history URL`: every stored version of an article and its removals, one JSON line each."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from crawler.cli.settings import load_settings
from crawler.sources import stored_url
from crawler.store.client import StoreClient
from crawler.store.history import history
from crawler.store.mongo import StoreUnavailable
from crawler.urls import BadURL


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
        url = stored_url(args.url)
    except BadURL as exc:
        print(f"crawler: {exc}", file=sys.stderr)
        return 2
    store = StoreClient(settings)
    if nothing := store.missing():
        print(f"crawler: {nothing}", file=sys.stderr)
        return 1
    try:
        with store:
            entries = history(
                store.collection(), store.collection("MONGO_VERSIONS_COLLECTION"), url, args.diff
            )
    except StoreUnavailable as exc:
        print(f"crawler: {store.unavailable(exc)}", file=sys.stderr)
        return 1
    if entries is None:
        print(f"crawler: {url} is not stored", file=sys.stderr)
        return 1
    for entry in entries:
        print(json.dumps(entry, ensure_ascii=False))
    return 0
