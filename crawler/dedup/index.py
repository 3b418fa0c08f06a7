"""Candidate lookup in MongoDB without scanning: an indexed array of unit keys per article, and
the normalised-body key for a body too short to have units. Candidates are then confirmed by `similarity`."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.collection import Collection

from crawler.dedup.fingerprint import Fingerprint

MAX_CANDIDATES = 500  # a lookup never reads more; far above what a real story's copies need

DEDUP_INDEXES = [
    IndexModel([("dedup.keys", ASCENDING)], name="dedup_keys"),
    IndexModel([("dedup.body_key", ASCENDING)], name="dedup_body_key"),
    IndexModel([("cluster_id", ASCENDING)], name="cluster_id"),
    # canonical stories, newest first: {"duplicate_of": None} sorted by published_at
    IndexModel([("duplicate_of", ASCENDING), ("published_at", DESCENDING)], name="canonical_published_at"),
]
FIELDS = {
    "_id": 0, "url": 1, "site": 1, "source": 1, "origin": 1, "published_at": 1, "published_precision": 1,
    "timezone": 1, "first_seen": 1, "cluster_id": 1, "cluster_size": 1, "dedup": 1,
}


def as_document(fp: Fingerprint) -> dict[str, Any]:
    return {"units": list(fp.units), "lengths": list(fp.lengths), "body_key": fp.body_key, "keys": list(fp.keys)}


def from_document(doc: dict[str, Any]) -> Fingerprint:
    d = doc.get("dedup") or {}
    return Fingerprint(
        tuple(d.get("units", ())), tuple(d.get("lengths", ())), d.get("body_key", ""), tuple(d.get("keys", ()))
    )


def candidates(collection: Collection, fp: Fingerprint, url: str) -> list[dict[str, Any]]:
    """Articles sharing at least one unit key with `fp` (or, for a body too short to have units,
    its body key), other than `url`.

    One single-field query, with the article itself filtered out here: not every server answers
    an `$or`, or a second condition, from the index (SecantusDB then scans the collection), and
    this is an index lookup everywhere; tests/test_dedup.py checks the plan."""
    found = collection.find(candidate_query(fp), FIELDS).limit(MAX_CANDIDATES + 1)
    return [doc for doc in found if doc["url"] != url][:MAX_CANDIDATES]


def candidate_query(fp: Fingerprint) -> dict[str, Any]:
    """Equal normalised bodies have equal units, so the unit keys find exact copies too: the body
    key is only asked for when there are no units (and no keys) to look up."""
    return {"dedup.keys": {"$in": list(fp.keys)}} if fp.keys else {"dedup.body_key": fp.body_key}
