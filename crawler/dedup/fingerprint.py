"""Fingerprints of a cleaned body: one 64-bit simhash per sentence unit (over character 3-grams),
their keys for the index, and a key of the whole normalised body for exact copies.

The values are those of `simhash.Simhash(features, hashfunc=gram_hash)` (a test holds them equal),
computed for every unit of an article in one numpy pass. Version 2 hashes a 3-gram by packing its
three code points (21 bits each) into one 64-bit integer and mixing it with SplitMix64's finaliser,
vectorised over every 3-gram at once: version 1 called BLAKE2b once per 3-gram, the largest CPU
cost of a crawl (3.0 ms per article against 0.4 ms, profiling a bench/crawl.py run). Fingerprints of different
versions are not comparable; `crawler db regroup` renews stored ones (the version is stored as
`dedup.v`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from crawler.dedup.normalise import simplified, squashed, units_of

VERSION = 2  # stored as dedup.v: fingerprints of other versions are renewed by `crawler db regroup`
SHINGLE = 3  # characters per feature: a Chinese word is 1-3 characters
MAX_UNITS = 64  # units fingerprinted per article: the first ones, which every copy keeps
KEY_BITS = 32  # a unit's index key: the low half of its simhash


@dataclass(frozen=True)
class Fingerprint:
    units: tuple[int, ...]  # one simhash per unit, as signed 64-bit integers (BSON int64)
    lengths: tuple[int, ...]  # normalised characters of each unit: the weight of its evidence
    body_key: str  # SHA-1 of the whole normalised body: exact copies in any script
    keys: tuple[int, ...] = field(default=())  # index keys of the units (`index_keys`)
    version: int = VERSION  # how the units were computed: only units of one version compare


_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))  # SplitMix64's multipliers


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser (Steele et al. 2014): every input bit moves every output bit."""
    x = (x ^ (x >> np.uint64(30))) * _MIX[0]
    x = (x ^ (x >> np.uint64(27))) * _MIX[1]
    return x ^ (x >> np.uint64(31))


def _grams(unit: str) -> np.ndarray:
    """The unit's 3-grams, each its three code points packed into one integer (a unit shorter
    than a 3-gram is one feature, padded with zeros, as simhash takes the whole short text)."""
    points = np.frombuffer(unit.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(points) < SHINGLE:
        points = np.concatenate([points, np.zeros(SHINGLE - len(points), dtype=np.uint64)])
    return (points[:-2] << np.uint64(42)) | (points[1:-1] << np.uint64(21)) | points[2:]


def _all_grams(units: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Every unit's 3-grams, in one array, and how many each unit has: the units' code points are
    read in one go and the 3-grams that would span two units left out (per unit, numpy's fixed
    cost per call outweighs the work on a 50-character unit)."""
    lengths = np.array([len(u) for u in units])
    if lengths.min() < SHINGLE:
        grams = [_grams(u) for u in units]
        return np.concatenate(grams), np.array([len(g) for g in grams])
    points = np.frombuffer("".join(units).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    spanning = (points[:-2] << np.uint64(42)) | (points[1:-1] << np.uint64(21)) | points[2:]
    counts = lengths - (SHINGLE - 1)
    unit_starts = np.concatenate([[0], np.cumsum(lengths[:-1])])
    gram_starts = np.concatenate([[0], np.cumsum(counts[:-1])])
    within = np.arange(int(counts.sum())) + np.repeat(unit_starts - gram_starts, counts)
    return spanning[within], counts


def gram_hash(feature: bytes) -> bytes:
    """One 3-gram's hash, as `unit_hashes` computes it for all at once: a simhash.Simhash hashfunc."""
    return int(_mix(_grams(feature.decode())[:1])[0]).to_bytes(8, "big")


def unit_hashes(units: list[str]) -> tuple[int, ...]:
    """Each unit's simhash: bit i is set when more than half of the unit's 3-grams (counted with
    repeats, as simhash weighs a feature by its count) have bit i set in their hash, most
    significant bit first."""
    if not units:
        return ()
    grams, counts = _all_grams(units)
    hashes = _mix(grams)
    bits = np.unpackbits(hashes.astype(">u8").view(np.uint8)).reshape(-1, 64)
    starts = np.concatenate([[0], np.cumsum(counts[:-1])])
    sums = np.add.reduceat(bits, starts, axis=0, dtype=np.int64)
    packed = np.packbits(sums * 2 > counts[:, None], axis=1)
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
    simple = simplified(body)
    units = units_of(simple, MAX_UNITS)
    hashes = unit_hashes(units)
    body_key = hashlib.sha1(squashed(simple).encode()).hexdigest()
    return Fingerprint(
        units=hashes, lengths=tuple(len(u) for u in units), body_key=body_key, keys=index_keys(hashes)
    )


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
