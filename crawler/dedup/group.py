"""Story groups: every copy of a story shares a cluster_id; the original has duplicate_of null and
lists its mirrors, every other copy points to the original's URL with its similarity score.

Safe under concurrency without transactions: each writer stores its article first and looks for
copies after, so of two copies stored at once the later lookup sees the other. Merging only ever
moves articles to the smallest cluster id involved, and a settlement computed from fewer members
never overwrites one computed from more (`cluster_size` guards every write).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, NamedTuple

from pymongo import UpdateOne
from pymongo.collection import Collection

from crawler.dedup.fingerprint import Fingerprint
from crawler.dedup.index import FIELDS, candidates, from_document
from crawler.dedup.original import Outlets, choose_original
from crawler.dedup.similarity import DEFAULT, Thresholds, similarity, without

SETTLE_ROUNDS = 5  # re-settle while other writers keep adding members; each round re-reads them


def own_cluster_id(url: str, stored_at: datetime) -> str:
    """The cluster an article starts in: its storing time (ms, hex) then a hash of its URL, so
    every writer agrees on it and, as merges keep the smallest id, a group keeps the id it had
    when later copies join it."""
    return f"{int(stored_at.timestamp() * 1000):012x}{hashlib.sha1(url.encode()).hexdigest()[:8]}"


class Group(NamedTuple):
    cluster_id: str
    original: str  # URL of the group's original: the article itself when it is the original


def assign(
    collection: Collection, url: str, outlets: Outlets, t: Thresholds = DEFAULT,
    stored: dict[str, Any] | None = None,
) -> Group | None:
    """Join the stored article at `url` to the group of its copies. `stored` is the article as the
    caller just inserted it, which spares reading it back: a writer that merged it into another
    group since is a copy, found below, whose group the merge joins again."""
    me = stored or collection.find_one({"url": url}, FIELDS)
    if me is None or not me.get("dedup"):
        return None
    found = candidates(collection, from_document(me), url)
    common = common_units(from_document(me), found, t)
    fp = without(from_document(me), common)
    clusters = {me["cluster_id"]}
    for other in found:
        if similarity(fp, without(from_document(other), common), t) is not None:
            clusters.add(other["cluster_id"])
    target = min(clusters)
    if len(clusters) == 1 and me.get("cluster_size", 1) == 1:
        return Group(target, url)  # a story of its own, as stored: nothing to settle
    if len(clusters) > 1:
        collection.update_many({"cluster_id": {"$in": sorted(clusters - {target})}}, {"$set": {"cluster_id": target}})
    return Group(target, settle(collection, target, outlets, t) or url)


def common_units(fp: Fingerprint, found: list[dict[str, Any]], t: Thresholds) -> frozenset[int]:
    """Units of `fp` that already stand in many story groups: a site's standard line, a disclaimer."""
    groups: dict[int, set[str]] = {}
    mine = set(fp.units)
    for doc in found:
        for unit in set(from_document(doc).units) & mine:
            groups.setdefault(unit, set()).add(doc["cluster_id"])
    return frozenset(u for u, g in groups.items() if len(g) >= t.common_unit_clusters)


def settle(
    collection: Collection, cluster_id: str, outlets: Outlets, t: Thresholds = DEFAULT
) -> str | None:
    """Choose the cluster's original and point every member at it; returns the original's URL."""
    original_url = None
    for _ in range(SETTLE_ROUNDS):
        members = list(collection.find({"cluster_id": cluster_id}, FIELDS))
        if not members:
            return original_url
        size = len(members)
        choice = choose_original(members, outlets)
        original = choice.original
        original_url = original["url"]
        original_fp = from_document(original)
        ops = []
        guard = {"cluster_id": cluster_id, "$or": [{"cluster_size": {"$lte": size}}, {"cluster_size": None}]}
        for member in members:
            if member is original:
                mirrors = sorted(m["url"] for m in members if m is not original)
                update = {"duplicate_of": None, "dup_score": None, "mirrors": mirrors, "cluster_size": size,
                          "original_by": choice.by}
            else:
                score = similarity(from_document(member), original_fp, t) or best_score(member, members, t)
                update = {"duplicate_of": original["url"], "dup_score": score, "mirrors": [], "cluster_size": size,
                          "original_by": choice.by}
            ops.append(UpdateOne({"url": member["url"], **guard}, {"$set": update}))
        collection.bulk_write(ops, ordered=False)
        if collection.count_documents({"cluster_id": cluster_id}) == size:
            return original_url
    return original_url


def best_score(member: dict[str, Any], members: list[dict[str, Any]], t: Thresholds) -> float:
    """A copy joined through another copy: its score is its best similarity to any member."""
    fp = from_document(member)
    scores = [similarity(fp, from_document(m), t) for m in members if m is not member]
    return max((s for s in scores if s is not None), default=0.0)
