"""`crawler status`: per source, the last run, its counts, and the articles stored."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, tzinfo
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from redis.exceptions import RedisError

from crawler.cli.settings import load_settings, store_to_read
from crawler.display import display_zone, shown
from crawler.frontier.rounds import rounds_under_way
from crawler.frontier.workers import snapshot
from crawler.recurring import next_run, triggers
from crawler.runs import problems
from crawler.sources import registry_of
from crawler.store.counters import Tallies, last_runs_in
from crawler.store.mongo import redact


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("status", help="last run and stored articles per source")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    sources = registry_of(settings)
    try:
        plan = triggers(list(sources.specs), settings)
    except ValueError as exc:
        print(f"crawler: {exc}", file=sys.stderr)
        return 2
    with store_to_read(settings) as store:
        tallied = Tallies.of(store.database, settings).of_sources(list(sources.all_specs))
    last = last_runs_in(tallied)
    zone = display_zone(settings)
    rows = [
        row(name, last.get(name), tallied.get(name, {}).get("articles", 0), plan.get(name), zone)
        for name in sources.all_specs
    ]
    header = (
        "source",
        "last run",
        "status",
        "new",
        "updated",
        "unchanged",
        "dup",
        "dropped",
        "errors",
        "stored",
        "next run",
    )
    table(header, rows)
    for name, record in last.items():
        if why := "; ".join(problems(record)):
            print(f"{name} {record['status']}: {why}")
    for name, record in last.items():
        if found := discovered(record):
            print(f"{name} discovery: {found}")
    return cluster(settings) if settings.get("REDIS_URL") else 0


def discovered(record: dict[str, Any]) -> str:
    """The last run's discovery, per kind: `feed 20 found, 5 new, 3 too old, 12 stored`."""
    return "; ".join(
        f"{kind} {n['found']} found, {n['new']} new, {n['too_old']} too old, {n['stored']} stored"
        for kind, n in (record.get("discovery") or {}).items()
    )


def table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def cluster(settings: Any) -> int:
    """The shared frontier of each source and the workers alive, from Redis."""
    try:
        depths, workers = snapshot(settings, list(registry_of(settings).specs))
    except RedisError as exc:
        print(f"crawler: redis {redact(settings.get('REDIS_URL'))} unavailable: {exc}", file=sys.stderr)
        return 1
    print("frontier")
    table(
        ("source", "round", "queued", "leased", "dead"),
        [(name, d.round, d.queued, d.leased, d.dead) for name, d in depths.items()],
    )
    zone = display_zone(settings)
    for name, depth in depths.items():
        for running in rounds_under_way(settings, name):
            print(
                f"{name}: round {running.number} in progress since {shown(running.started, zone)} — "
                f"{running.stats.get('downloader/response_count', 0)} pages, "
                f"{running.stats.get('store/new', 0)} new so far, queued {depth.queued}, "
                f"leased {depth.leased}, dead {depth.dead}"
            )
    print("workers")
    table(
        ("worker", "pid", "up (min)", "pages", "pages/min"),
        [
            (
                name,
                w["pid"],
                round((time.time() - w["started"]) / 60, 1),
                sum(w["pages"].values()),
                w["per_minute"],
            )
            for name, w in sorted(workers.items())
        ],
    )
    return 0


def when(trigger: BaseTrigger | None, last_start: datetime | None, zone: tzinfo) -> str:
    """`on demand` for `generic`: it holds what `crawler fetch` and the API stored from sites
    without a source module, and is never crawled on a schedule."""
    if trigger is None:
        return "on demand"
    upcoming = next_run(trigger, last_start, datetime.now(UTC))
    return shown(upcoming, zone) if upcoming else "-"


def row(
    source: str, last: dict[str, Any] | None, stored: int, trigger: BaseTrigger | None, zone: tzinfo
) -> tuple[Any, ...]:
    if last is None:
        return (source, "never", "-", "-", "-", "-", "-", "-", "-", stored, when(trigger, None, zone))
    counts = last["articles"]
    return (
        source,
        shown(last["started_at"], zone),
        last["status"],
        counts["new"],
        counts["updated"],
        counts["unchanged"],
        counts["duplicates"],
        sum(counts["dropped"].values()),
        last["errors"]["total"],
        stored,
        when(trigger, last["started_at"], zone),
    )
