"""What one store operation costs on the embedded SecantusDB: a lookup by URL, and a multikey `$in`
lookup as the number of keys grows — the numbers behind not batching the grouping lookups; and an
update of two fields no index covers but one, as the document's multikey array grows (an article
holds up to 64 unit keys): what a re-check's `last_seen` / `recheck_at` costs; and what looking
for copies of a batch's new articles costs per article, as they are asked for N at a time
(`crawler.store.groups.LOOKUP_CHUNK`): each lookup finds the articles it asks for themselves, just
stored, and SecantusDB checks each one it finds against the whole `$in` list.

    python bench/store_ops.py --docs 2000 --keys 10 100 1000 5000 --array 0 32 64 --chunks 1 2 5 10 20 50
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time

import pymongo
from pymongo import UpdateOne
from secantus import SecantusDBServer

KEYS_PER_DOC = 10


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--keys", type=int, nargs="+", default=[10, 100, 1000, 5000])
    parser.add_argument(
        "--array", type=int, nargs="+", default=[0, 32, 64], help="multikey keys per updated document"
    )
    parser.add_argument(
        "--chunks", type=int, nargs="+", default=[1, 5, 20], help="new articles one copy lookup asks for"
    )
    parser.add_argument("--repeat", type=int, default=200, help="lookups timed per small query")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = SecantusDBServer(storage_path=tmp)
        server.start()
        docs = pymongo.MongoClient(server.uri)["bench"]["docs"]
        docs.create_index("url", unique=True)
        docs.create_index("keys")
        docs.insert_many(
            [
                {
                    "url": f"u{i}",
                    "keys": [i * KEYS_PER_DOC + j for j in range(KEYS_PER_DOC)],
                    "body": "x" * 3000,
                }
                for i in range(args.docs)
            ]
        )
        started = time.perf_counter()
        for i in range(args.repeat):
            docs.find_one({"url": f"u{i % args.docs}"}, {"url": 1})
        print(f"{args.docs} documents, {KEYS_PER_DOC} multikey keys each")
        print(f"find_one by url: {(time.perf_counter() - started) / args.repeat * 1000:.2f} ms")
        for n in args.keys:
            repeat = max(1, args.repeat * 10 // n)
            started = time.perf_counter()
            for r in range(repeat):
                list(
                    docs.find(
                        {"keys": {"$in": [(r * n + k) % (args.docs * KEYS_PER_DOC) for k in range(n)]}},
                        {"url": 1},
                    )
                )
            print(f"$in of {n:>5} keys: {(time.perf_counter() - started) / repeat * 1000:10.1f} ms")
        for size in args.array:
            updated = pymongo.MongoClient(server.uri)["bench"][f"updated_{size}"]
            updated.create_index("url", unique=True)
            updated.create_index("recheck_at")
            updated.create_index("keys")
            updated.insert_many(
                [
                    {
                        "url": f"u{i}",
                        "keys": list(range(i * size, (i + 1) * size)),
                        "body": "x" * 3000,
                        "recheck_at": i,
                    }
                    for i in range(args.docs)
                ]
            )
            ops = [
                UpdateOne({"url": f"u{i}"}, {"$set": {"recheck_at": args.docs + i, "last_seen": i}})
                for i in range(min(args.docs, args.repeat * 5))
            ]
            started = time.perf_counter()
            updated.bulk_write(ops, ordered=True)
            print(
                f"$set of 2 fields, {size:>3} multikey keys in the document: "
                f"{(time.perf_counter() - started) / len(ops) * 1000:6.2f} ms per update"
            )
        chunked_lookups(pymongo.MongoClient(server.uri)["bench"]["articles"], args.docs, args.chunks)
        server.stop()


def chunked_lookups(articles: pymongo.collection.Collection, size: int, chunks: list[int]) -> None:
    """Articles of 24 random unit keys (a story of its own each, as most are); the last 100 stored
    are the batch, each looked up by its LOOKUP_KEYS smallest keys, `chunk` articles per query."""
    from crawler.dedup.index import LOOKUP_KEYS

    rng = random.Random(1)
    articles.create_index("url", unique=True)
    articles.create_index("dedup.keys")
    keys = [sorted(rng.getrandbits(32) for _ in range(24)) for _ in range(size)]
    stored = [{"url": f"u{i}", "dedup": {"keys": unit_keys}} for i, unit_keys in enumerate(keys)]
    articles.insert_many(stored)
    batch = stored[-100:]
    for chunk in chunks:
        started = time.perf_counter()
        for start in range(0, len(batch), chunk):
            keys = {k for doc in batch[start : start + chunk] for k in doc["dedup"]["keys"][:LOOKUP_KEYS]}
            list(articles.find({"dedup.keys": {"$in": sorted(keys)}}, {"_id": 0, "url": 1, "dedup.keys": 1}))
        per_article = (time.perf_counter() - started) / len(batch) * 1000
        print(f"copy lookups {chunk:>3} new articles at a time: {per_article:5.2f} ms per article")


if __name__ == "__main__":
    main()
