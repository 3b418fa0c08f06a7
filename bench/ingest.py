"""What storing an article costs on the embedded SecantusDB, per article: the whole ingest of a
batch (write, group, count) for new articles and for unchanged re-fetches, and its parts — the two
ways a new article can be written (an insert of its first version, or the pipeline update every
known URL gets) and one grouping lookup.

    python bench/ingest.py --articles 1000

Articles are the pages of bench/crawl.py's site (NetEase template, each a different story), through
the project's extraction, cleaning and fingerprinting, in batches of MONGO_BATCH_SIZE.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymongo
from pymongo import InsertOne
from scrapy.settings import Settings
from secantus import SecantusDBServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl import Pages  # noqa: E402

import crawler.default_settings  # noqa: E402
from crawler.dedup.fingerprint import fingerprint  # noqa: E402
from crawler.dedup.index import as_document, from_document  # noqa: E402
from crawler.process import process_page  # noqa: E402
from crawler.sources import BUILT_IN  # noqa: E402
from crawler.store.counters import Tallies  # noqa: E402
from crawler.store.groups import candidates  # noqa: E402
from crawler.store.ingest import ingest  # noqa: E402
from crawler.store.mongo import ensure_collection, first_version, upsert_op  # noqa: E402
from crawler.store.schema import to_document  # noqa: E402

BATCH = crawler.default_settings.MONGO_BATCH_SIZE


def articles(count: int) -> list[dict[str, Any]]:
    pages = Pages(count)
    docs = []
    for n in range(count):
        url = f"http://www.163.com/dy/article/{pages.article_id(n)}.html"
        article = process_page(pages.get(url) or b"", url, "netease")
        article.dedup = as_document(fingerprint(article.body))
        docs.append(to_document(article))
    return docs


def per_article(docs: list[dict[str, Any]], write: Callable[[list[dict[str, Any]]], Any]) -> float:
    """Milliseconds per article of `write` over the documents, a batch at a time."""
    started = time.perf_counter()
    for start in range(0, len(docs), BATCH):
        write(docs[start : start + BATCH])
    return (time.perf_counter() - started) / len(docs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=1000)
    args = parser.parse_args()
    docs = articles(args.articles)
    settings = Settings()
    settings.setmodule(crawler.default_settings)
    with tempfile.TemporaryDirectory() as tmp:
        server = SecantusDBServer(storage_path=tmp)
        server.start()
        client = pymongo.MongoClient(server.uri, tz_aware=True)
        tallies = Tallies.of(client[settings.get("MONGO_DATABASE")], settings)
        tallies.ensure()
        collections = {name: client["bench"][name] for name in ("articles", "inserted", "updated")}
        for collection in collections.values():
            ensure_collection(collection)
        keys = sum(len(d["dedup"]["keys"]) for d in docs) / len(docs)
        print(f"{len(docs)} articles, {keys:.0f} index keys each, batches of {BATCH}; ms per article:")
        rows = [
            (
                "ingest, new articles",
                per_article(docs, lambda b: ingest(collections["articles"], tallies, b, BUILT_IN.outlets)),
            ),
            (
                "ingest, unchanged re-fetches",
                per_article(docs, lambda b: ingest(collections["articles"], tallies, b, BUILT_IN.outlets)),
            ),
            (
                "  write new: insert of its first version",
                per_article(
                    docs,
                    lambda b: collections["inserted"].bulk_write([InsertOne(first_version(d)) for d in b]),
                ),
            ),
            (
                "  write new: pipeline update (upsert)",
                per_article(docs, lambda b: collections["updated"].bulk_write([upsert_op(d) for d in b])),
            ),
            (
                "  grouping lookup of a stored article",
                per_article(
                    docs,
                    lambda b: [candidates(collections["articles"], from_document(d), d["url"]) for d in b],
                ),
            ),
        ]
        for name, ms in rows:
            print(f"{name:<42}{ms:8.2f}")
        server.stop()


if __name__ == "__main__":
    main()
