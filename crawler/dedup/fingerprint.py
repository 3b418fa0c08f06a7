"""Fingerprints of a cleaned body: one 64-bit simhash per sentence unit (over character 3-grams),
their keys for the index, and a key of the whole normalised body for exact copies.

The values are those of `simhash.Simhash(features, hashfunc=...)` (a test holds them equal), but
computed for every unit of an article in one numpy pass: simhash.Simhash loops in Python over each
feature, which cost 7 ms per article, the largest single cost of a crawl."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from crawler.dedup.normalise import normalise, sentence_units

SHINGLE = 3  # characters per feature: a Chinese word is 1-3 characters
MAX_FEATURE_WEIGHT = 255  # simhash 2.1.2 with numpy 2 overflows above this: kept, values stay its
MAX_UNITS = 64  # units fingerprinted per article: the first ones, which every copy keeps
KEY_BITS = 32  # a unit's index key: the low half of its simhash


@dataclass(frozen=True)
class Fingerprint:
    units: tuple[int, ...]  # one simhash per unit, as signed 64-bit integers (BSON int64)
    lengths: tuple[int, ...]  # normalised characters of each unit: the weight of its evidence
    body_key: str  # SHA-1 of the whole normalised body: exact copies in any script
    keys: tuple[int, ...] = field(default=())  # index keys of the units (`index_keys`)


def feature_hash(feature: bytes) -> bytes:
    """64 bits of BLAKE2b: as well spread as simhash's default MD5, and faster."""
    return hashlib.blake2b(feature, digest_size=8).digest()


def _features(unit: str) -> dict[str, int]:
    counts = Counter(unit[i : i + SHINGLE] for i in range(max(len(unit) - SHINGLE + 1, 1)))
    return {k: min(v, MAX_FEATURE_WEIGHT) for k, v in counts.items()}


def unit_hashes(units: list[str]) -> tuple[int, ...]:
    """Each unit's simhash: bit i is set when the features whose hash has bit i set outweigh half
    of all the unit's features (simhash.Simhash.build_by_features, most significant bit first)."""
    if not units:
        return ()
    features = [_features(u) for u in units]
    digests = b"".join(feature_hash(f.encode()) for unit in features for f in unit)
    weights = np.fromiter((w for unit in features for w in unit.values()), dtype=np.int64)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(-1, 64).astype(np.int64)
    starts = np.cumsum([0] + [len(unit) for unit in features[:-1]])
    sums = np.add.reduceat(bits * weights[:, None], starts, axis=0)
    totals = np.add.reduceat(weights, starts)
    packed = np.packbits(sums > totals[:, None] / 2, axis=1)
    return tuple(int.from_bytes(row.tobytes(), "big", signed=True) for row in packed)


def index_keys(units: Iterable[int]) -> tuple[int, ...]:
    """One key per unit, the low KEY_BITS bits of its simhash: copies share many sentences
    outright (normalisation makes their text equal), so one equal unit finds a copy, and
    verification then allows MATCH_DISTANCE bits per unit. Not a key per band (Manku et al. 2007,
    which also finds units a bit apart): a second band found no copy more in bench/dedup_eval.py
    and doubled every article's index entries and every lookup's probes. Articles stored with
    two band keys per unit hold this key among them (band 0), so they are still found."""
    return tuple(sorted({value & ((1 << KEY_BITS) - 1) for value in units}))


def fingerprint(body: str) -> Fingerprint:
    units = sentence_units(body)[:MAX_UNITS]
    hashes = unit_hashes(units)
    body_key = hashlib.sha1(normalise(body).encode()).hexdigest()
    return Fingerprint(units=hashes, lengths=tuple(len(u) for u in units), body_key=body_key, keys=index_keys(hashes))


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
