"""Near-duplicate lookups at scale: candidates examined and time per lookup through the real
MongoDB-wire key index, as the store grows, next to simhash.SimhashIndex on the same fingerprints.

    python bench/dedup_scale.py --sizes 10000 100000            # embedded SecantusDB
    python bench/dedup_scale.py --sizes 1000000 --mongo-uri mongodb://127.0.0.1:27017/
    python bench/dedup_scale.py --in-memory --sizes 1000000 10000000 30000000

`--in-memory` runs the same kind of keys and lookups through a compact key index held in one
sorted numpy array (8 bytes per unit) instead of a server: the candidate counts a server's index
would return, at sizes (10M, 30M articles) the embedded SecantusDB (a Python server, ~200
articles/s with 30 index keys each) takes days to fill.

Stored articles are synthetic (random unit fingerprints, UNITS per article, keys from the real
index_keys); each lookup is a mirror of a stored article (a third of its units dropped, two units
off by one bit, five foreign units added) through the real `candidates` query. Reported: articles
the query returns (candidates examined), whether the mirrored article is among them, and
milliseconds per lookup. The same lookups go through simhash.SimhashIndex (k=2), unit by unit.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pymongo
from bson.int64 import Int64
from simhash import Simhash, SimhashIndex

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawler.dedup.fingerprint import KEY_BITS, Fingerprint, index_keys  # noqa: E402
from crawler.store.groups import DEDUP_INDEXES, candidates  # noqa: E402

UNITS = 30  # sentence units of a ~1,500-character article
LOOKUPS = 100
BATCH = 1000
SIMHASH_INDEX_MAX = 100_000  # articles; beyond this SimhashIndex needs several GB of memory


def signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def article(rng: random.Random) -> Fingerprint:
    units = tuple(signed(rng.getrandbits(64)) for _ in range(UNITS))
    return Fingerprint(units, (50,) * UNITS, f"{rng.getrandbits(160):040x}", index_keys(units))


def mirror(fp: Fingerprint, rng: random.Random) -> Fingerprint:
    units = [u for u in fp.units if rng.random() > 1 / 3]
    for i in rng.sample(range(len(units)), 2):
        units[i] = signed((units[i] & ((1 << 64) - 1)) ^ (1 << rng.randrange(64)))
    units += [signed(rng.getrandbits(64)) for _ in range(5)]
    return Fingerprint(tuple(units), (50,) * len(units), "mirror", index_keys(units))


def document(n: int, fp: Fingerprint) -> dict:
    dedup = {
        "units": [Int64(u) for u in fp.units],
        "lengths": list(fp.lengths),
        "body_key": fp.body_key,
        "keys": [Int64(k) for k in fp.keys],
    }
    return {"url": f"https://example.com/{n}.html", "cluster_id": f"{n:016x}", "dedup": dedup}


def in_memory(sizes: list[int]) -> None:
    """The same keys in one sorted array of (key << 32 | article) integers, 8 bytes per unit, sorted
    in place and searched with `searchsorted`: candidates a lookup examines, whether the mirrored
    article is among them, and the time. Keys are the index keys themselves (the low 32 bits of a
    unit's simhash, random here as real ones are); a mirror keeps two thirds of them, changes each
    of two with the chance that a one-bit flip falls in the low half, and adds five of its own."""
    import numpy as np

    print(
        f"{'articles':>10}{'index GB':>10}{'build s':>9}{'cand/lookup':>13}{'found':>7}{'ms/lookup':>11}"
        "   (sorted key array in memory)"
    )
    chunk = 1_000_000  # articles generated at once
    for size in sorted(sizes):
        rng = np.random.default_rng(7)
        sampled = set(random.Random(size).sample(range(size), LOOKUPS))
        kept: dict[int, np.ndarray] = {}
        started = time.perf_counter()
        index = np.empty(size * UNITS, dtype=np.uint64)
        for first in range(0, size, chunk):
            n = min(chunk, size - first)
            keys = rng.integers(0, 2**32, size=(n, UNITS), dtype=np.uint64)
            owners = np.arange(first, first + n, dtype=np.uint64)[:, None]
            index[first * UNITS : (first + n) * UNITS] = ((keys << np.uint64(32)) | owners).ravel()
            kept.update({i: keys[i - first].copy() for i in sampled if first <= i < first + n})
        index.sort()
        build = time.perf_counter() - started
        py_rng = random.Random(size)
        counts, times, hits = [], [], 0
        for i in sorted(sampled):
            probe = mirror_keys(kept[i], py_rng)
            t = time.perf_counter()
            low = np.searchsorted(index, probe << np.uint64(32), "left")
            high = np.searchsorted(index, (probe << np.uint64(32)) | np.uint64(0xFFFFFFFF), "right")
            found = set(
                (
                    np.concatenate([index[a:b] for a, b in zip(low, high, strict=True)])
                    & np.uint64(0xFFFFFFFF)
                ).tolist()
            )
            times.append((time.perf_counter() - t) * 1000)
            counts.append(len(found))
            hits += i in found
        print(
            f"{size:>10}{index.nbytes / 1e9:>10.1f}{build:>9.0f}{statistics.mean(counts):>13.1f}"
            f"{hits / LOOKUPS:>7.2f}{statistics.mean(times):>11.3f}",
            flush=True,
        )
        del index


def mirror_keys(keys, rng: random.Random):
    """A mirror's index keys, as `mirror` changes a fingerprint's units (see in_memory)."""
    import numpy as np

    kept = [int(k) for k in keys if rng.random() > 1 / 3]
    for j in rng.sample(range(len(kept)), 2):
        bit = rng.randrange(64)
        if bit < 32:
            kept[j] ^= 1 << bit
    kept += [rng.getrandbits(32) for _ in range(5)]
    return np.array(sorted(set(kept)), dtype=np.uint64)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--mongo-uri", help="a MongoDB to use instead of an embedded SecantusDB")
    parser.add_argument(
        "--in-memory", action="store_true", help="a plain key index in numpy arrays, no server"
    )
    args = parser.parse_args()
    if args.in_memory:
        in_memory(args.sizes)
        return
    server = None
    uri = args.mongo_uri
    if not uri:
        from secantus import SecantusDBServer

        server = SecantusDBServer(storage_path=tempfile.mkdtemp(prefix="dedup-scale-"))
        server.start()
        uri = server.uri
    client = pymongo.MongoClient(uri)
    collection = client.dedup_scale.articles
    collection.drop()
    collection.create_indexes(DEDUP_INDEXES)
    rng = random.Random(7)
    stored: list[Fingerprint] = []
    print(f"{UNITS} units and as many keys per article; key bits {KEY_BITS}")
    print(
        f"{'articles':>10}{'build s':>9}{'cand/lookup':>13}{'found':>7}{'ms/lookup':>11}   "
        f"{'SimhashIndex ms/lookup':>22}{'found':>7}"
    )
    start = time.perf_counter()
    for size in sorted(args.sizes):
        while len(stored) < size:
            batch = [article(rng) for _ in range(min(BATCH, size - len(stored)))]
            collection.insert_many(
                [document(len(stored) + i, fp) for i, fp in enumerate(batch)], ordered=False
            )
            stored.extend(batch)
        build = time.perf_counter() - start
        probes = [(i, mirror(stored[i], rng)) for i in rng.sample(range(size), LOOKUPS)]
        counts, times, hits = [], [], 0
        for i, probe in probes:
            t = time.perf_counter()
            found = candidates(collection, probe, "probe")
            times.append((time.perf_counter() - t) * 1000)
            counts.append(len(found))
            hits += any(d["url"] == f"https://example.com/{i}.html" for d in found)
        row = (
            f"{size:>10}{build:>9.0f}{statistics.mean(counts):>13.1f}{hits / LOOKUPS:>7.2f}"
            f"{statistics.mean(times):>11.2f}"
        )
        if size <= SIMHASH_INDEX_MAX:
            row += "   " + simhash_index_row(stored, probes)
        print(row, flush=True)
    if server:
        server.stop()


def simhash_index_row(stored: list[Fingerprint], probes: list[tuple[int, Fingerprint]]) -> str:
    """The simhash package's own index over the same unit fingerprints, looked up unit by unit."""
    objs = [(str(n), Simhash(u & ((1 << 64) - 1))) for n, fp in enumerate(stored) for u in fp.units]
    index = SimhashIndex(objs, k=2)
    times, hits = [], 0
    for i, probe in probes:
        t = time.perf_counter()
        found = {d for u in probe.units for d in index.get_near_dups(Simhash(u & ((1 << 64) - 1)))}
        times.append((time.perf_counter() - t) * 1000)
        hits += str(i) in found
    return f"{statistics.mean(times):>22.2f}{hits / len(probes):>7.2f}"


if __name__ == "__main__":
    main()
