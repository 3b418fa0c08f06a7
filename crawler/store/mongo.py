"""Versioned upserts into the articles collection, in batches.

One atomic pipeline update per article decides on the server whether the content changed, so two
writers racing on one URL still leave a correct version and fetch count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pymongo import MongoClient, UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, CollectionInvalid, OperationFailure, PyMongoError

from crawler.dedup.group import own_cluster_id
from crawler.store.schema import INDEXES, VALIDATOR

logger = logging.getLogger(__name__)

VALIDATION_FAILED = 121  # MongoDB error code: document failed validation


class StoreUnavailable(Exception):
    """The server could not be reached or did not answer; the batch was not written."""


@dataclass
class WriteResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # URLs stored new or with new content
    created: list[dict[str, Any]] = field(default_factory=list)  # the documents stored new


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


def upsert_op(doc: dict[str, Any]) -> UpdateOne:
    """Set the content; bump `version` and `updated_at` only when the content hash differs."""
    now = doc["fetched_at"]
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
                    # a new article is a story of its own until grouping finds its copies
                    "cluster_id": {"$cond": [new, own_cluster_id(doc["url"], now), "$cluster_id"]},
                    "cluster_size": {"$cond": [new, 1, "$cluster_size"]},
                    "duplicate_of": {"$cond": [new, None, "$duplicate_of"]},
                    "dup_score": {"$cond": [new, None, "$dup_score"]},
                    "mirrors": {"$cond": [new, [], "$mirrors"]},
                }
            }
        ],
        upsert=True,
    )


def write_articles(collection: Collection, docs: list[dict[str, Any]]) -> WriteResult:
    """Upsert a batch; documents the server refuses come back in `refused` with the reason."""
    result = WriteResult()
    if not docs:
        return result
    try:
        known = {
            d["url"]: d.get("content_hash")
            for d in collection.find({"url": {"$in": [d["url"] for d in docs]}}, {"url": 1, "content_hash": 1})
        }
        collection.bulk_write([upsert_op(d) for d in docs], ordered=False)
        failed: set[int] = set()
    except BulkWriteError as exc:
        failed = set()
        for error in exc.details.get("writeErrors", []):
            failed.add(error["index"])
            reason = "validation failed" if error.get("code") == VALIDATION_FAILED else error.get("errmsg", "")
            result.refused.append((docs[error["index"]], f"refused by server: {reason}"))
    except PyMongoError as exc:
        raise StoreUnavailable(str(exc).split(",")[0]) from exc
    for index, doc in enumerate(docs):
        if index in failed:
            continue
        if doc["url"] not in known:
            result.new += 1
            result.changed.append(doc["url"])
            result.created.append(doc)
        elif known[doc["url"]] != doc["content_hash"]:
            result.updated += 1
            result.changed.append(doc["url"])
        else:
            result.unchanged += 1
    return result
