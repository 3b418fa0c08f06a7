"""Story groups in the store: every copy of a story shares a cluster_id; the original has
duplicate_of null, lists its mirrors and holds the group's size; every other copy points to the
original's URL with its similarity score. What is a copy and which copy is the original are the
pure functions of crawler/dedup; this module reads and writes the documents.

A join writes what changes and nothing else: the new member, and the original's list of mirrors
(and every member only when the original itself changes), so a story mirrored n times costs O(n)
writes in all (bench/dedup_join.py). Facts of the whole group (`mirrors`, `cluster_size`) live on
the original alone for that reason.

Safe under concurrency without transactions: each writer stores its article first and looks for
copies after, so of two copies stored at once the later lookup sees the other. Merging only ever
moves articles to the smallest cluster id involved, and a settlement whose members changed while
it was written is computed again from what is stored (`SETTLE_ROUNDS`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, UpdateOne
from pymongo.collection import Collection

from crawler.dedup.fingerprint import Fingerprint
from crawler.dedup.index import candidate_query, from_document, lookup_keys
from crawler.dedup.original import Outlets, choose_original
from crawler.dedup.similarity import DEFAULT, Thresholds, similarity, without

MAX_CANDIDATES = 500  # a lookup never reads more; far above what a real story's copies need
# new articles one copy lookup asks for: SecantusDB checks each document a lookup finds (here, at
# least the articles asked for) against the whole `$in` list, so a lookup's cost grows with the
# square of its articles; `python bench/store_ops.py --chunks 1 2 5 10 20 50`: 5 is the cheapest
LOOKUP_CHUNK = 5
SETTLE_ROUNDS = 5  # re-settle while other writers keep adding members; each round re-reads them

DEDUP_INDEXES = [
    IndexModel([("dedup.keys", ASCENDING)], name="dedup_keys"),
    IndexModel([("dedup.body_key", ASCENDING)], name="dedup_body_key"),
    IndexModel([("cluster_id", ASCENDING)], name="cluster_id"),
    # canonical stories, newest first: {"duplicate_of": None} sorted by published_at
    IndexModel([("duplicate_of", ASCENDING), ("published_at", DESCENDING)], name="canonical_published_at"),
]
CHOICE_FIELDS = {  # what choosing the original reads of each member
    "_id": 0,
    "url": 1,
    "site": 1,
    "source": 1,
    "origin": 1,
    "published_at": 1,
    "published_precision": 1,
    "timezone": 1,
    "first_seen": 1,
    "cluster_id": 1,
}
STORY_FIELDS = ("duplicate_of", "original_by", "dup_score", "mirrors", "cluster_size")  # written by settling
MEMBER_FIELDS = {**CHOICE_FIELDS, **dict.fromkeys(STORY_FIELDS, 1)}
FIELDS = {**MEMBER_FIELDS, "dedup": 1}  # an article as a join reads it


def own_cluster_id(url: str, stored_at: datetime) -> str:
    """The cluster an article starts in: its storing time (ms, hex) then a hash of its URL, so
    every writer agrees on it and, as merges keep the smallest id, a group keeps the id it had
    when later copies join it."""
    return f"{int(stored_at.timestamp() * 1000):012x}{hashlib.sha1(url.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Group:
    cluster_id: str
    original: str  # URL of the group's original: the article itself when it is the original
    changed: bool = False  # the join moved an article or rewrote a member's story fields
    left: str | None = None  # the group the article left because it no longer matches it


def candidates(collection: Collection, fp: Fingerprint, url: str) -> list[dict[str, Any]]:
    """Articles sharing at least one unit key with `fp` (or, for a body too short to have units,
    its body key), other than `url`, with the article itself filtered out here (see
    `candidate_query`)."""
    found = collection.find(candidate_query(fp), FIELDS).limit(MAX_CANDIDATES + 1)
    return [doc for doc in found if doc["url"] != url][:MAX_CANDIDATES]


def alone(collection: Collection, stored: list[dict[str, Any]]) -> set[str]:
    """URLs of the articles just stored new (`stored`, as inserted) that share no lookup key with any
    other stored article: each a story of its own, with nothing to join. One query for every
    LOOKUP_CHUNK articles instead of a lookup per article, most of which find nothing; an article
    without unit keys, or a chunk whose keys find more articles than a lookup reads, is left to
    `join`."""
    return {
        url
        for start in range(0, len(stored), LOOKUP_CHUNK)
        for url in _alone(collection, stored[start : start + LOOKUP_CHUNK])
    }


def _alone(collection: Collection, stored: list[dict[str, Any]]) -> set[str]:
    keyed = {doc["url"]: set(lookup_keys(from_document(doc))) for doc in stored}
    keyed = {url: keys for url, keys in keyed.items() if keys}
    if not keyed:
        return set()
    limit = MAX_CANDIDATES + len(keyed)
    query = {"dedup.keys": {"$in": sorted(set().union(*keyed.values()))}}
    found = list(collection.find(query, {"_id": 0, "url": 1, "dedup.keys": 1}).limit(limit))
    if len(found) >= limit:
        return set()
    holders: dict[int, set[str]] = {}
    for doc in found:
        for key in doc["dedup"]["keys"]:
            holders.setdefault(key, set()).add(doc["url"])
    return {url for url, keys in keyed.items() if all(holders.get(key, set()) <= {url} for key in keys)}


def join(
    collection: Collection,
    url: str,
    outlets: Outlets,
    t: Thresholds = DEFAULT,
    stored: dict[str, Any] | None = None,
) -> Group | None:
    """Put the stored article at `url` in the group of its copies, after it was stored new or
    changed. `stored` is the article as the caller just inserted it, which spares reading it back.

    An article whose group holds no copy of it any more (its text drifted, or the rules changed)
    leaves that group, whose original is then chosen again."""
    me = stored or collection.find_one({"url": url}, FIELDS)
    if me is None or not me.get("dedup"):
        return None
    fp = from_document(me)
    found = candidates(collection, fp, url)
    common = common_units(fp, found, t)
    mine = without(fp, common)
    matching = {
        o["cluster_id"] for o in found if similarity(mine, without(from_document(o), common), t) is not None
    }
    cluster = me["cluster_id"]
    left = None
    grouped = me.get("duplicate_of") is not None or bool(me.get("mirrors"))
    if stored is None and grouped and cluster not in matching and _has_others(collection, cluster, url):
        left, cluster = cluster, own_cluster_id(url, datetime.now(UTC))
        collection.update_one({"url": url, "cluster_id": left}, {"$set": {"cluster_id": cluster}})
    clusters = matching | {cluster}
    target = min(clusters)
    if not matching and not grouped:
        return Group(target, url)  # a story of its own, as stored: nothing to settle
    # matching only its own cluster: another new article of the batch joined it there first (the
    # document as inserted does not know yet), so the group is settled to name its original
    if len(clusters) > 1:
        collection.update_many(
            {"cluster_id": {"$in": sorted(clusters - {target})}}, {"$set": {"cluster_id": target}}
        )
    original, wrote = settle(collection, target, outlets, t, fresh=frozenset({url}))
    if left is not None:
        settle(collection, left, outlets, t)
    return Group(target, original or url, changed=wrote or len(clusters) > 1 or left is not None, left=left)


def _has_others(collection: Collection, cluster_id: str, url: str) -> bool:
    return any(
        d["url"] != url for d in collection.find({"cluster_id": cluster_id}, {"_id": 0, "url": 1}).limit(2)
    )


def common_units(fp: Fingerprint, found: list[dict[str, Any]], t: Thresholds) -> frozenset[int]:
    """Units of `fp` that already stand in many story groups: a site's standard line, a disclaimer."""
    groups: dict[int, set[str]] = {}
    mine = set(fp.units)
    for doc in found:
        for unit in set(from_document(doc).units) & mine:
            groups.setdefault(unit, set()).add(doc["cluster_id"])
    return frozenset(u for u, g in groups.items() if len(g) >= t.common_unit_clusters)


def settle(
    collection: Collection,
    cluster_id: str,
    outlets: Outlets,
    t: Thresholds = DEFAULT,
    fresh: frozenset[str] = frozenset(),
) -> tuple[str | None, bool]:
    """Choose the cluster's original and write, member by member, the story fields that differ
    from what it holds. `fresh` names members whose text changed, whose score is computed again.
    Returns the original's URL and whether anything was written."""
    original_url, wrote = None, False
    for _ in range(SETTLE_ROUNDS):
        members = list(collection.find({"cluster_id": cluster_id}, MEMBER_FIELDS))
        if not members:
            return original_url, wrote
        choice = choose_original(members, outlets)
        original_url = choice.original["url"]
        wanted = story_fields(members, choice.original, choice.by, collection, t, fresh)
        ops = [
            UpdateOne({"url": m["url"], "cluster_id": cluster_id}, {"$set": diff})
            for m in members
            if (diff := {k: v for k, v in wanted[m["url"]].items() if m.get(k) != v or k not in m})
        ]
        if ops:
            collection.bulk_write(ops, ordered=False)
            wrote = True
        if collection.count_documents({"cluster_id": cluster_id}) == len(members):
            return original_url, wrote
    return original_url, wrote


def story_fields(
    members: list[dict[str, Any]],
    original: dict[str, Any],
    by: str,
    collection: Collection,
    t: Thresholds,
    fresh: frozenset[str],
) -> dict[str, dict[str, Any]]:
    """Each member's story fields. A copy already pointing at this original keeps its score
    unless its text changed: fingerprints are read only for the copies that need a score."""
    url = original["url"]
    scoring = [
        m["url"]
        for m in members
        if m is not original
        and (m["url"] in fresh or m.get("duplicate_of") != url or m.get("dup_score") is None)
    ]
    prints = _fingerprints(collection, [url, *scoring]) if scoring else {}
    wanted = {}
    for m in members:
        if m is original:
            mirrors = sorted(o["url"] for o in members if o is not original)
            wanted[url] = {
                "duplicate_of": None,
                "dup_score": None,
                "mirrors": mirrors,
                "cluster_size": len(members),
                "original_by": by,
            }
            continue
        score = m.get("dup_score")
        if m["url"] in prints:
            score = similarity(prints[m["url"]], prints[url], t) or _best_score(
                m["url"], members, prints, collection, t
            )
        wanted[m["url"]] = {
            "duplicate_of": url,
            "dup_score": score,
            "mirrors": [],
            "cluster_size": None,
            "original_by": by,
        }
    return wanted


def _fingerprints(collection: Collection, urls: list[str]) -> dict[str, Fingerprint]:
    return {
        d["url"]: from_document(d)
        for d in collection.find({"url": {"$in": urls}}, {"_id": 0, "url": 1, "dedup": 1})
    }


def _best_score(
    url: str,
    members: list[dict[str, Any]],
    prints: dict[str, Fingerprint],
    collection: Collection,
    t: Thresholds,
) -> float:
    """A copy joined through another copy: its score is its best similarity to any member."""
    missing = [m["url"] for m in members if m["url"] not in prints]
    if missing:
        prints.update(_fingerprints(collection, missing))
    scores = [similarity(prints[url], fp, t) for other, fp in prints.items() if other != url]
    return max((s for s in scores if s is not None), default=0.0)
