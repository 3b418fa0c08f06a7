"""When two fingerprints are the same story: enough of the shorter text is covered by the other.

Thresholds chosen by measurement (bench/dedup_eval.py, 207 stories, 1,863 texts): across every
pair of different stories, including stories under one shared template and headline tail, the
highest coverage seen was 0.26; copies that combine every edit at once (Traditional with Taiwan
phrasing, trimmed, a paragraph dropped, a sentence replaced, attribution and tail) go down to
~0.40. MIN_COVERAGE sits between the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler import default_settings
from crawler.dedup.fingerprint import Fingerprint, hamming


@dataclass(frozen=True)
class Thresholds:
    """The grouping rule's knobs (settings DEDUP_*), checked once."""

    match_distance: int = default_settings.DEDUP_MATCH_DISTANCE
    min_coverage: float = default_settings.DEDUP_MIN_COVERAGE
    min_shared_units: int = default_settings.DEDUP_MIN_SHARED_UNITS
    common_unit_clusters: int = default_settings.DEDUP_COMMON_UNIT_CLUSTERS

    def __post_init__(self) -> None:
        if not (0 <= self.match_distance <= 8 and 0 < self.min_coverage <= 1 and self.min_shared_units >= 1):
            raise ValueError(f"DEDUP_* settings out of range: {self}")
        if self.common_unit_clusters < 2:
            raise ValueError("DEDUP_COMMON_UNIT_CLUSTERS must be at least 2")


DEFAULT = Thresholds()


def coverage(a: Fingerprint, b: Fingerprint, t: Thresholds = DEFAULT) -> tuple[float, int]:
    """Share of the shorter article's unit characters that have a near-equal unit in the other,
    and how many units matched."""
    short, long_ = (a, b) if sum(a.lengths) <= sum(b.lengths) else (b, a)
    total = sum(short.lengths)
    if not total:
        return 0.0, 0
    others = set(long_.units)
    matched_chars = matched_units = 0
    for value, length in zip(short.units, short.lengths, strict=True):
        if value in others or any(hamming(value, other) <= t.match_distance for other in long_.units):
            matched_chars += length
            matched_units += 1
    return matched_chars / total, matched_units


def similarity(a: Fingerprint, b: Fingerprint, t: Thresholds = DEFAULT) -> float | None:
    """A score in (0, 1] when a and b are copies of one story, else None."""
    if a.body_key == b.body_key:
        return 1.0
    if a.version != b.version:  # units hashed differently say nothing of each other
        return None
    share, units = coverage(a, b, t)
    enough_units = units >= min(t.min_shared_units, len(a.units), len(b.units))
    return round(share, 4) if share >= t.min_coverage and enough_units else None


def without(fp: Fingerprint, common: frozenset[int]) -> Fingerprint:
    """The fingerprint minus boilerplate units: text many unrelated stories share is no evidence."""
    if not common:
        return fp
    kept = [(u, n) for u, n in zip(fp.units, fp.lengths, strict=True) if u not in common]
    return Fingerprint(tuple(u for u, _ in kept), tuple(n for _, n in kept), fp.body_key, fp.keys, fp.version)
