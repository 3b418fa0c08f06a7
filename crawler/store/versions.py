"""Every stored version of an article, and when it is checked again.

`article_versions` holds one document per substantive version of a URL, written in the same
transaction as the article's update (crawler/store/mongo.py), so the two never disagree. Removals
and returns are kept on the article itself (`removed_at`, `removed_how`, `removals`, `outages`),
written by `check_ops` in one update each: a removal that no later check confirms and that the next
look at the page finds undone was a flapping server, and is moved to `outages`. docs/schema.md
("Versions and removals") is the contract for readers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.collection import Collection

from crawler.changes import change
from crawler.store.validated import ensure_validated

CAUSES = ("fetch", "reextract")  # what made a version
CAUSE = "cause"  # a document to write may say what made it; the article itself never keeps it
VERSION_FIELDS: dict[str, str] = {
    "url": "The article's URL, as in `articles`.",
    "version": "The article's `version` this text was: 1, 2, ...",
    "source": "The article's source.",
    "title": "Headline of this version.",
    "body": "Clean story text of this version.",
    "published_at": "Publication time the page gave in this version (UTC), or null.",
    "content_hash": "As `articles.content_hash`, for this version.",
    "fetched_at": "When this version was first fetched (UTC).",
    "change": "Against the version before (nothing, for version 1): {added, removed: characters; "
    "paragraphs: added, changed or removed}.",
    "capture": "The WARC record this version was made of, as `articles.capture`; null when not captured "
    "(absent on versions stored before capture existed).",
    "page_captures": "The WARC records of this version's later pages, as `articles.page_captures` "
    "(absent on versions stored before later pages were linked).",
    "cause": "What made this version: `fetch` (the page, fetched), or `reextract` (`crawler db reextract`: "
    "today's extraction of the page as kept); absent on versions stored before it existed (a fetch).",
}
VERSIONS_VALIDATOR: dict[str, Any] = {
    "$jsonSchema": {
        "bsonType": "object",
        "required": [name for name in VERSION_FIELDS if name not in ("capture", "page_captures", "cause")],
        "properties": {
            "url": {"bsonType": "string", "pattern": "^https?://"},
            "version": {"bsonType": ["int", "long"], "minimum": 1},
            "source": {"bsonType": "string"},
            "title": {"bsonType": "string"},
            "body": {"bsonType": "string"},
            "published_at": {"bsonType": ["date", "null"]},
            "content_hash": {"bsonType": "string", "minLength": 40, "maxLength": 40},
            "fetched_at": {"bsonType": "date"},
            "capture": {"bsonType": ["object", "null"]},
            "page_captures": {"bsonType": "array", "items": {"bsonType": ["object", "null"]}},
            "cause": {"enum": list(CAUSES)},
            "change": {
                "bsonType": "object",
                "required": ["added", "removed", "paragraphs"],
                "properties": {
                    k: {"bsonType": ["int", "long"], "minimum": 0} for k in ("added", "removed", "paragraphs")
                },
            },
        },
    }
}
VERSIONS_INDEXES = [IndexModel([("url", ASCENDING), ("version", ASCENDING)], unique=True, name="url_version")]

# how a re-check found the article gone: `removed_how`
REMOVED_HOW = ("http_404", "http_410", "redirect_home", "redirect_channel", "deleted_page")
_STEP = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([mhd])\s*")
_UNIT = {"m": 60, "h": 3600, "d": 86400}


def ensure_versions(versions: Collection) -> None:
    ensure_validated(versions, VERSIONS_VALIDATOR, VERSIONS_INDEXES)


def version_op(doc: dict[str, Any], version: int, before: str | None) -> UpdateOne:
    """The version document of a stored article text; `before` is the previous version's body
    (None for version 1). An upsert on (url, version): writing it twice leaves one."""
    fields = {
        "url": doc["url"],
        "version": version,
        "source": doc["source"],
        "title": doc["title"],
        "body": doc["body"],
        "published_at": doc.get("published_at"),
        "content_hash": doc["content_hash"],
        "fetched_at": doc["fetched_at"],
        "change": change(before or "", doc["body"]).as_dict(),
        "capture": doc.get("capture"),
        "page_captures": doc.get("page_captures") or [],
        "cause": doc.get(CAUSE, "fetch"),
    }
    return UpdateOne({"url": doc["url"], "version": version}, {"$set": fields}, upsert=True)


def backfill_op(stored: dict[str, Any]) -> UpdateOne:
    """The version an article stored before versions were kept had, from the article itself: only
    when article_versions does not hold it yet."""
    fields = current_version(stored)
    return UpdateOne(
        {"url": stored["url"], "version": stored["version"]}, {"$setOnInsert": fields}, upsert=True
    )


def current_version(stored: dict[str, Any]) -> dict[str, Any]:
    """The version document of a stored article's current text, read from the article (its
    change against the version before is not known there: zero)."""
    return {
        "url": stored["url"],
        "version": stored["version"],
        "source": stored["source"],
        "title": stored["title"],
        "body": stored["body"],
        "published_at": stored.get("published_at"),
        "content_hash": stored["content_hash"],
        "fetched_at": stored.get("updated_at") or stored["first_seen"],
        "change": change("", stored["body"]).as_dict()
        if stored["version"] == 1
        else {"added": 0, "removed": 0, "paragraphs": 0},
        "capture": stored.get("capture"),
        "page_captures": stored.get("page_captures") or [],
    }


def parse_schedule(steps: list[str] | str) -> tuple[timedelta, ...]:
    """RECHECK_SCHEDULE ("1h, 6h, 24h, 72h, 7d", or a list of those) as ages after first seen,
    shortest first; an empty schedule never re-checks."""
    items = [s for s in (steps.split(",") if isinstance(steps, str) else steps) if str(s).strip()]
    ages = []
    for step in items:
        match = _STEP.fullmatch(str(step))
        if not match:
            raise ValueError(f"RECHECK_SCHEDULE: {step!r} is not an age like 30m, 6h or 7d")
        ages.append(timedelta(seconds=float(match.group(1)) * _UNIT[match.group(2)]))
    return tuple(sorted(ages))


def next_check(first_seen: datetime, now: datetime, schedule: tuple[timedelta, ...]) -> datetime | None:
    """When an article first seen at `first_seen` is due again after a check at `now`: the first
    age of the schedule not yet reached, or None once the schedule is done."""
    return next((first_seen + age for age in schedule if first_seen + age > now), None)


@dataclass(frozen=True)
class Check:
    """A re-check that stored no text: the page had not changed (`not_modified`), or it is gone
    (`removed`, with how, and the WARC record of the answer that showed it)."""

    url: str
    at: datetime
    outcome: str  # "not_modified" or "removed"
    how: str | None = None
    capture: dict[str, Any] | None = None  # {file, offset, length}: the answer as kept (WARC_CAPTURE)


def check_ops(
    checks: list[Check], stored: dict[str, dict[str, Any]], schedule: tuple[timedelta, ...]
) -> list[UpdateOne]:
    """One update per check of a stored article (a URL never stored is not an article to check).
    A removal is recorded once, with its first sighting and the record of the answer, until the
    article comes back; the next check that finds it still gone confirms it; a page answering 304
    is there, so it clears a removal like a fetch does."""
    ops = []
    for check in checks:
        doc = stored.get(check.url)
        if doc is None:
            continue
        fields: dict[str, Any] = {
            "last_seen": check.at,
            "recheck_at": next_check(doc["first_seen"], check.at, schedule),
        }
        removals = [dict(r) for r in doc.get("removals") or []]
        if check.outcome == "removed" and doc.get("removed_at") is None:
            removal = {
                "removed_at": check.at,
                "how": check.how,
                "returned_at": None,
                "confirmed_at": None,
                "capture": check.capture,
            }
            fields.update(removed_at=check.at, removed_how=check.how, removals=[*removals, removal])
        elif check.outcome == "removed" and removals and removals[-1].get("confirmed_at", True) is None:
            removals[-1]["confirmed_at"] = check.at
            fields.update(removals=removals)
        elif check.outcome == "not_modified" and doc.get("removed_at") is not None:
            fields.update(returned(doc, check.at))
        ops.append(UpdateOne({"url": check.url}, {"$set": fields}))
    return ops


def returned(doc: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The fields of an article seen again after a removal: the removal cleared and its event
    closed; an event no check confirmed (gone once, back at the next look: a flapping server) is
    an outage, moved from `removals` to `outages`."""
    events = [dict(r) for r in doc.get("removals") or []]
    outages = [dict(o) for o in doc.get("outages") or []]
    if events and events[-1].get("returned_at") is None:
        events[-1]["returned_at"] = at
        if "confirmed_at" in events[-1] and events[-1]["confirmed_at"] is None:
            last = events.pop()
            outages.append(
                {
                    "gone_at": last["removed_at"],
                    "back_at": at,
                    "how": last["how"],
                    "capture": last.get("capture"),
                }
            )
    return {"removed_at": None, "removed_how": None, "removals": events, "outages": outages}
