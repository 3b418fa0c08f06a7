"""Versioned writes into the articles collection, in batches.

A URL the batch's first read did not find is inserted whole, with the fields of a first version
(an insert costs the store half of what a pipeline update does). A known URL, or one another writer
inserted meanwhile (the unique index refuses the insert), gets one atomic pipeline update that
decides on the server whether the content changed, so two writers racing on one URL still leave a
correct version and fetch count.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from pymongo import InsertOne, MongoClient, UpdateOne
from pymongo.client_session import ClientSession
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError
from pymongo.monitoring import ServerHeartbeatListener

from crawler.changes import substantive
from crawler.failures import StoreUnavailable
from crawler.store.groups import STORY_FIELDS, own_cluster_id
from crawler.store.schema import INDEXES, VALIDATOR
from crawler.store.validated import ensure_validated
from crawler.store.versions import CAUSE, backfill_op, next_check, returned, version_op

logger = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")

VALIDATION_FAILED = 121  # MongoDB error code: document failed validation
DUPLICATE_KEY = 11000  # MongoDB error code: a unique index already holds the key


OUT_OF_DISK_SPACE = 14031  # MongoDB error code: the server's disk is full
_USER_INFO = re.compile(r"(?<=://)[^/@\s]+@")  # mongodb://user:password@host: never printed


def store_unavailable(exc: PyMongoError) -> StoreUnavailable:
    """pymongo's error in one line: its first clause, with any URI's user info taken out."""
    first = (str(exc).splitlines() or [type(exc).__name__])[0].split(",")[0].split(" (configured timeouts")[0]
    code = exc.code if isinstance(exc, OperationFailure) else None
    return StoreUnavailable(redact(first), disk_full=code == OUT_OF_DISK_SPACE)


def translated(function: Callable[P, T]) -> Callable[P, T]:
    """`function` raising StoreUnavailable where pymongo raises: callers outside crawler/store/
    handle one exception and never import pymongo."""

    @wraps(function)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return function(*args, **kwargs)
        except PyMongoError as exc:
            raise store_unavailable(exc) from exc

    return call


def redact(text: str) -> str:
    """`text` with the user info of every URI in it taken out."""
    return _USER_INFO.sub("", text)


@dataclass
class WriteResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # URLs stored new or with new content
    moved: list[str] = field(
        default_factory=list
    )  # same content, but a new time or credit line: regroup them
    created: list[dict[str, Any]] = field(default_factory=list)  # the documents stored new, as stored
    versions: int = 0  # version documents written: one per article stored new or with a new text


def connect(uri: str, timeout_ms: int, listeners: Sequence[ServerHeartbeatListener] = ()) -> MongoClient:
    """A client whose writes are acknowledged once journalled on disk."""
    return MongoClient(
        uri,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        tz_aware=True,
        journal=True,
        event_listeners=list(listeners),
    )


def ensure_collection(collection: Collection) -> None:
    """Create the articles collection with its validator (or update the validator) and its indexes."""
    ensure_validated(collection, VALIDATOR, INDEXES)


GROUP_FIELDS = ("cluster_id", *STORY_FIELDS)  # set by grouping, never by a write of the article
GROUPED_BY = (
    "published_at",
    "published_precision",
    "origin",
)  # besides the text: what choosing the original reads
# a cosmetic re-fetch (the same text but for white space or character width) keeps the stored text,
# so an article's text is always that of its latest version
TEXT_FIELDS = (
    "title",
    "body",
    "content_hash",
    "dedup",
    "title_terms",
    "clean_audit",
    "lang",
    "images",
    "pages",
    "pages_missing",
    "pages_missing_why",
)
STATE_FIELDS = (
    "url",
    "content_hash",
    "version",
    "first_seen",
    "removed_at",
    "removals",
    "outages",
    *GROUPED_BY,
)
TEXT_READ = (
    "url",
    "source",
    "title",
    "body",
    "published_at",
    "content_hash",
    "version",
    "first_seen",
    "updated_at",
)


def first_version(doc: dict[str, Any], recheck_at: datetime | None = None) -> dict[str, Any]:
    """The document as stored when its URL is new; `upsert_op` takes its story fields from here
    for a URL that is missing after all. A new article is a story of its own until grouping finds
    its copies."""
    now = doc["fetched_at"]
    return {
        **{k: v for k, v in doc.items() if k != CAUSE},
        "version": 1,
        "updated_at": now,
        "first_seen": now,
        "last_seen": now,
        "fetch_count": 1,
        "recheck_at": recheck_at,
        "cluster_id": own_cluster_id(doc["url"], now),
        "cluster_size": 1,
        "duplicate_of": None,
        "original_by": "only",
        "dup_score": None,
        "mirrors": [],
    }


def upsert_op(
    doc: dict[str, Any],
    recheck_at: datetime | None = None,
    keep_text: bool = False,
    also: dict[str, Any] | None = None,
) -> UpdateOne:
    """Set the content; bump `version` and `updated_at` only when the content hash differs. With
    `keep_text`, the stored text stays (a cosmetic change); `also` sets further fields as given."""
    now = doc["fetched_at"]
    first = first_version(doc, recheck_at)
    written = {k: v for k, v in doc.items() if not (keep_text and k in TEXT_FIELDS) and k != CAUSE}
    changed = {"$ne": ["$content_hash", written.get("content_hash", "$content_hash")]}
    new = {"$eq": [{"$type": "$cluster_id"}, "missing"]}
    # the same fetch written twice (a write retried, or replayed from the spool, after it had landed)
    same_fetch = {"$eq": ["$last_seen", {"$literal": now}]}
    fields = {k: {"$literal": v} for k, v in {**written, "recheck_at": recheck_at, **(also or {})}.items()}
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
                    "fetch_count": {
                        "$cond": [same_fetch, "$fetch_count", {"$add": [{"$ifNull": ["$fetch_count", 0]}, 1]}]
                    },
                    **{
                        name: {"$cond": [new, {"$literal": first[name]}, f"${name}"]} for name in GROUP_FIELDS
                    },
                }
            }
        ],
        upsert=True,
    )


def supports_transactions(client: MongoClient) -> bool:
    """A replica set or a sharded cluster (the compose file's MongoDB, the embedded SecantusDB);
    a standalone mongod has none."""
    try:
        if client.topology_description.topology_type_name == "Unknown":
            client.admin.command("ping")
    except PyMongoError as exc:
        raise store_unavailable(exc) from exc
    return client.topology_description.topology_type_name in (
        "ReplicaSetWithPrimary",
        "Sharded",
        "LoadBalanced",
    )


def write_articles(
    collection: Collection,
    docs: list[dict[str, Any]],
    versions: Collection | None = None,
    schedule: tuple[timedelta, ...] = (),
) -> WriteResult:
    """Write a batch, and each new version's document to `versions`, in one transaction where the
    server has them; documents the server refuses come back in `refused` with the reason.

    Without transactions (a standalone mongod) the versions are written first, then the articles:
    a crash between leaves a version document its article's next write writes again, the same."""
    result = WriteResult()
    if not docs:
        return result
    client = collection.database.client
    pending = list(range(len(docs)))
    if versions is None or not supports_transactions(client):
        while pending:  # a failed op leaves the others written: only inserts another writer raced are redone
            plan = _plan(collection, [docs[i] for i in pending], schedule)
            outcome = _execute(collection, versions, plan, None)
            _tally(result, plan, outcome.written)
            result.refused.extend(outcome.refused)
            pending = [pending[i] for i in outcome.raced]
        return result
    while pending:  # a failed op aborts them all: the refused are left out and the rest written again
        batch = [docs[i] for i in pending]
        with client.start_session() as session:
            try:
                plan, outcome = session.with_transaction(
                    lambda s: _attempt(collection, versions, batch, schedule, s)  # noqa: B023 - called at once
                )
            except PyMongoError as exc:
                raise store_unavailable(exc) from exc
            except _Failed as failed:
                result.refused.extend(failed.outcome.refused)
                refused = {id(doc) for doc, _ in failed.outcome.refused}
                pending = [i for i in pending if id(docs[i]) not in refused]
                continue
        _tally(result, plan, outcome.written)
        break
    return result


@dataclass
class Planned:
    """What writing one document will do, decided from what the store holds before the write."""

    doc: dict[str, Any]
    op: InsertOne | UpdateOne
    kind: str  # "new", "updated" (a new version), "unchanged" (the same text, or a cosmetic change of it)
    moved: bool = False  # unchanged text, but a new time or credit line: regroup it
    stored: dict[str, Any] | None = None  # the document inserted, for a new URL


@dataclass
class Plan:
    items: list[Planned]
    version_ops: list[UpdateOne]


@dataclass
class Outcome:
    written: set[int]  # positions in the plan written
    refused: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    raced: list[int] = field(default_factory=list)  # positions of inserts another writer's insert beat


class _Failed(Exception):
    """A write of the batch failed inside its transaction, which is aborted."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__("write failed")
        self.outcome = outcome


def _attempt(
    collection: Collection,
    versions: Collection | None,
    docs: list[dict[str, Any]],
    schedule: tuple[timedelta, ...],
    session: ClientSession,
) -> tuple[Plan, Outcome]:
    plan = _plan(collection, docs, schedule, session)
    outcome = _execute(collection, versions, plan, session)
    if outcome.refused or outcome.raced:
        raise _Failed(outcome)
    return plan, outcome


def _plan(
    collection: Collection,
    docs: list[dict[str, Any]],
    schedule: tuple[timedelta, ...],
    session: ClientSession | None = None,
) -> Plan:
    """Each document's op and outcome, and the version documents the batch makes."""
    latest = _read(collection, [d["url"] for d in docs], STATE_FIELDS, session)  # then as each doc leaves it
    texts = _read(
        collection,
        [
            d["url"]
            for d in docs
            if d["url"] in latest and latest[d["url"]].get("content_hash") != d["content_hash"]
        ],
        TEXT_READ,
        session,
    )
    items, version_ops = [], []
    unversioned = set(texts)  # stored texts that may predate versions: their version is written if missing
    for doc in docs:
        now, before = doc["fetched_at"], latest.get(doc["url"])
        if before is None:
            stored = first_version(doc, next_check(now, now, schedule))
            items.append(Planned(doc, InsertOne(stored), "new", stored=stored))
            version_ops.append(version_op(doc, 1, None))
            latest[doc["url"]] = {**stored, "body": doc["body"]}
            texts[doc["url"]] = latest[doc["url"]]
            continue
        recheck_at = next_check(before["first_seen"], now, schedule) if before.get("first_seen") else None
        also = returned(before, now) if before.get("removed_at") is not None else {}
        kind, keep_text = "unchanged", False
        if before.get("content_hash") != doc["content_hash"]:
            old = texts.get(doc["url"]) or {}
            if substantive((old.get("title") or "", old.get("body") or ""), (doc["title"], doc["body"])):
                kind, version = "updated", int(before.get("version") or 0) + 1
                if doc["url"] in unversioned:
                    unversioned.discard(doc["url"])
                    version_ops.append(backfill_op(old))
                version_ops.append(version_op(doc, version, old.get("body")))
                texts[doc["url"]] = {**old, **doc, "version": version}
            else:
                keep_text = True
        moved = kind == "unchanged" and _grouped_by(before) != _grouped_by(doc)
        items.append(Planned(doc, upsert_op(doc, recheck_at, keep_text, also), kind, moved))
        latest[doc["url"]] = {
            **before,
            **{k: v for k, v in doc.items() if not (keep_text and k in TEXT_FIELDS)},
            "version": int(before.get("version") or 0) + (kind == "updated"),
            "removed_at": None,
            "removals": also.get("removals", before.get("removals")),
            "outages": also.get("outages", before.get("outages")),
        }
    return Plan(items, version_ops)


def _execute(
    collection: Collection, versions: Collection | None, plan: Plan, session: ClientSession | None
) -> Outcome:
    """Versions first, then the articles, in one unordered bulk write each."""
    if versions is not None and plan.version_ops:
        try:
            versions.bulk_write(plan.version_ops, ordered=False, session=session)
        except PyMongoError as exc:  # a version the validator refuses is a bug here, not a bad page
            raise store_unavailable(exc) from exc
    ops = [item.op for item in plan.items]
    refused, raced = _write(collection, ops, [item.doc for item in plan.items], session)
    failed = {i for i in raced} | {i for i, _ in refused}
    return Outcome(
        {i for i in range(len(ops)) if i not in failed},
        [(plan.items[i].doc, reason) for i, reason in refused],
        raced,
    )


def _tally(result: WriteResult, plan: Plan, written: set[int]) -> None:
    for index, item in enumerate(plan.items):
        if index not in written:
            continue
        url = item.doc["url"]
        if item.kind == "new":
            result.new += 1
            result.changed.append(url)
            assert item.stored is not None
            result.created.append(item.stored)
        elif item.kind == "updated":
            result.updated += 1
            result.changed.append(url)
        else:
            result.unchanged += 1
            if item.moved:
                result.moved.append(url)
    result.versions += sum(
        item.kind in ("new", "updated") for i, item in enumerate(plan.items) if i in written
    )


def _grouped_by(doc: dict[str, Any]) -> tuple[Any, ...]:
    """What choosing the original reads of an article, as the store keeps it (ms, UTC)."""
    published = doc.get("published_at")
    if isinstance(published, datetime):
        published = published.astimezone(UTC).replace(microsecond=published.microsecond // 1000 * 1000)
    return (published, *(doc.get(name) for name in GROUPED_BY[1:]))


def read_state(
    collection: Collection, urls: list[str], session: ClientSession | None = None
) -> dict[str, dict[str, Any]]:
    """What a write or a check reads of the stored articles among `urls`."""
    return _read(collection, urls, STATE_FIELDS, session)


def _read(
    collection: Collection, urls: list[str], fields: tuple[str, ...], session: ClientSession | None
) -> dict[str, dict[str, Any]]:
    if not urls:
        return {}
    try:
        found = collection.find(
            {"url": {"$in": sorted(set(urls))}}, dict.fromkeys(fields, 1), session=session
        )
        return {d["url"]: d for d in found}
    except PyMongoError as exc:
        raise store_unavailable(exc) from exc


def _write(
    collection: Collection, ops: list[Any], docs: list[dict[str, Any]], session: ClientSession | None
) -> tuple[list[tuple[int, str]], list[int]]:
    """One unordered bulk write. Returns the positions the server refused, with the reason, and
    those of inserts the unique index refused: their URL was stored by another writer after the read."""
    try:
        collection.bulk_write(ops, ordered=False, session=session)
        return [], []
    except BulkWriteError as exc:
        refused, raced = [], []
        for error in exc.details.get("writeErrors", []):
            index = error["index"]
            if error.get("code") == DUPLICATE_KEY and isinstance(ops[index], InsertOne):
                raced.append(index)
                continue
            reason = (
                "validation failed" if error.get("code") == VALIDATION_FAILED else error.get("errmsg", "")
            )
            refused.append((index, f"refused by server: {reason}"))
        return refused, raced
    except PyMongoError as exc:
        if session is not None and exc.has_error_label("TransientTransactionError"):
            raise  # with_transaction runs the whole attempt again
        raise store_unavailable(exc) from exc
