"""Settle stored story groups again with today's rules and fingerprints (`crawler db regroup`):
after a change of the DEDUP_* thresholds, of the fingerprint (a new `dedup.v`) or of how the
original is chosen, and for articles stored ungrouped by older versions.

Each selected article gets a fingerprint of its stored body as this version computes it (written
only when it differs) and is joined again exactly as a crawl joins a new or changed article
(crawler/store/groups.py): it leaves a group that holds no copy of it, merges with groups that
do, and its group's original is chosen again. That is why it is safe while crawls write.

Articles are taken in `_id` order, in batches; after each batch the last `_id` and the counts go
to a checkpoint file, so a regroup that is stopped or crashes goes on from there the next time it
is run with the same selection. Redoing a batch changes nothing the first pass did not."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from crawler.dedup.fingerprint import fingerprint
from crawler.dedup.index import as_document
from crawler.dedup.original import Outlets
from crawler.dedup.similarity import Thresholds
from crawler.store.groups import FIELDS, join, own_cluster_id
from crawler.store.mongo import translated
from crawler.store.schema import stored_dedup

BATCH = 200  # articles read at once, and between checkpoints


@dataclass(frozen=True)
class Selection:
    source: str | None = None
    since: datetime | None = None  # stored (first_seen) at or after

    def key(self) -> str:
        return json.dumps([self.source, self.since.isoformat() if self.since else None])

    def query(self) -> dict[str, Any]:
        """The selected articles, asked of the server: the others are never read (nor their bodies)."""
        return {
            **({"source": self.source} if self.source else {}),
            **({"first_seen": {"$gte": self.since}} if self.since else {}),
        }


@dataclass
class Regrouped:
    selection: str
    after: str | None = None  # the last _id done, as hex
    seen: int = 0  # articles selected and joined again
    renewed: int = 0  # of which fingerprints were written anew
    changed: list[str] = field(default_factory=list)  # cluster ids of the groups that changed


class Checkpoint:
    """The progress of a regroup, in a JSON file written whole (temporary file, then rename)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, selection: Selection) -> Regrouped:
        """Where the last regroup of this selection stopped; a fresh start for any other."""
        saved = self.saved(selection.key())
        try:
            return Regrouped(**saved) if saved else Regrouped(selection.key())
        except TypeError:  # written by another version: start over, which is always safe
            return Regrouped(selection.key())

    def saved(self, key: str) -> dict[str, Any] | None:
        """The progress saved for the selection `key`, as written; None for another or none."""
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return saved if isinstance(saved, dict) and saved.get("selection") == key else None

    def save(self, progress: Any) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(asdict(progress)), encoding="utf-8")
        os.replace(temporary, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


@translated
def selected(articles: Collection, selection: Selection) -> int:
    """How many articles the selection holds (an estimate for all of them: no scan)."""
    query = selection.query()
    return articles.count_documents(query) if query else articles.estimated_document_count()


@translated
def regroup(
    articles: Collection,
    outlets: Outlets,
    thresholds: Thresholds,
    selection: Selection,
    checkpoint: Checkpoint,
    advance: Callable[[int], None] = lambda n: None,
) -> Regrouped:
    """Regroup the selected articles from where the checkpoint stands; `advance` is told how many
    articles each batch read (a progress bar's update)."""
    progress = checkpoint.load(selection)
    changed = set(progress.changed)
    while True:
        query = {
            **selection.query(),
            **({"_id": {"$gt": ObjectId(progress.after)}} if progress.after else {}),
        }
        batch = list(articles.find(query, {**FIELDS, "_id": 1, "body": 1}).sort("_id", 1).limit(BATCH))
        if not batch:
            break
        for doc in batch:
            progress.renewed += renew(articles, doc)
            group = join(articles, doc["url"], outlets, thresholds)
            progress.seen += 1
            if group is not None and group.changed:
                changed.update(c for c in (group.cluster_id, group.left) if c)
        progress.after = str(batch[-1]["_id"])
        progress.changed = sorted(changed)
        checkpoint.save(progress)
        advance(len(batch))
    checkpoint.clear()
    return progress


def renew(articles: Collection, doc: dict[str, Any]) -> bool:
    """Give the article today's fingerprint of its body, and a group of its own when an older
    version stored it without one; True when its fingerprint was written."""
    if "cluster_id" not in doc:
        stored = doc.get("first_seen") or doc.get("fetched_at") or datetime.now(UTC)
        articles.update_one(
            {"_id": doc["_id"], "cluster_id": None},
            {
                "$set": {
                    "cluster_id": own_cluster_id(doc["url"], stored),
                    "cluster_size": 1,
                    "duplicate_of": None,
                    "original_by": "only",
                    "dup_score": None,
                    "mirrors": [],
                }
            },
        )
    today = as_document(fingerprint(doc.get("body") or ""))
    if doc.get("dedup") == today:
        return False
    articles.update_one({"_id": doc["_id"]}, {"$set": {"dedup": stored_dedup(today)}})
    return True
