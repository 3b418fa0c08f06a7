"""What one store operation costs on the embedded SecantusDB: a lookup by URL, and a multikey `$in`
lookup as the number of keys grows — the numbers behind not batching the grouping lookups; and an
update of two fields no index covers but one, as the document's multikey array grows (an article
holds up to 64 unit keys): what a re-check's `last_seen` / `recheck_at` costs.

    python bench/store_ops.py --docs 2000 --keys 10 100 1000 5000 --array 0 32 64
"""

from __future__ import annotations

import argparse
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
        server.stop()


if __name__ == "__main__":
    main()
