"""When two fingerprints are the same story: enough of the shorter text is covered by the other.

Thresholds chosen by measurement (bench/dedup_eval.py, 207 stories, 1,863 texts): across every
pair of different stories, including stories under one shared template and headline tail, the
highest coverage seen was 0.26; copies that combine every edit at once (Traditional with Taiwan
phrasing, trimmed, a paragraph dropped, a sentence replaced, attribution and tail) go down to
~0.40. MIN_COVERAGE sits between the two.
"""

from __future__ import annotations

from crawler.dedup.fingerprint import Fingerprint, hamming

MATCH_DISTANCE = 2  # bits two unit simhashes may differ by and still be the same sentence
MIN_COVERAGE = 0.35  # share of the shorter article's characters found in the other (see module doc)
MIN_SHARED_UNITS = 2  # one shared sentence (a quote, a disclaimer) is not a copy


def coverage(a: Fingerprint, b: Fingerprint) -> tuple[float, int]:
    """Share of the shorter article's unit characters that have a near-equal unit in the other,
    and how many units matched."""
    short, long_ = (a, b) if sum(a.lengths) <= sum(b.lengths) else (b, a)
    total = sum(short.lengths)
    if not total:
        return 0.0, 0
    others = set(long_.units)
    matched_chars = matched_units = 0
    for value, length in zip(short.units, short.lengths, strict=True):
        if value in others or any(hamming(value, other) <= MATCH_DISTANCE for other in long_.units):
            matched_chars += length
            matched_units += 1
    return matched_chars / total, matched_units


def similarity(a: Fingerprint, b: Fingerprint) -> float | None:
    """A score in (0, 1] when a and b are copies of one story, else None."""
    if a.body_key == b.body_key:
        return 1.0
    share, units = coverage(a, b)
    enough_units = units >= min(MIN_SHARED_UNITS, len(a.units), len(b.units))
    return round(share, 4) if share >= MIN_COVERAGE and enough_units else None
