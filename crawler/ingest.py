"""Storing a batch of article documents, the one way every writer does it (the crawl's pipeline,
the spool's replay): versioned writes, then each new or changed article joined to its story
group, then the day's counters. Only the writes can fail the batch; a grouping or counting
failure loses nothing (the article is stored, and its next change regroups it)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pymongo.collection import Collection
from pymongo.errors import PyMongoError

from crawler.dedup.group import assign
from crawler.dedup.similarity import DEFAULT, Thresholds
from crawler.sources import PUBLISHER_NAMES
from crawler.store.counters import Tallies
from crawler.store.mongo import WriteResult, write_articles

logger = logging.getLogger(__name__)


@dataclass
class Ingested:
    written: WriteResult
    originals: int = 0
    copies: set[str] = field(default_factory=set)  # URLs found to be copies of another article
    group_errors: int = 0


def ingest(articles: Collection, tallies: Tallies, docs: list[dict[str, Any]],
           thresholds: Thresholds = DEFAULT) -> Ingested:
    """Raises StoreUnavailable when the batch could not be written at all."""
    done = Ingested(write_articles(articles, docs))
    created = {doc["url"]: doc for doc in done.written.created}
    for url in done.written.changed:
        try:
            group = assign(articles, url, PUBLISHER_NAMES, thresholds, created.get(url))
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
    except PyMongoError as exc:
        logger.warning("%d article(s) stored, but the daily counters were not updated: %s",
                       len(done.written.created), exc)
    return done
