"""Versioned writes into the articles collection, in batches.

A URL the batch's first read did not find is inserted whole, with the fields of a first version
(an insert costs the store half of what a pipeline update does). A known URL, or one another writer
inserted meanwhile (the unique index refuses the insert), gets one atomic pipeline update that
decides on the server whether the content changed, so two writers racing on one URL still leave a
correct version and fetch count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import InsertOne, MongoClient, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, CollectionInvalid, OperationFailure, PyMongoError

from crawler.store.groups import STORY_FIELDS, own_cluster_id
from crawler.store.schema import INDEXES, VALIDATOR

logger = logging.getLogger(__name__)

VALIDATION_FAILED = 121  # MongoDB error code: document failed validation
DUPLICATE_KEY = 11000  # MongoDB error code: a unique index already holds the key


class StoreUnavailable(Exception):
    """The server could not be reached or did not answer; the batch was not written."""


@dataclass
class WriteResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # URLs stored new or with new content
    moved: list[str] = field(default_factory=list)  # same content, but a new time or credit line: regroup them
    created: list[dict[str, Any]] = field(default_factory=list)  # the documents stored new, as stored


def connect(uri: str, timeout_ms: int) -> MongoClient:
    return MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms, tz_aware=True)


def ensure_collection(collection: Collection) -> None:
    """Create the collection with its validator (or update the validator) and its indexes."""
    db = collection.database
    try:
        db.create_collection(collection.name, validator=VALIDATOR, validationLevel="strict")
    except CollectionInvalid:
        db.command("collMod", collection.name, validator=VALIDATOR, validationLevel="strict")
    except OperationFailure as exc:
        if exc.code != 48:  # NamespaceExists
            raise
        db.command("collMod", collection.name, validator=VALIDATOR, validationLevel="strict")
    collection.create_indexes(INDEXES)


GROUP_FIELDS = ("cluster_id", *STORY_FIELDS)  # set by grouping, never by a write of the article
GROUPED_BY = ("published_at", "published_precision", "origin")  # besides the text: what choosing the original reads


def first_version(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as stored when its URL is new; `upsert_op` takes its story fields from here
    for a URL that is missing after all. A new article is a story of its own until grouping finds
    its copies."""
    now = doc["fetched_at"]
    return {
        **doc, "version": 1, "updated_at": now, "first_seen": now, "last_seen": now, "fetch_count": 1,
        "cluster_id": own_cluster_id(doc["url"], now), "cluster_size": 1, "duplicate_of": None,
        "original_by": "only", "dup_score": None, "mirrors": [],
    }


def upsert_op(doc: dict[str, Any]) -> UpdateOne:
    """Set the content; bump `version` and `updated_at` only when the content hash differs."""
    now = doc["fetched_at"]
    first = first_version(doc)
    changed = {"$ne": ["$content_hash", doc["content_hash"]]}
    new = {"$eq": [{"$type": "$cluster_id"}, "missing"]}
    # the same fetch written twice (a write retried, or replayed from the spool, after it had landed)
    same_fetch = {"$eq": ["$last_seen", {"$literal": now}]}
    fields = {k: {"$literal": v} for k, v in doc.items()}
    return UpdateOne(
        {"url": doc["url"]},
        [
            {
                "$set": {
                    **fields,
                    "version": {"$cond": [changed, {"$add": [{"$ifNull": ["$version", 0]}, 1]}, "$version"]},
                    "updated_at": {"$cond": [changed, {"$literal": now}, "$updated_at"]},
                    "first_seen": {"$ifNull": ["$first_seen", {"$literal": now}]},
                    "last_seen": {"$literal": now},
                    "fetch_count": {"$cond": [same_fetch, "$fetch_count", {"$add": [{"$ifNull": ["$fetch_count", 0]}, 1]}]},
                    **{name: {"$cond": [new, {"$literal": first[name]}, f"${name}"]} for name in GROUP_FIELDS},
                }
            }
        ],
        upsert=True,
    )


def write_articles(collection: Collection, docs: list[dict[str, Any]]) -> WriteResult:
    """Write a batch; documents the server refuses come back in `refused` with the reason."""
    result = WriteResult()
    if not docs:
        return result
    latest = _stored(collection, [d["url"] for d in docs])  # then as each doc leaves it
    fresh: dict[int, dict[str, Any]] = {}  # position in the batch: the document inserted
    before: dict[int, Stored] = {}  # position: what its URL held before this write
    for index, doc in enumerate(docs):
        if doc["url"] in latest:
            before[index] = latest[doc["url"]]
        else:
            fresh[index] = first_version(doc)
        latest[doc["url"]] = Stored.of(doc)
    ops = [InsertOne(fresh[i]) if i in fresh else upsert_op(d) for i, d in enumerate(docs)]
    raced = _write(collection, ops, docs, result)
    if raced:  # inserted by another writer since the read: an update like any other
        theirs = _stored(collection, [docs[i]["url"] for i in raced])
        for index in raced:
            del fresh[index]
            before[index] = theirs.get(docs[index]["url"], Stored(None, ()))
        _write(collection, [upsert_op(docs[i]) for i in raced], [docs[i] for i in raced], result, raced)
    refused = {id(doc) for doc, _ in result.refused}
    for index, doc in enumerate(docs):
        if id(doc) in refused:
            continue
        if index in fresh:
            result.new += 1
            result.changed.append(doc["url"])
            result.created.append(fresh[index])
        elif before[index].content_hash != doc["content_hash"]:
            result.updated += 1
            result.changed.append(doc["url"])
        else:
            result.unchanged += 1
            if before[index].grouped_by != Stored.of(doc).grouped_by:
                result.moved.append(doc["url"])
    return result


@dataclass(frozen=True)
class Stored:
    """What a write compares with the stored article: its content, and what grouping reads."""

    content_hash: str | None
    grouped_by: tuple[Any, ...]

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Stored:
        published = doc.get("published_at")
        if isinstance(published, datetime):  # the store keeps milliseconds, in UTC
            published = published.astimezone(UTC).replace(microsecond=published.microsecond // 1000 * 1000)
        return cls(doc.get("content_hash"), (published, *(doc.get(name) for name in GROUPED_BY[1:])))


def _stored(collection: Collection, urls: list[str]) -> dict[str, Stored]:
    """What the store holds of each of `urls` it has."""
    try:
        fields = dict.fromkeys(("url", "content_hash", *GROUPED_BY), 1)
        return {d["url"]: Stored.of(d) for d in collection.find({"url": {"$in": urls}}, fields)}
    except PyMongoError as exc:
        raise StoreUnavailable(str(exc).split(",")[0]) from exc


def _write(collection: Collection, ops: list[Any], docs: list[dict[str, Any]], result: WriteResult,
           positions: list[int] | None = None) -> list[int]:
    """One unordered bulk write; refusals go to `result`. Returns the positions (in the batch) of
    inserts the unique index refused: their URL was stored by another writer after the read."""
    positions = positions or list(range(len(docs)))
    try:
        collection.bulk_write(ops, ordered=False)
        return []
    except BulkWriteError as exc:
        raced = []
        for error in exc.details.get("writeErrors", []):
            index = error["index"]
            if error.get("code") == DUPLICATE_KEY and isinstance(ops[index], InsertOne):
                raced.append(positions[index])
                continue
            reason = "validation failed" if error.get("code") == VALIDATION_FAILED else error.get("errmsg", "")
            result.refused.append((docs[index], f"refused by server: {reason}"))
        return raced
    except PyMongoError as exc:
        raise StoreUnavailable(str(exc).split(",")[0]) from exc
