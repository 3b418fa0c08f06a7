"""What one store operation costs on the embedded SecantusDB: a lookup by URL, and a multikey `$in`
lookup as the number of keys grows — the numbers behind not batching the grouping lookups.

    python bench/store_ops.py --docs 2000 --keys 10 100 1000 5000
"""

from __future__ import annotations

import argparse
import tempfile
import time

import pymongo
from secantus import SecantusDBServer

KEYS_PER_DOC = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--keys", type=int, nargs="+", default=[10, 100, 1000, 5000])
    parser.add_argument("--repeat", type=int, default=200, help="lookups timed per small query")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = SecantusDBServer(storage_path=tmp)
        server.start()
        docs = pymongo.MongoClient(server.uri)["bench"]["docs"]
        docs.create_index("url", unique=True)
        docs.create_index("keys")
        docs.insert_many([{"url": f"u{i}", "keys": [i * KEYS_PER_DOC + j for j in range(KEYS_PER_DOC)],
                           "body": "x" * 3000} for i in range(args.docs)])
        started = time.perf_counter()
        for i in range(args.repeat):
            docs.find_one({"url": f"u{i % args.docs}"}, {"url": 1})
        print(f"{args.docs} documents, {KEYS_PER_DOC} multikey keys each")
        print(f"find_one by url: {(time.perf_counter() - started) / args.repeat * 1000:.2f} ms")
        for n in args.keys:
            repeat = max(1, args.repeat * 10 // n)
            started = time.perf_counter()
            for r in range(repeat):
                list(docs.find({"keys": {"$in": [(r * n + k) % (args.docs * KEYS_PER_DOC) for k in range(n)]}},
                               {"url": 1}))
            print(f"$in of {n:>5} keys: {(time.perf_counter() - started) / repeat * 1000:10.1f} ms")
        server.stop()


if __name__ == "__main__":
    main()
