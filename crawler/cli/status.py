"""`crawler status`: per source, the last run, its counts, and the articles stored."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pymongo import DESCENDING
from pymongo.errors import PyMongoError

from crawler.cli.settings import load_settings
from crawler.sources import SOURCES
from crawler.store.client import collection, store_client, store_uri


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("status", help="last run and stored articles per source")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    try:
        with store_client(settings) as client:
            articles = collection(client, settings)
            runs = collection(client, settings, "MONGO_CRAWLS_COLLECTION")
            rows = [row(name, runs.find_one({"source": name}, sort=[("started_at", DESCENDING)]),
                        articles.count_documents({"source": name})) for name in SOURCES]
    except PyMongoError as exc:
        print(f"crawler: store {store_uri(settings)} unavailable: {exc}", file=sys.stderr)
        return 1
    header = ("source", "last run (UTC)", "status", "new", "updated", "unchanged", "dup", "dropped", "errors", "stored")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    return 0


def row(source: str, last: dict[str, Any] | None, stored: int) -> tuple[Any, ...]:
    if last is None:
        return (source, "never", "-", "-", "-", "-", "-", "-", "-", stored)
    counts = last["articles"]
    return (
        source, last["started_at"].strftime("%Y-%m-%d %H:%M"), last["status"], counts["new"], counts["updated"],
        counts["unchanged"], counts["duplicates"], sum(counts["dropped"].values()), last["errors"]["total"], stored,
    )
