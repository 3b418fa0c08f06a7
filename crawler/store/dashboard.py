"""What the dashboard shows, read from the store by plain functions (testable without a server);
they raise pymongo's errors, which the API's store threads turn into StoreUnavailable.

None of them counts or scans the articles collection: totals and per-day figures come from the
counters kept at write time (store/counters.py), runs from the small `crawls` collection, and
article lists through indexes (source + published_at, canonical + published_at, cluster_id, url)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pymongo import DESCENDING
from pymongo.collection import Collection
from pymongo.database import Database
from scrapy.settings import BaseSettings

from crawler.store.counters import Tallies, day_of
from crawler.store.history import history
from crawler.store.search import Found, search

DAYS = 30  # days in the overview's chart
LATEST = 20  # articles on a source page
RUNS = 30  # runs on a source page
WINDOWS = (1, 24, 24 * 7, 24 * 30, 24 * 365, 0)  # hours looked back for the newest documents; 0: no bound
STORIES = 20  # story groups on the stories page
FOUND = 50  # articles a search shows
LISTED = {"url": 1, "title": 1, "site": 1, "source": 1, "published_at": 1, "duplicate_of": 1, "first_seen": 1}


def names(settings: BaseSettings) -> tuple[str, str]:
    return settings.get("MONGO_COLLECTION"), settings.get("MONGO_CRAWLS_COLLECTION")


def tallies(db: Database, settings: BaseSettings) -> Tallies:
    return Tallies.of(db, settings)


def overview(
    db: Database,
    settings: BaseSettings,
    now: datetime,
    sources: list[str],
    next_run: Callable[[str, datetime | None], datetime | None],
) -> dict[str, Any]:
    """Each source's row (its last run, when it runs next by `next_run(source, last start)`, the
    articles stored) and the articles stored per day and source over DAYS days."""
    counted = tallies(db, settings)
    tallied = counted.of_sources(sources)
    days = [day_of(now - timedelta(days=n)) for n in reversed(range(DAYS))]
    per_day: dict[str, dict[str, int]] = defaultdict(dict)
    recent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc in counted.daily.find({"day": {"$gte": days[0]}}, {"_id": 0}):
        per_day[doc["day"]][doc["source"]] = doc["articles"]
        recent[doc["source"]][0] += doc["articles"]
        recent[doc["source"]][1] += doc.get("duplicates", 0)
    rows = []
    for name in sources:
        run = tallied.get(name, {}).get("last_run")
        articles, duplicates = recent[name]
        rows.append(
            {
                "source": name,
                "run": run,
                "next_run": next_run(name, run["started_at"] if run else None),
                "stored": tallied.get(name, {}).get("articles", 0),
                "duplicate_share": duplicates / articles if articles else None,
                "alerts": tallied.get(name, {}).get("alerts") or {},
            }
        )
    return {"sources": rows, "days": days, "per_day": {d: per_day.get(d, {}) for d in days}}


def newest(
    collection: Collection,
    query: dict[str, Any],
    field: str,
    limit: int,
    now: datetime,
    projection: dict[str, int] | None = None,
    keep: Callable[[dict[str, Any]], bool] = lambda doc: True,
) -> list[dict[str, Any]]:
    """The `limit` documents with the latest `field` (and that `keep` accepts), looked for in
    widening windows back from now. Each window is one indexed range query: a server that sorts
    after its index scan (SecantusDB does) sorts an hour's or a day's documents, never the whole
    collection; conditions an index cannot answer are `keep`'s, applied here."""
    for hours in WINDOWS:
        bounded = {**query, field: {"$gte": now - timedelta(hours=hours)}} if hours else query
        found = [d for d in collection.find(bounded, projection, sort=[(field, DESCENDING)]) if keep(d)][
            :limit
        ]
        if len(found) == limit or not hours:
            return found
    return []


def source_page(db: Database, settings: BaseSettings, name: str, now: datetime) -> dict[str, Any]:
    articles, crawls = names(settings)
    runs = newest(db[crawls], {"source": name}, "started_at", RUNS, now)
    latest = newest(db[articles], {"source": name}, "published_at", LATEST, now, LISTED)
    alerts = tallies(db, settings).of_sources([name]).get(name, {}).get("alerts") or {}
    return {"source": name, "runs": runs, "latest": latest, "alerts": alerts}


def found(db: Database, settings: BaseSettings, query: str) -> Found:
    """The search box: articles by URL prefix or title words, from the title_terms index."""
    return search(db[names(settings)[0]], query, FOUND, LISTED)


def stories(db: Database, settings: BaseSettings, now: datetime, alone: bool = False) -> list[dict[str, Any]]:
    """The newest story groups with copies (`alone`: stories without copies too): each its
    original first, then its mirrors by time."""
    articles = db[names(settings)[0]]
    fields = {
        "url": 1,
        "title": 1,
        "site": 1,
        "source": 1,
        "published_at": 1,
        "first_seen": 1,
        "dup_score": 1,
        "cluster_id": 1,
        "cluster_size": 1,
        "duplicate_of": 1,
        "original_by": 1,
    }
    groups = []
    originals = newest(
        articles,
        {},
        "published_at",
        STORIES,
        now,
        fields,
        keep=lambda d: d.get("duplicate_of") is None and (alone or (d.get("cluster_size") or 1) > 1),
    )
    for original in originals:
        members = [
            m
            for m in articles.find({"cluster_id": original["cluster_id"]}, fields)
            if m["url"] != original["url"]
        ]
        members.sort(key=lambda m: m.get("published_at") or m["first_seen"])
        groups.append({"original": original, "mirrors": members})
    return groups


def article(db: Database, settings: BaseSettings, url: str) -> dict[str, Any] | None:
    return db[names(settings)[0]].find_one({"url": url}, {"dedup": 0})


def timeline(db: Database, settings: BaseSettings, url: str) -> list[dict[str, Any]]:
    """The article's versions (each with its diff against the one before) and removals."""
    return (
        history(db[names(settings)[0]], db[settings.get("MONGO_VERSIONS_COLLECTION")], url, diff=True) or []
    )


def metric_counts(db: Database, settings: BaseSettings, sources: list[str]) -> dict[str, dict[str, Any]]:
    """Totals since the store began, per source, as kept at write time: for /metrics."""
    return tallies(db, settings).of_sources(sources)
