"""The JSON form of a stored article, shared by `crawler fetch` and the HTTP front so that both
print the same object for the same page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter

from crawler.extract.dates import zone
from crawler.items import STORED_FIELDS
from crawler.store.schema import STORE_FIELDS

NOT_PRINTED = frozenset(
    {"dedup", "title_terms", "etag", "last_modified"}
)  # fingerprints, band keys, search terms, HTTP validators: for the crawler and the store, noise for a reader
FIELD_ORDER = tuple(name for name in (*STORED_FIELDS, *STORE_FIELDS) if name not in NOT_PRINTED)


def _iso(value: datetime, tz: str | None) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(tz) if tz else UTC).isoformat()


def article_json(doc: Any) -> dict[str, Any]:
    """Known fields in schema order; published_at in the page's own zone, other times in UTC."""
    data = dict(ItemAdapter(doc).items())
    out: dict[str, Any] = {}
    for name in FIELD_ORDER:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, datetime):
            value = _iso(value, data.get("timezone") if name == "published_at" else None)
        elif name in ("removals", "outages"):  # lists of events: their times in UTC too
            value = [
                {k: _iso(v, None) if isinstance(v, datetime) else v for k, v in event.items()}
                for event in value
            ]
        out[name] = value
    return out
