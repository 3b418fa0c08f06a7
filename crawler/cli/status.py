"""`crawler status`: per source, the last run, its counts, and the articles stored."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from pymongo.errors import PyMongoError

from crawler.cli.settings import load_settings
from crawler.runs import last_runs
from crawler.scheduling import next_run, triggers
from crawler.sources import SOURCES
from crawler.store.client import collection, store_client, store_uri


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("status", help="last run and stored articles per source")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    try:
        plan = triggers(list(SOURCES), settings)
    except ValueError as exc:
        print(f"crawler: {exc}", file=sys.stderr)
        return 2
    try:
        with store_client(settings) as client:
            articles = collection(client, settings)
            last = last_runs(collection(client, settings, "MONGO_CRAWLS_COLLECTION"), list(SOURCES))
            rows = [row(name, last.get(name), articles.count_documents({"source": name}), plan[name])
                    for name in SOURCES]
    except PyMongoError as exc:
        print(f"crawler: store {store_uri(settings)} unavailable: {exc}", file=sys.stderr)
        return 1
    header = ("source", "last run (UTC)", "status", "new", "updated", "unchanged", "dup", "dropped", "errors", "stored",
              "next run (UTC)")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    for name, record in last.items():
        if why := reasons(record):
            print(f"{name} {record['status']}: {why}")
    return 0


def reasons(record: dict[str, Any]) -> str:
    """Why a run was not ok: the drift checks it failed, its errors, or how it ended."""
    if record["status"] in ("ok", "interrupted"):
        return ""
    parts = list(record.get("degraded_by") or [])
    parts += [f"{count} × {reason}" for reason, count in record["errors"]["by_reason"].items()]
    if record["reason"] != "finished":
        parts.append(f"ended: {record['reason']}")
    if record["articles"].get("spooled"):
        parts.append(f"{record['articles']['spooled']} article(s) spooled")
    return "; ".join(parts)


def when(trigger: BaseTrigger, last_start: datetime | None) -> str:
    upcoming = next_run(trigger, last_start, datetime.now(UTC))
    return upcoming.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if upcoming else "-"


def row(source: str, last: dict[str, Any] | None, stored: int, trigger: BaseTrigger) -> tuple[Any, ...]:
    if last is None:
        return (source, "never", "-", "-", "-", "-", "-", "-", "-", stored, when(trigger, None))
    counts = last["articles"]
    return (
        source, last["started_at"].strftime("%Y-%m-%d %H:%M"), last["status"], counts["new"], counts["updated"],
        counts["unchanged"], counts["duplicates"], sum(counts["dropped"].values()), last["errors"]["total"], stored,
        when(trigger, last["started_at"]),
    )
