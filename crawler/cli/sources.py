"""`crawler sources`: every source, built in or added as a file (SOURCES_DIR), with its domains,
schedule, discovery URLs, layouts and last run, as a table or one JSON object per line (`--json`).
An added source not enabled yet is listed as such: it is not crawled."""

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
from crawler.sources import BUILT_IN, GENERIC, added_sources
from crawler.sources.spec import SourceSpec
from crawler.store.client import StoreClient
from crawler.store.counters import Tallies, last_runs_in

ON_DEMAND = "on demand"  # the generic source's schedule: it crawls what it is given
DISABLED = "not enabled"  # an added source's, until the operator enables it
BUILT = "built in"  # where a source module's declaration is


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "sources", help="every source: domains, schedule, discovery URLs, layouts, last run"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per source and line")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    files = added_sources(settings)
    last, trouble = last_runs(settings, [*BUILT_IN.all_specs, *(file.spec.name for file in files)])
    described = [describe(spec, settings, last.get(spec.name), BUILT) for spec in BUILT_IN.all_specs.values()]
    described += [
        describe(file.spec, settings, last.get(file.spec.name), str(file.path), file.enabled)
        for file in files
    ]
    if args.json:
        for entry in described:
            print(json.dumps(entry, ensure_ascii=False, default=str))
    else:
        zone = display_zone(settings)
        header = ("source", "domains", "schedule", "discovery", "layouts", "last run", "declared")
        table(header, [row(entry, zone) for entry in described])
    if trouble:
        print(f"crawler: last runs unknown: {trouble}", file=sys.stderr)
        return 1
    return 0


def describe(
    spec: SourceSpec, settings: BaseSettings, last: dict[str, Any] | None, declared: str, enabled: bool = True
) -> dict[str, Any]:
    """What a source is and does: as its spec declares it (in a module, `built in`, or the file
    named), as this deployment's settings run it."""
    if spec is GENERIC:
        schedule = ON_DEMAND
    elif not enabled:
        schedule = DISABLED
    else:
        schedule = settings.getdict("SCHEDULES").get(spec.name, settings.get("SCHEDULE_DEFAULT"))
    return {
        "source": spec.name,
        "declared": declared,
        "enabled": enabled,
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
        entry["declared"],
    )


def last_runs(settings: BaseSettings, names: list[str]) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Each source's last run from the store, and why there are none when it did not answer (a
    store never made holds no runs: that is no trouble)."""
    store = StoreClient(settings)
    if store.missing():
        return {}, None
    try:
        with store:
            return last_runs_in(Tallies.of(store.database, settings).of_sources(names)), None
    except StoreUnavailable as exc:
        return {}, store.unavailable(exc)
