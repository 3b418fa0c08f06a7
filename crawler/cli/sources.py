"""`crawler sources`: every source with its domains, schedule, discovery URLs, layouts and last run,
as a table or one JSON object per line (`--json`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from scrapy.settings import BaseSettings

from crawler.cli.settings import load_settings
from crawler.cli.status import table
from crawler.display import display_zone, shown
from crawler.failures import StoreUnavailable
from crawler.sources import ALL_SPECS, GENERIC
from crawler.sources.spec import SourceSpec
from crawler.store.client import StoreClient
from crawler.store.counters import Tallies, last_runs_in

ON_DEMAND = "on demand"  # the generic source's schedule: it crawls what it is given


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "sources", help="every source: domains, schedule, discovery URLs, layouts, last run"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per source and line")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    last, trouble = last_runs(settings)
    described = [describe(spec, settings, last.get(spec.name)) for spec in ALL_SPECS.values()]
    if args.json:
        for entry in described:
            print(json.dumps(entry, ensure_ascii=False, default=str))
    else:
        zone = display_zone(settings)
        header = ("source", "domains", "schedule", "discovery", "layouts", "last run")
        table(header, [row(entry, zone) for entry in described])
    if trouble:
        print(f"crawler: last runs unknown: {trouble}", file=sys.stderr)
        return 1
    return 0


def describe(spec: SourceSpec, settings: BaseSettings, last: dict[str, Any] | None) -> dict[str, Any]:
    """What a source is and does: as its spec declares it, as this deployment's settings run it."""
    schedule = (
        ON_DEMAND
        if spec is GENERIC
        else settings.getdict("SCHEDULES").get(spec.name, settings.get("SCHEDULE_DEFAULT"))
    )
    return {
        "source": spec.name,
        "domains": list(spec.domains),
        "schedule": schedule,
        "start_urls": list(settings.getdict("SOURCE_START_URLS").get(spec.name) or spec.start_urls),
        "layouts": [{"name": layout.name, "marker": layout.marker} for layout in spec.layouts],
        "last_run": {"started_at": last["started_at"], "status": last["status"]} if last else None,
    }


def row(entry: dict[str, Any], zone: Any) -> tuple[str, ...]:
    run = entry["last_run"]
    return (
        entry["source"],
        ", ".join(entry["domains"]) or "any",
        entry["schedule"],
        " ".join(entry["start_urls"]) or "-",
        ", ".join(layout["name"] for layout in entry["layouts"]) or "generic path",
        f"{shown(run['started_at'], zone)} {run['status']}" if run else "never",
    )


def last_runs(settings: BaseSettings) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Each source's last run from the store, and why there are none when it did not answer (a
    store never made holds no runs: that is no trouble)."""
    store = StoreClient(settings)
    if store.missing():
        return {}, None
    try:
        with store:
            return last_runs_in(Tallies.of(store.database, settings).of_sources(list(ALL_SPECS))), None
    except StoreUnavailable as exc:
        return {}, store.unavailable(exc)
