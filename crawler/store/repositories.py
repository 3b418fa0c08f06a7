"""What the crawl's components and the commands ask of the store, beside the articles' writes
(store/ingest.py): small named repositories over one StoreClient. Each method raises
StoreUnavailable when the store does not answer; none of their callers imports pymongo."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DESCENDING, UpdateOne
from pymongo.errors import DuplicateKeyError

from crawler.store.client import StoreClient
from crawler.store.counters import Tallies
from crawler.store.jsonout import article_json
from crawler.store.mongo import translated

SEEN_FIELDS = {"url": 1, "published_at": 1, "first_seen": 1, "last_seen": 1, "pages_missing": 1}
RECHECK_FIELDS = {"_id": 0, "url": 1, "etag": 1, "last_modified": 1}


class Articles:
    """Reads of stored articles a crawl or a fetch makes (incremental discovery, re-checks, the
    answer to an on-demand fetch)."""

    def __init__(self, store: StoreClient) -> None:
        self.store = store

    @translated
    def seen(self, urls: list[str]) -> dict[str, dict[str, Any]]:
        """The stored ones among `urls`: when published, first and last fetched."""
        found = self.store.collection().find({"url": {"$in": sorted(set(urls))}}, SEEN_FIELDS)
        return {doc["url"]: doc for doc in found}

    @translated
    def due(self, source: str, now: datetime, limit: int) -> list[dict[str, Any]]:
        """The source's articles whose re-check is due, the longest due first, with the
        validators of their last response and the pages they miss."""
        found = self.store.collection().find(
            {"source": source, "recheck_at": {"$lte": now}},
            {"_id": 0, "url": 1, "etag": 1, "last_modified": 1, "pages_missing": 1},
        )
        return list(found.sort("recheck_at", 1).limit(limit))

    @translated
    def new_between(self, source: str, start: datetime, end: datetime) -> tuple[int, int]:
        """The source's articles first stored from `start` to `end`, and the copies among them: a
        distributed round's new articles, counted where they are (index `source_first_seen`)."""
        query = {"source": source, "first_seen": {"$gte": start, "$lte": end}}
        articles = self.store.collection()
        return articles.count_documents(query), articles.count_documents(
            {**query, "duplicate_of": {"$ne": None}}
        )

    @translated
    def as_json(self, urls: list[str]) -> dict[str, dict[str, Any]]:
        """The stored ones among `urls` as `crawler fetch` prints them."""
        return {d["url"]: article_json(d) for d in self.store.collection().find({"url": {"$in": urls}})}


class Validators:
    """ETag / Last-Modified of listing pages, per URL (MONGO_VALIDATORS_COLLECTION)."""

    def __init__(self, store: StoreClient) -> None:
        self.store = store

    @translated
    def known(self, url: str) -> dict[str, Any] | None:
        return self.store.collection("MONGO_VALIDATORS_COLLECTION").find_one({"_id": url})

    @translated
    def remember(self, seen: dict[str, dict[str, Any]]) -> None:
        if seen:
            ops = [UpdateOne({"_id": url}, {"$set": fields}, upsert=True) for url, fields in seen.items()]
            self.store.collection("MONGO_VALIDATORS_COLLECTION").bulk_write(ops)


class Runs:
    """Run records (MONGO_CRAWLS_COLLECTION) and the source tallies a record updates."""

    def __init__(self, store: StoreClient) -> None:
        self.store = store

    @property
    def tallies(self) -> Tallies:
        return Tallies.of(self.store.database, self.store.settings)

    @translated
    def latest(self, source: str, fields: dict[str, int], limit: int) -> list[dict[str, Any]]:
        """The source's last `limit` runs, newest first."""
        runs = self.store.collection("MONGO_CRAWLS_COLLECTION")
        return list(runs.find({"source": source}, fields, sort=[("started_at", DESCENDING)], limit=limit))

    @translated
    def record_once(self, record: dict[str, Any]) -> bool:
        """A distributed round's record, kept once however many workers write it (`round_id`)."""
        runs = self.store.collection("MONGO_CRAWLS_COLLECTION")
        runs.create_index("round_id", name="round_id", unique=True, sparse=True)
        try:
            self.record(record)
        except DuplicateKeyError:
            return False
        return True

    @translated
    def record(self, record: dict[str, Any]) -> None:
        runs = self.store.collection("MONGO_CRAWLS_COLLECTION")
        runs.create_index([("source", 1), ("started_at", DESCENDING)], name="source_started_at")
        runs.insert_one(record)
        self.tallies.record_run(record)
