"""`crawler db reextract`: today's extraction and cleaning run again on the pages stored articles
were made of (their WARC records, `capture`), with no network; what changed is written as a new
version marked `cause: "reextract"`, through the same write as a crawl's (versioned, regrouped).
A fix to a rule thus reaches every article stored before it, and a page gone from its site since.

Articles are taken in `_id` order, in batches, with a checkpoint after each (as `db regroup`): a
reextract that is stopped goes on from there when run again with the same selection. Safe while
crawls write: an article whose stored record changed since it was read (a crawl fetched it again
meanwhile) is left to that newer fetch. A multi-page article is derived from all its pages'
records (`page_captures`), in order, and keeps the pages it was stored without (`pages_missing`);
one is skipped when a page's record is not known (`not_captured`: a page the WARC writer could not
keep, or an article stored before later pages were linked) or its WARC file is gone
(`warc_missing`: `WARC_KEEP_DAYS` pruned it)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bson import ObjectId
from scrapy.settings import BaseSettings

from crawler.archive.warcfiles import Captured, read_fetch
from crawler.failures import Failed
from crawler.process import OfflinePage, offline_article
from crawler.sources import Registry, registry_of
from crawler.store.ingest import Store
from crawler.store.regroup import Checkpoint
from crawler.store.schema import to_document
from crawler.store.versions import CAUSE

BATCH = 100  # articles read at once, and between checkpoints
READ = {
    **dict.fromkeys(("_id", "url", "source", "content_hash", "last_seen"), 1),
    **dict.fromkeys(("capture", "page_captures", "pages", "pages_missing", "pages_missing_why"), 1),
}


@dataclass(frozen=True)
class Selection:
    source: str | None = None
    since: datetime | None = None  # stored (first_seen) at or after
    url: str | None = None

    def key(self) -> str:
        return f"reextract {self.source} {self.since.isoformat() if self.since else None} {self.url}"

    def query(self) -> dict[str, Any]:
        return {
            "capture": {"$type": "object"},
            **({"source": self.source} if self.source else {}),
            **({"first_seen": {"$gte": self.since}} if self.since else {}),
            **({"url": self.url} if self.url else {}),
        }


@dataclass
class Reextracted:
    selection: str
    after: str | None = None  # the last _id done, as hex
    seen: int = 0
    changed: int = 0  # new versions written
    unchanged: int = 0  # the same text (or a cosmetic difference): nothing written
    skipped: dict[str, int] = field(default_factory=dict)  # not_captured, warc_missing, fetched_again
    failed: dict[str, int] = field(default_factory=dict)  # by reason: what extraction says today


def reextract(
    store: Store,
    settings: BaseSettings,
    selection: Selection,
    checkpoint: Checkpoint,
    advance: Callable[[int], None] = lambda n: None,
) -> Reextracted:
    """Re-derive the selected articles from where the checkpoint stands."""
    saved = checkpoint.saved(selection.key())
    try:
        progress = Reextracted(**saved) if saved else Reextracted(selection.key())
    except TypeError:  # written by another version: start over, which is always safe
        progress = Reextracted(selection.key())
    folder = Path(settings.get("WARC_DIR"))
    sources = registry_of(settings)
    articles = store.articles
    while True:
        query = {
            **selection.query(),
            **({"_id": {"$gt": ObjectId(progress.after)}} if progress.after else {}),
        }
        batch = list(articles.find(query, READ).sort("_id", 1).limit(BATCH))
        if not batch:
            break
        skipped, failed = Counter(progress.skipped), Counter(progress.failed)
        fresh = []
        for doc in batch:
            outcome = _derive(doc, folder, settings, sources)
            if isinstance(outcome, str):
                (failed if outcome.startswith("failed:") else skipped)[outcome.removeprefix("failed:")] += 1
            elif outcome["content_hash"] == doc["content_hash"]:
                progress.unchanged += 1
            else:
                fresh.append(outcome)
        kept = _still_from(articles, fresh)
        skipped["fetched_again"] += len(fresh) - len(kept)
        written = store.write(kept).written if kept else None
        progress.changed += written.updated if written else 0
        progress.unchanged += written.unchanged if written else 0
        progress.seen += len(batch)
        progress.skipped, progress.failed = dict(+skipped), dict(+failed)
        progress.after = str(batch[-1]["_id"])
        checkpoint.save(progress)
        advance(len(batch))
    checkpoint.clear()
    return progress


def _derive(
    doc: dict[str, Any], folder: Path, settings: BaseSettings, sources: Registry
) -> dict[str, Any] | str:
    """The article document today's code makes of its pages' records, or why there is none."""
    captures = [doc["capture"], *(doc.get("page_captures") or [])]
    if len(captures) < int(doc.get("pages") or 1) or None in captures:
        return "not_captured"
    try:
        fetched = [read_fetch(folder, Captured(**capture)) for capture in captures]
    except FileNotFoundError:
        return "warc_missing"
    pages = [OfflinePage(f.body, f.url, f.content_type, c) for f, c in zip(fetched, captures, strict=True)]
    try:
        article = offline_article(pages, sources.spec_for(doc["source"]), settings)
    except Failed as exc:
        return f"failed:{exc.problem.reason}"
    article.url, article.capture = doc["url"], doc["capture"]  # the article as stored, from its record
    article.pages_missing = doc.get("pages_missing") or []  # a page that never came still did not
    article.pages_missing_why = doc.get("pages_missing_why")
    # the time of the fetch it comes from: the write counts no fetch and moves no re-check
    article.fetched_at = doc.get("last_seen") or fetched[0].fetched_at
    return {**to_document(article), CAUSE: "reextract"}


def _still_from(articles: Any, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The documents whose stored article still comes from the record they were derived from."""
    if not docs:
        return []
    now = {
        d["url"]: d.get("capture") for d in articles.find({"url": {"$in": [d["url"] for d in docs]}}, READ)
    }
    return [doc for doc in docs if now.get(doc["url"]) == doc["capture"]]
