"""How a fingerprint is kept in an article document and looked up: an indexed array of unit keys
per article, and the normalised-body key for a body too short to have units. Candidates are then
confirmed by `similarity`; the queries run in crawler/store/groups.py."""

from __future__ import annotations

from typing import Any

from crawler.dedup.fingerprint import Fingerprint


def as_document(fp: Fingerprint) -> dict[str, Any]:
    return {
        "v": fp.version,
        "units": list(fp.units),
        "lengths": list(fp.lengths),
        "body_key": fp.body_key,
        "keys": list(fp.keys),
    }


def from_document(doc: dict[str, Any]) -> Fingerprint:
    """The stored fingerprint; one stored before versions were kept is version 1."""
    d = doc.get("dedup") or {}
    return Fingerprint(
        tuple(d.get("units", ())),
        tuple(d.get("lengths", ())),
        d.get("body_key", ""),
        tuple(d.get("keys", ())),
        d.get("v", 1),
    )


# keys a lookup asks for (all are indexed); bench/dedup_eval.py: recall 0.9941 as with all, 4: 0.9897
LOOKUP_KEYS = 8


def lookup_keys(fp: Fingerprint) -> tuple[int, ...]:
    """The article's LOOKUP_KEYS smallest unit keys: a consistent sample (bottom-k, as MinHash
    sketches take), so a copy sharing most units with a stored article shares with it some of these
    too, while the query stays small (SecantusDB's `$in` grows faster than its key count)."""
    return tuple(sorted(fp.keys)[:LOOKUP_KEYS])


def candidate_query(fp: Fingerprint) -> dict[str, Any]:
    """Equal normalised bodies have equal units, so the unit keys find exact copies too: the body
    key is only asked for when there are no units (and no keys) to look up.

    One single-field query: not every server answers an `$or`, or a second condition, from the
    index (SecantusDB then scans the collection), and this is an index lookup everywhere;
    tests/test_dedup.py checks the plan."""
    return {"dedup.keys": {"$in": list(lookup_keys(fp))}} if fp.keys else {"dedup.body_key": fp.body_key}
