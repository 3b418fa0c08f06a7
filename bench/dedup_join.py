"""What it costs to join copies to one story: a story mirrored COPIES times, the copies stored one
by one through the store's own ingest (versioned write, then grouping), on an embedded SecantusDB.

    python bench/dedup_join.py --copies 500

Reported: documents written by grouping in all (update statements the server received, counted by
a pymongo command listener, minus the article writes themselves), documents read, and seconds.
Each copy is the story with another headline tail and one of its sentences dropped, stamped a
minute after the one before, so the first stored stays the original all along: the writes that
must happen are the new member's and the original's, one each per join.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
from pymongo import monitoring
from scrapy.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawler import default_settings  # noqa: E402
from crawler.dedup.fingerprint import fingerprint  # noqa: E402
from crawler.dedup.index import as_document  # noqa: E402
from crawler.items import Article  # noqa: E402
from crawler.sources import BUILT_IN  # noqa: E402
from crawler.store.client import StoreClient  # noqa: E402
from crawler.store.ingest import Store  # noqa: E402
from crawler.store.schema import to_document  # noqa: E402

STORY = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "expected" / "netease.json"
T0 = datetime(2024, 6, 26, 1, 15, tzinfo=UTC)


WRITES = {"update": "updates", "insert": "documents", "delete": "deletes"}


class Counter(monitoring.CommandListener):
    """Statements written and documents read, as the server was asked."""

    def __init__(self, collection: str) -> None:
        self.collection = collection
        self.written = self.read = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        key = WRITES.get(event.command_name)
        if key and event.command.get(event.command_name) == self.collection:
            self.written += len(event.command.get(key, ()))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        cursor = event.reply.get("cursor") if isinstance(event.reply, dict) else None
        if cursor:
            self.read += len(cursor.get("firstBatch", ()) or cursor.get("nextBatch", ()))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def copies(body: str, n: int) -> list[str]:
    """The story, then n-1 copies: one sentence dropped (in turn) and a tail of their own."""
    sentences = [s for s in body.replace("。", "。\n").split("\n") if s.strip()]
    out = [body]
    for i in range(1, n):
        kept = [s for j, s in enumerate(sentences) if j != i % len(sentences)]
        out.append("\n".join(kept) + f"\n责任编辑：编辑{i}号\n更多精彩内容请关注第{i}频道")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--copies", type=int, default=500)
    args = parser.parse_args()
    import json

    from secantus import SecantusDBServer

    body = json.loads(STORY.read_text(encoding="utf-8"))["body"]
    with tempfile.TemporaryDirectory() as tmp:
        server = SecantusDBServer(storage_path=tmp)
        server.start()
        counter = Counter(default_settings.MONGO_COLLECTION)
        settings = Settings({k: getattr(default_settings, k) for k in dir(default_settings) if k.isupper()})
        settings.set("MONGO_URI", server.uri)
        settings.set("SPOOL_PATH", str(Path(tmp) / "spool.jsonl"))
        store = Store(StoreClient(settings), BUILT_IN.outlets)
        store.client = pymongo.MongoClient(server.uri, tz_aware=True, event_listeners=[counter])
        store.articles = store.client[settings.get("MONGO_DATABASE")][settings.get("MONGO_COLLECTION")]
        store.tallies = store.tallies.__class__.of(store.client, settings)
        store.prepare()
        texts = copies(body, args.copies)
        started = time.perf_counter()
        article_writes = copies_found = 0
        for i, text in enumerate(texts):
            item = Article(
                url=f"https://mirror{i}.example/story.html",
                source="generic",
                site=f"mirror{i}.example",
                title="标题",
                body=text,
                published_at=T0 + timedelta(minutes=i),
                published_precision="minute",
                lang="zh-Hans",
                fetched_at=datetime.now(UTC),
                dedup=as_document(fingerprint(text)),
            )
            done = store.write([to_document(item)])
            article_writes += 1
            copies_found += len(done.copies)
        seconds = time.perf_counter() - started
        original = store.articles.find_one({"url": "https://mirror0.example/story.html"})
        print(f"{len(texts)} copies of one story, stored one by one")
        print(
            f"copies grouped: {copies_found} of {len(texts) - 1}; the first stored lists "
            f"{len(original['mirrors'])} mirrors"
        )
        print(
            f"grouping writes: {counter.written - article_writes} documents "
            f"({(counter.written - article_writes) / len(texts):.1f} per join)"
        )
        print(f"documents read: {counter.read} ({counter.read / len(texts):.0f} per join)")
        print(f"seconds: {seconds:.1f} ({seconds / len(texts) * 1000:.0f} ms per join)")
        store.close()
        server.stop()


if __name__ == "__main__":
    main()
