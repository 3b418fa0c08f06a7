"""Storing a batch of article documents, the one way every writer does it (the crawl's pipeline,
the spool's replay): versioned writes, then each new or changed article joined to its story
group, then the day's counters. Only the writes can fail the batch; a grouping or counting
failure loses nothing (the article is stored, and its next change regroups it).

`Store` is the one way a process writes articles: over its one StoreClient, the collection with
its validator and indexes, the tallies, the spool replayed, the grouping thresholds of the
settings; `crawler crawl`, `crawler fetch`, `crawler db replay` and the API all write so."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import PyMongoError
from scrapy.settings import BaseSettings

from crawler.dedup.original import Outlets
from crawler.dedup.similarity import DEFAULT, Thresholds
from crawler.failures import StoreUnavailable
from crawler.store.client import StoreClient
from crawler.store.counters import Tallies
from crawler.store.embedded import disk_full
from crawler.store.groups import alone, join
from crawler.store.mongo import WriteResult, ensure_collection, read_state, store_unavailable, write_articles
from crawler.store.spool import Replayed, Spool
from crawler.store.versions import Check, check_ops, ensure_versions, parse_schedule

logger = logging.getLogger(__name__)


@dataclass
class Ingested:
    written: WriteResult
    originals: int = 0
    copies: set[str] = field(default_factory=set)  # URLs found to be copies of another article
    group_errors: int = 0


@dataclass(frozen=True)
class Keeping:
    """Where versions go and when articles are checked again (RECHECK_SCHEDULE)."""

    versions: Collection | None = None
    schedule: tuple[timedelta, ...] = ()


def ingest(
    articles: Collection,
    tallies: Tallies,
    docs: list[dict[str, Any]],
    outlets: Outlets,
    thresholds: Thresholds = DEFAULT,
    keeping: Keeping = Keeping(),
) -> Ingested:
    """Raises StoreUnavailable when the batch could not be written at all. Articles stored new,
    changed, or with a new time or credit line are joined to their story group again."""
    done = Ingested(write_articles(articles, docs, keeping.versions, keeping.schedule))
    created = {doc["url"]: doc for doc in done.written.created}
    try:
        solo = alone(articles, done.written.created)
    except PyMongoError as exc:
        logger.warning("looking for copies of %d new article(s) at once failed: %s", len(created), exc)
        solo = set()  # each is looked up on its own below
    for url in done.written.changed + done.written.moved:
        if url in solo:
            done.originals += 1
            continue
        try:
            group = join(articles, url, outlets, thresholds, created.get(url))
        except PyMongoError as exc:
            done.group_errors += 1
            logger.warning("%s: stored, but grouping failed: %s", url, exc)
            continue
        if group is not None and group.original != url:
            done.copies.add(url)
        else:
            done.originals += 1
    try:
        tallies.count_stored(done.written.created, done.copies)
    except StoreUnavailable as exc:
        logger.warning(
            "%d article(s) stored, but the daily counters were not updated: %s",
            len(done.written.created),
            exc,
        )
    return done


def thresholds_from(settings: BaseSettings) -> Thresholds:
    return Thresholds(
        match_distance=settings.getint("DEDUP_MATCH_DISTANCE"),
        min_coverage=settings.getfloat("DEDUP_MIN_COVERAGE"),
        min_shared_units=settings.getint("DEDUP_MIN_SHARED_UNITS"),
        common_unit_clusters=settings.getint("DEDUP_COMMON_UNIT_CLUSTERS"),
    )


class Store:
    """The articles' writer of a process: versioned writes and grouping over its StoreClient, the
    tallies, the spool and the thresholds, all from the settings, and what grouping knows of the
    sources (`crawler.sources.OUTLETS`), passed in by the caller. Nothing connects before the first
    write or read, so a store that cannot be reached, or started, fails them, not the command."""

    def __init__(self, client: StoreClient, outlets: Outlets) -> None:
        settings = client.settings
        self.client = client
        self.uri = client.name  # for messages: no credentials
        self.spool = Spool(settings.get("SPOOL_PATH"))
        self.thresholds = thresholds_from(settings)
        self.schedule = parse_schedule(settings.get("RECHECK_SCHEDULE"))
        self.outlets = outlets
        self.prepared = False

    @property
    def articles(self) -> Collection:
        return self.client.collection()

    @property
    def tallies(self) -> Tallies:
        return Tallies.of(self.client.database, self.client.settings)

    @property
    def keeping(self) -> Keeping:
        return Keeping(self.client.collection("MONGO_VERSIONS_COLLECTION"), self.schedule)

    def prepare(self) -> Replayed:
        """Collection, validator, indexes and tallies made ready, then the spool replayed; once
        per process (again only after a failure). Raises StoreUnavailable while the store is down."""
        if self.prepared:
            return Replayed()
        try:
            ensure_collection(self.articles)
            assert self.keeping.versions is not None
            ensure_versions(self.keeping.versions)
            self.tallies.ensure()
            replayed = self.spool.replay(lambda docs: self.write(docs).written)
        except PyMongoError as exc:
            raise store_unavailable(exc) from exc
        self.prepared = True
        return replayed

    def write(self, docs: list[dict[str, Any]]) -> Ingested:
        """Raises StoreUnavailable when the batch could not be written at all, or would leave the
        embedded store's disk too full for its journal (see `room`)."""
        self.room()
        return ingest(self.articles, self.tallies, docs, self.outlets, self.thresholds, self.keeping)

    def room(self) -> None:
        """Raises StoreUnavailable (disk_full) while the embedded store's folder has less room than
        its journal needs. WiredTiger panics when a log file cannot be written, and the write it
        acknowledged last before its panic can be missing after recovery (5 of 85 in
        bench/disk_full.py's runs): so the crawler stops writing before the disk is full, as
        Elasticsearch's flood-stage watermark does, and spools instead."""
        if self.client.embedded is not None and (full := disk_full(self.client.embedded)):
            raise StoreUnavailable(full, disk_full=True)

    def check(self, checks: list[Check]) -> int:
        """Record re-checks that stored no text (304s, removals); returns how many were of stored
        articles. Raises StoreUnavailable when the store could not take them."""
        self.room()
        try:
            stored = read_state(self.articles, [c.url for c in checks])
            ops = check_ops(checks, stored, self.keeping.schedule)
            if ops:
                self.articles.bulk_write(ops, ordered=True)
        except PyMongoError as exc:
            raise store_unavailable(exc) from exc
        return len(ops)

    def full_disk(self, exc: StoreUnavailable) -> str | None:
        """Why the store cannot take writes for want of disk space, if that is why `exc` came:
        the server said so, or the embedded store's folder lacks the room its journal needs."""
        if exc.disk_full:
            return str(exc)
        return (
            disk_full(self.client.embedded) if self.client.embedded is not None else None
        )  # it filled meanwhile

    def close(self) -> None:
        self.client.close()
