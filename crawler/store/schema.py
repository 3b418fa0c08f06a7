"""The `articles` collection: its JSON-schema validator, its indexes, and the document an Article
becomes. docs/schema.md describes every field listed here."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from bson.int64 import Int64
from itemadapter import ItemAdapter
from pymongo import ASCENDING, DESCENDING, IndexModel

from crawler.items import STORED_FIELDS
from crawler.store.groups import DEDUP_INDEXES
from crawler.store.search import SEARCH_INDEXES, title_terms
from crawler.store.versions import REMOVED_HOW

STORE_FIELDS: dict[str, str] = {
    "content_hash": "SHA-1 (hex) of title + body; a change bumps `version`.",
    "version": "1 when first stored; +1 each time the content hash changes.",
    "first_seen": "When the URL was first stored (UTC).",
    "last_seen": "When the URL was last fetched (UTC).",
    "updated_at": "When the content last changed (UTC).",
    "fetch_count": "How many times the URL was fetched and stored.",
    "recheck_at": (
        "When the article is due to be fetched again (RECHECK_SCHEDULE, counted from first_seen); null once "
        "the schedule is done."
    ),
    "removed_at": (
        "When a re-check first found the article gone (404/410, a redirect to the home or a channel page, "
        'the source\'s "deleted" page); null, or absent, while it is there.'
    ),
    "removed_how": (
        "How it was found gone: http_404, http_410, redirect_home, redirect_channel or deleted_page; null "
        "with removed_at."
    ),
    "removals": (
        "Every removal and return: [{removed_at, how, returned_at, confirmed_at, capture}], returned_at null "
        "while still gone; confirmed_at when a later check found it still gone; capture the WARC record of "
        "the answer that showed it."
    ),
    "outages": (
        "Removals that were a flapping server: gone at one check, back at the next, with no check between "
        "confirming it: [{gone_at, back_at, how, capture}]."
    ),
    "cluster_id": (
        "Story group: the same for every copy of one story; 20 hex characters, the oldest group's id wins a "
        "merge."
    ),
    "duplicate_of": "URL of the story's original, or null when this article is the original.",
    "original_by": (
        "Why the group's original is the original (dedup/original.py): only, credited, earliest, not_repost, "
        "precise or first_seen."
    ),
    "dup_score": (
        "Similarity to the original (share of the shorter text found in the other), null on the original."
    ),
    "mirrors": "On the original: URLs of its copies; empty on copies.",
    "cluster_size": "On the original: how many stored articles the story group has; null on copies.",
    "title_terms": (
        "Search terms of the title (store/search.py): its Latin words, lower case, and the pairs of its "
        "Chinese characters, in Simplified script; indexed, for the dashboard's search."
    ),
}

_STRING_OR_NULL = {"bsonType": ["string", "null"]}


def _events(required: list[str], **times: dict[str, Any]) -> dict[str, Any]:
    """A list of removal-like events: each says how the page was found gone, its times, and the
    WARC record of the answer that showed it."""
    properties = {**times, "how": {"enum": list(REMOVED_HOW)}, "capture": {"bsonType": ["object", "null"]}}
    return {
        "bsonType": "array",
        "items": {"bsonType": "object", "required": required, "properties": properties},
    }


VALIDATOR: dict[str, Any] = {
    "$jsonSchema": {
        "bsonType": "object",
        "required": [
            "url",
            "source",
            "site",
            "title",
            "body",
            "lang",
            "fetched_at",
            "content_hash",
            "version",
        ],
        "properties": {
            "url": {"bsonType": "string", "pattern": "^https?://"},
            "source": {"bsonType": "string", "minLength": 1},
            "site": {"bsonType": "string"},
            "title": {"bsonType": "string", "minLength": 1},
            "body": {"bsonType": "string", "minLength": 1},
            "extracted_by": {"bsonType": "string"},
            "extracted_why": {"bsonType": "string"},
            "published_at": {"bsonType": ["date", "null"]},
            "published_raw": _STRING_OR_NULL,
            "published_ignored": _STRING_OR_NULL,
            "published_precision": {
                "bsonType": ["string", "null"],
                "enum": ["second", "minute", "hour", "day", None],
            },
            "timezone": _STRING_OR_NULL,
            "author": _STRING_OR_NULL,
            "author_raw": _STRING_OR_NULL,
            "origin": _STRING_OR_NULL,
            "original_title": _STRING_OR_NULL,
            "lang": {"bsonType": "string"},
            "images": {"bsonType": "array", "items": {"bsonType": "string"}},
            "fetched_at": {"bsonType": "date"},
            "pages": {"bsonType": ["int", "long"], "minimum": 1},
            "pages_missing": {"bsonType": "array", "items": {"bsonType": "int", "minimum": 2}},
            "pages_missing_why": _STRING_OR_NULL,
            "capture": {"bsonType": ["object", "null"]},
            "page_captures": {"bsonType": "array", "items": {"bsonType": ["object", "null"]}},
            "clean_audit": {"bsonType": "object"},
            "content_hash": {"bsonType": "string", "minLength": 40, "maxLength": 40},
            "version": {"bsonType": ["int", "long"], "minimum": 1},
            "first_seen": {"bsonType": "date"},
            "last_seen": {"bsonType": "date"},
            "updated_at": {"bsonType": "date"},
            "fetch_count": {"bsonType": ["int", "long"], "minimum": 1},
            "recheck_at": {"bsonType": ["date", "null"]},
            "removed_at": {"bsonType": ["date", "null"]},
            "removed_how": {"bsonType": ["string", "null"], "enum": [*REMOVED_HOW, None]},
            "removals": _events(
                ["removed_at", "how", "returned_at"],
                removed_at={"bsonType": "date"},
                returned_at={"bsonType": ["date", "null"]},
                confirmed_at={"bsonType": ["date", "null"]},
            ),
            "outages": _events(
                ["gone_at", "back_at", "how"], gone_at={"bsonType": "date"}, back_at={"bsonType": "date"}
            ),
            "etag": _STRING_OR_NULL,
            "last_modified": _STRING_OR_NULL,
            "dedup": {
                "bsonType": "object",
                "required": ["units", "lengths", "body_key", "keys"],
                "properties": {
                    "v": {"bsonType": "int", "minimum": 1},
                    "units": {"bsonType": "array", "items": {"bsonType": "long"}},
                    "lengths": {"bsonType": "array", "items": {"bsonType": "int"}},
                    "body_key": {"bsonType": "string"},
                    "keys": {"bsonType": "array", "items": {"bsonType": "long"}},
                },
            },
            "cluster_id": {"bsonType": "string"},
            "duplicate_of": _STRING_OR_NULL,
            "original_by": {
                "bsonType": "string",
                "enum": ["only", "credited", "earliest", "not_repost", "precise", "first_seen"],
            },
            "dup_score": {"bsonType": ["double", "null"]},
            "mirrors": {"bsonType": "array", "items": {"bsonType": "string"}},
            "cluster_size": {"bsonType": ["int", "long", "null"], "minimum": 1},
            "title_terms": {"bsonType": "array", "items": {"bsonType": "string"}},
        },
    }
}

INDEXES = [
    *DEDUP_INDEXES,
    IndexModel([("url", ASCENDING)], unique=True, name="url_unique"),
    IndexModel([("published_at", DESCENDING)], name="published_at"),
    IndexModel([("source", ASCENDING), ("published_at", DESCENDING)], name="source_published_at"),
    IndexModel([("source", ASCENDING), ("first_seen", ASCENDING)], name="source_first_seen"),  # rounds
    IndexModel(
        [("source", ASCENDING), ("recheck_at", ASCENDING)], name="source_recheck_at"
    ),  # a round's re-checks
    IndexModel([("removed_at", DESCENDING)], name="removed_at", sparse=True),  # `crawler export --removed`
    *SEARCH_INDEXES,
]


def content_hash(title: str, body: str) -> str:
    return hashlib.sha1(f"{title}\n{body}".encode()).hexdigest()


def to_document(item: Any) -> dict[str, Any]:
    """The stored fields of an item; times in UTC, as MongoDB keeps them."""
    adapter = ItemAdapter(item)
    doc: dict[str, Any] = {name: adapter.get(name) for name in STORED_FIELDS}
    for name in ("published_at", "fetched_at"):
        if isinstance(doc[name], datetime):
            doc[name] = doc[name].astimezone(UTC)
    doc["fetched_at"] = doc["fetched_at"] or datetime.now(UTC)
    doc["content_hash"] = content_hash(doc["title"], doc["body"])
    doc["title_terms"] = title_terms(doc["title"])
    dedup = doc.pop("dedup") or {}
    if dedup:
        doc["dedup"] = stored_dedup(dedup)
    return doc


def stored_dedup(dedup: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint as stored: BSON int64 on the wire, as the validator (and the index) expects."""
    return {k: [Int64(v) for v in vals] if k in ("units", "keys") else vals for k, vals in dedup.items()}
