"""The index of kept pages: one document per WARC response record in `captures`
(`MONGO_CAPTURES_COLLECTION`), so that "what did this URL answer, and when" is a query, not a scan
of WARC_DIR. The WARC files are the truth and the index is derived from them: a record the index
missed (the store was down) is added by `crawler db index-warc`, which reads the files again;
writing one twice leaves one (unique on file and offset)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.errors import BulkWriteError

from crawler.store.client import StoreClient
from crawler.store.mongo import DUPLICATE_KEY, translated
from crawler.store.validated import ensure_validated

CAPTURE_FIELDS: dict[str, str] = {
    "url": "The URL fetched (after redirects: the one that answered).",
    "fetched_at": "When the answer came (UTC), its record's WARC-Date.",
    "status": "The HTTP status of the answer.",
    "content_type": "Its Content-Type, or null.",
    "file": "The WARC file in WARC_DIR that holds the record.",
    "offset": "Where the response record begins in the file, in bytes.",
    "length": "Its length in the file, in bytes (one gzip member).",
}
CAPTURES_VALIDATOR: dict[str, Any] = {
    "$jsonSchema": {
        "bsonType": "object",
        "required": [name for name in CAPTURE_FIELDS if name != "content_type"],
        "properties": {
            "url": {"bsonType": "string"},
            "fetched_at": {"bsonType": "date"},
            "status": {"bsonType": ["int", "long"]},
            "content_type": {"bsonType": ["string", "null"]},
            "file": {"bsonType": "string", "pattern": r"\.warc\.gz$"},
            "offset": {"bsonType": ["int", "long"], "minimum": 0},
            "length": {"bsonType": ["int", "long"], "minimum": 1},
        },
    }
}
CAPTURES_INDEXES = [
    IndexModel([("file", ASCENDING), ("offset", ASCENDING)], unique=True, name="file_offset"),
    IndexModel([("url", ASCENDING), ("fetched_at", DESCENDING)], name="url_fetched_at"),
]


class Captures:
    """The index collection over one StoreClient; each method raises StoreUnavailable when the
    store does not answer."""

    def __init__(self, store: StoreClient) -> None:
        self.store = store
        self.ensured = False

    @translated
    def add(self, entries: list[dict[str, Any]]) -> int:
        """Write index documents, each once however often it is given (the unique index refuses a
        second); returns how many were new.
        The collection, its validator and indexes are made on the first write."""
        if not entries:
            return 0
        captures = self.store.collection("MONGO_CAPTURES_COLLECTION")
        if not self.ensured:
            ensure_validated(captures, CAPTURES_VALIDATOR, CAPTURES_INDEXES)
            self.ensured = True
        try:
            return len(captures.insert_many(entries, ordered=False).inserted_ids)
        except BulkWriteError as exc:  # some were there already (a second `db index-warc`): not an error
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            return int(exc.details.get("nInserted", 0))


def capture_entry(
    url: str, fetched_at: datetime, status: int, content_type: str | None, where: dict[str, Any]
) -> dict[str, Any]:
    """The index document of one response record; `where` is its {file, offset, length}."""
    return {
        "url": url,
        "fetched_at": fetched_at,
        "status": status,
        "content_type": content_type,
        "file": where["file"],
        "offset": where["offset"],
        "length": where["length"],
    }
