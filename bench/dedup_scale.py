"""Near-duplicate lookups at scale: candidates examined and time per lookup through the real
MongoDB-wire key index, as the store grows, next to simhash.SimhashIndex on the same fingerprints.

    python bench/dedup_scale.py --sizes 10000 100000            # embedded SecantusDB
    python bench/dedup_scale.py --sizes 1000000 --mongo-uri mongodb://127.0.0.1:27017/
    python bench/dedup_scale.py --in-memory --sizes 10000 100000 1000000

`--in-memory` runs the same keys and lookups through a plain key index held in sorted numpy
arrays instead of a server: the candidate counts a server's index would return, at sizes the
embedded SecantusDB (a Python server, ~200 articles/s with 60 index keys each) takes hours to fill.

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
from crawler.dedup.index import DEDUP_INDEXES, candidates  # noqa: E402

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
    dedup = {"units": [Int64(u) for u in fp.units], "lengths": list(fp.lengths), "body_key": fp.body_key,
             "keys": [Int64(k) for k in fp.keys]}
    return {"url": f"https://example.com/{n}.html", "cluster_id": f"{n:016x}", "dedup": dedup}


def in_memory(sizes: list[int]) -> None:
    """The same keys in a sorted array: candidates a lookup examines, and its time."""
    import numpy as np

    rng = np.random.default_rng(7)
    largest = max(sizes)
    units = rng.integers(0, 2**63, size=(largest, UNITS), dtype=np.int64) * 2 + rng.integers(0, 2, size=(largest, UNITS))
    print(f"{'articles':>10}{'cand/lookup':>13}{'found':>7}{'ms/lookup':>11}   (plain key index in memory)")
    py_rng = random.Random(7)
    for size in sorted(sizes):
        flat = units[:size].ravel().view(np.uint64)
        keys = np.concatenate([flat & 0xFFFFFFFF, (flat >> np.uint64(32)) | np.uint64(1 << 32)])
        owner = np.concatenate([np.repeat(np.arange(size), UNITS)] * 2)
        order = np.argsort(keys, kind="stable")
        keys, owner = keys[order], owner[order]
        counts, times, hits = [], [], 0
        for i in py_rng.sample(range(size), LOOKUPS):
            stored = Fingerprint(tuple(signed(int(u)) for u in flat[i * UNITS : (i + 1) * UNITS]), (50,) * UNITS, "", ())
            probe = np.array([k & ((1 << 64) - 1) for k in mirror(stored, py_rng).keys], dtype=np.uint64)
            t = time.perf_counter()
            left, right = np.searchsorted(keys, probe, "left"), np.searchsorted(keys, probe, "right")
            found = set(np.concatenate([owner[a:b] for a, b in zip(left, right, strict=True)]).tolist())
            times.append((time.perf_counter() - t) * 1000)
            counts.append(len(found))
            hits += i in found
        print(f"{size:>10}{statistics.mean(counts):>13.1f}{hits / LOOKUPS:>7.2f}{statistics.mean(times):>11.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--mongo-uri", help="a MongoDB to use instead of an embedded SecantusDB")
    parser.add_argument("--in-memory", action="store_true", help="a plain key index in numpy arrays, no server")
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
    print(f"{'articles':>10}{'build s':>9}{'cand/lookup':>13}{'found':>7}{'ms/lookup':>11}   {'SimhashIndex ms/lookup':>22}{'found':>7}")
    start = time.perf_counter()
    for size in sorted(args.sizes):
        while len(stored) < size:
            batch = [article(rng) for _ in range(min(BATCH, size - len(stored)))]
            collection.insert_many([document(len(stored) + i, fp) for i, fp in enumerate(batch)], ordered=False)
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
        row = f"{size:>10}{build:>9.0f}{statistics.mean(counts):>13.1f}{hits / LOOKUPS:>7.2f}{statistics.mean(times):>11.2f}"
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
