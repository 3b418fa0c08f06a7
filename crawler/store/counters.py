"""Tallies kept at write time, so that the dashboard, /metrics and `crawler status` never count
the articles collection nor scan the run records (each method raises StoreUnavailable when the
store does not answer):

- `daily_counts` (MONGO_COUNTERS_COLLECTION): per source and day (Asia/Shanghai), articles stored
  and the copies among them;
- `sources` (MONGO_SOURCES_COLLECTION): one document per source, `_id` its name: its last run
  record (`last_run`), and totals since the store began: `articles`, `duplicates`, `runs` by
  status, `errors`, `dropped` by reason; the alert conditions that hold (`alerts`, condition ->
  since and reasons) and the alert deliveries that failed (`alert_failures` by kind)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from scrapy.settings import BaseSettings

from crawler.store.mongo import translated

DAY_ZONE = ZoneInfo("Asia/Shanghai")
DAILY_INDEXES = [
    IndexModel([("source", ASCENDING), ("day", ASCENDING)], name="source_day", unique=True),
    IndexModel([("day", ASCENDING)], name="day"),
]


def day_of(moment: datetime) -> str:
    return moment.astimezone(DAY_ZONE).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Tallies:
    daily: Collection
    sources: Collection

    @classmethod
    def of(cls, db: Database, settings: BaseSettings) -> Tallies:
        return cls(
            db[settings.get("MONGO_COUNTERS_COLLECTION")], db[settings.get("MONGO_SOURCES_COLLECTION")]
        )

    @translated
    def ensure(self) -> None:
        self.daily.create_indexes(DAILY_INDEXES)

    @translated
    def count_stored(self, created: list[dict[str, Any]], copies: set[str]) -> None:
        """Add a batch's new articles (and which of them are copies) to their source and day."""
        articles = Counter((d["source"], day_of(d["fetched_at"])) for d in created)
        duplicates = Counter((d["source"], day_of(d["fetched_at"])) for d in created if d["url"] in copies)
        if not articles:
            return
        self.daily.bulk_write(
            [
                UpdateOne(
                    {"source": source, "day": day},
                    {"$inc": {"articles": n, "duplicates": duplicates[(source, day)]}},
                    upsert=True,
                )
                for (source, day), n in articles.items()
            ],
            ordered=False,
        )
        per_source: Counter[str] = Counter()
        copied: Counter[str] = Counter()
        for (source, day), n in articles.items():
            per_source[source] += n
            copied[source] += duplicates[(source, day)]
        self.sources.bulk_write(
            [
                UpdateOne(
                    {"_id": source}, {"$inc": {"articles": n, "duplicates": copied[source]}}, upsert=True
                )
                for source, n in per_source.items()
            ],
            ordered=False,
        )

    @translated
    def record_run(self, record: dict[str, Any]) -> None:
        """Keep a source's last run, and add the run to its totals."""
        increments = {f"runs.{record['status']}": 1, "errors": record["errors"]["total"]}
        increments |= {f"dropped.{reason}": n for reason, n in record["articles"]["dropped"].items()}
        self.sources.update_one(
            {"_id": record["source"]}, {"$set": {"last_run": record}, "$inc": increments}, upsert=True
        )

    @translated
    def open_alerts(self, source: str) -> set[str]:
        found = self.sources.find_one({"_id": source}, {"alerts": 1}) or {}
        return set(found.get("alerts") or {})

    @translated
    def settle_alerts(
        self, source: str, opened: dict[str, dict[str, Any]], closed: list[str], failures: dict[str, int]
    ) -> None:
        """Conditions that began (with since and reasons), those that ended, failed deliveries."""
        update: dict[str, Any] = {}
        if opened:
            update["$set"] = {f"alerts.{condition}": state for condition, state in opened.items()}
        if closed:
            update["$unset"] = {f"alerts.{condition}": "" for condition in closed}
        if failures:
            update["$inc"] = {f"alert_failures.{kind}": n for kind, n in failures.items()}
        if update:
            self.sources.update_one({"_id": source}, update, upsert=True)

    @translated
    def of_sources(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """Each source's document, for sources that have one."""
        return {d["_id"]: d for d in self.sources.find({"_id": {"$in": names}})}

    @translated
    def last_runs(self, names: list[str]) -> dict[str, dict[str, Any]]:
        return last_runs_in(self.of_sources(names))


def last_runs_in(sources: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each source's latest run record, for sources that have one."""
    return {name: d["last_run"] for name, d in sources.items() if d.get("last_run")}
