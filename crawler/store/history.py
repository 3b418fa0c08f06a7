"""An article's history as its readers see it: every stored version and every removal and
return, in the order they happened, as JSON objects; `crawler history`, the API's `/history` and
the dashboard's article page all read it here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.collection import Collection

from crawler.changes import unified
from crawler.store.mongo import translated
from crawler.store.versions import current_version

TIMELINE_FIELDS = {
    "_id": 0,
    "url": 1,
    "source": 1,
    "title": 1,
    "body": 1,
    "published_at": 1,
    "content_hash": 1,
    "version": 1,
    "first_seen": 1,
    "updated_at": 1,
    "removals": 1,
    "outages": 1,
    "capture": 1,
    "page_captures": 1,
}


@translated
def history(
    articles: Collection, versions: Collection, url: str, diff: bool = False
) -> list[dict[str, Any]] | None:
    """The article's timeline, oldest first; None when the URL is not stored. An article stored
    before versions were kept shows its current text as its current version. With `diff`, each
    version after the first carries a unified diff against the one before."""
    article = articles.find_one({"url": url}, TIMELINE_FIELDS)
    if article is None:
        return None
    kept = {v["version"]: v for v in versions.find({"url": url}, {"_id": 0}).sort("version", 1)}
    if article["version"] not in kept:
        kept[article["version"]] = current_version(article)
    entries: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for number in sorted(kept):
        version = kept[number]
        entry = {
            "event": "version",
            "at": _iso(version["fetched_at"]),
            "version": number,
            "cause": version.get("cause", "fetch"),
            "title": version["title"],
            "published_at": _iso(version.get("published_at")),
            "content_hash": version["content_hash"],
            "change": version["change"],
            "body": version["body"],
            "capture": version.get("capture"),
            "page_captures": version.get("page_captures") or [],
        }
        if diff and previous is not None:
            entry["diff"] = unified(
                previous["body"], version["body"], f"version {previous['version']}", f"version {number}"
            )
        entries.append(entry)
        previous = version
    for removal in article.get("removals") or []:
        entries.append(
            {
                "event": "removed",
                "at": _iso(removal["removed_at"]),
                "how": removal["how"],
                "confirmed_at": _iso(removal.get("confirmed_at")),
                "capture": removal.get("capture"),
            }
        )
        if removal.get("returned_at"):
            entries.append({"event": "returned", "at": _iso(removal["returned_at"])})
    for outage in article.get("outages") or []:
        entries.append(
            {
                "event": "outage",
                "at": _iso(outage["gone_at"]),
                "back_at": _iso(outage["back_at"]),
                "how": outage["how"],
                "capture": outage.get("capture"),
            }
        )
    entries.sort(key=lambda e: e["at"])  # stable: a version and a removal at one moment keep that order
    return [{"url": url, **e} for e in entries]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
