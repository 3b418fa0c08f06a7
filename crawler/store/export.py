"""Streaming export of stored articles as JSON Lines or CSV, in constant memory: the cursor is read
in batches and each article is written as soon as it arrives (no sort, so no server-side buffer)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from pymongo.collection import Collection
from pymongo.errors import PyMongoError

from crawler.store.jsonout import FIELD_ORDER, article_json
from crawler.store.mongo import store_unavailable

BATCH = 500  # documents per cursor batch


@dataclass(frozen=True)
class ExportFilter:
    since: datetime | None = None  # published at or after
    until: datetime | None = None  # published before
    sources: tuple[str, ...] = ()
    canonical: bool = False  # originals only: one article per story
    removed: bool = False  # articles gone from their site; since/until then bound removed_at

    def query(self) -> dict[str, Any]:
        """Built from the project's own field names only; the values are typed, never parsed text."""
        query: dict[str, Any] = {}
        published: dict[str, datetime] = {}
        if self.since:
            published["$gte"] = self.since
        if self.until:
            published["$lt"] = self.until
        if self.removed:
            query["removed_at"] = published or {"$ne": None}
        elif published:
            query["published_at"] = published
        if self.sources:
            query["source"] = {"$in": list(self.sources)}
        if self.canonical:
            query["duplicate_of"] = None
        return query


def documents(collection: Collection, selection: ExportFilter) -> Iterator[dict[str, Any]]:
    """The selected articles, read in batches; raises StoreUnavailable, also half way through."""
    try:
        yield from collection.find(selection.query(), {"_id": 0, "dedup": 0}, batch_size=BATCH)
    except PyMongoError as exc:
        raise store_unavailable(exc) from exc


def write_jsonl(docs: Iterable[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for doc in docs:
        out.write(json.dumps(article_json(doc), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(docs: Iterable[dict[str, Any]], out: TextIO, bom: bool = False) -> int:
    """One row per article; list and object fields as JSON text, body newlines kept inside quotes;
    every cell a spreadsheet would take for a formula made plain text (`cell`). With `bom`, a
    UTF-8 byte order mark first, so Excel reads the Chinese as UTF-8."""
    if bom:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=list(FIELD_ORDER), extrasaction="ignore")
    writer.writeheader()
    count = 0
    for doc in docs:
        row = {
            k: cell(json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
            for k, v in article_json(doc).items()
        }
        writer.writerow(row)
        count += 1
    return count


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet evaluate a cell (OWASP)


def cell(value: Any) -> Any:
    """A text that starts a formula (a title `=HYPERLINK("http://evil/","点击")`) behind a single
    quote, as OWASP's CSV injection advice has it; other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
