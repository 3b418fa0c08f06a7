"""How fast the dashboard's pages are built as the store grows.

    python bench/dashboard.py --articles 2000 20000

A SecantusDB started here holds a month of run records for every source (every 30 minutes), the
daily counters of a store of 1,000,000 articles over a year, and ARTICLES real article documents
(story groups of one to four copies). Each page's data is read and rendered as `crawler api`
does it, 20 times; the median milliseconds are printed per page. The overview reads the counters
and the run records only, so its time must not grow with the articles; the other pages read
through indexes. Goal: the overview under 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
from scrapy.settings import Settings
from secantus import SecantusDBServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from crawler import default_settings  # noqa: E402
from crawler.api.dashboard import StoreCollector  # noqa: E402
from crawler.dashboard import queries  # noqa: E402
from crawler.dashboard.pages import chart, render  # noqa: E402
from crawler.sources import SOURCES  # noqa: E402
from crawler.store.counters import Tallies, day_of  # noqa: E402
from crawler.store.mongo import ensure_collection  # noqa: E402

STORED = 1_000_000  # articles the counters stand for
NOW = datetime.now(UTC)


def seed_runs_and_counters(db: pymongo.database.Database) -> None:
    runs = []
    for name in SOURCES:
        for n in range(30 * 48):
            started = NOW - timedelta(minutes=30 * n)
            runs.append({"source": name, "started_at": started, "ended_at": started + timedelta(seconds=40),
                         "status": "ok", "reason": "finished", "pages_fetched": 50,
                         "articles": {"new": 20, "updated": 1, "unchanged": 0, "duplicates": 3, "skipped_stored": 30,
                                      "spooled": 0, "waited": 0, "dropped": {"no_article_text": 1}},
                         "errors": {"total": 0, "by_reason": {}},
                         "extraction": {"article_pages": 21, "articles": 21, "median_body_chars": 1200,
                                        "field_share": {"title": 1.0, "body": 1.0, "published_at": 1.0}},
                         "degraded_by": []})
    db.crawls.create_index([("source", 1), ("started_at", -1)], name="source_started_at")
    db.crawls.insert_many(runs)
    tallies = Tallies(db.daily_counts, db.sources)
    for record in sorted(runs, key=lambda r: r["started_at"]):  # as RunRecorder keeps them, run by run
        tallies.record_run(record)
    per_day = STORED // (len(SOURCES) * 365)
    db.daily_counts.insert_many([{"source": name, "day": day_of(NOW - timedelta(days=d)), "articles": per_day,
                                  "duplicates": per_day // 5} for name in SOURCES for d in range(365)])
    for name in SOURCES:
        db.sources.update_one({"_id": name}, {"$inc": {"articles": per_day * 365, "duplicates": per_day // 5 * 365}})


def seed_articles(collection: pymongo.collection.Collection, count: int, start: int) -> None:
    docs = []
    for n in range(start, start + count):
        story, copy = divmod(n, 4)
        url = f"https://example.com/{story}/{copy}.html"
        published = NOW - timedelta(minutes=n)
        docs.append({
            "url": url, "source": list(SOURCES)[story % len(SOURCES)], "site": "example.com", "title": f"第{story}条新闻",
            "body": "正文" * 400, "published_at": published, "fetched_at": published, "first_seen": published,
            "last_seen": published, "updated_at": published, "lang": "zh-Hans", "images": [],
            "content_hash": f"{n:040x}", "version": 1, "fetch_count": 1, "cluster_id": f"{story:020x}",
            "cluster_size": 4, "duplicate_of": None if copy == 0 else f"https://example.com/{story}/0.html",
            "dup_score": None if copy == 0 else 0.95, "mirrors": [], "clean_audit": {"rules": {}},
        })
        if len(docs) == 1000:
            collection.insert_many(docs, ordered=False)
            docs = []
    if docs:
        collection.insert_many(docs, ordered=False)


def timed(build) -> float:
    times = []
    for _ in range(20):
        start = time.perf_counter()
        build()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, nargs="+", default=[2000, 20000])
    args = parser.parse_args()
    settings = Settings({k: getattr(default_settings, k) for k in dir(default_settings) if k.isupper()})
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        server = SecantusDBServer(storage_path=str(Path(folder) / "mongo"))
        server.start()
        db = pymongo.MongoClient(server.uri, tz_aware=True)["bench"]
        ensure_collection(db.articles)
        Tallies(db.daily_counts, db.sources).ensure()
        seed_runs_and_counters(db)
        print(f"{'articles':>9}{'overview ms':>13}{'source ms':>11}{'stories ms':>12}{'article ms':>12}{'metrics ms':>12}")
        seeded = 0
        for size in sorted(args.articles):
            seed_articles(db.articles, size - seeded, seeded)
            seeded = size

            def overview() -> bytes:
                data = queries.overview(db, settings, datetime.now(UTC))
                return render("overview.html", sources=data["sources"], days=data["days"],
                              chart=chart(data["days"], data["per_day"], list(SOURCES)))

            pages = [
                overview,
                lambda: render("source.html", **queries.source_page(db, settings, "netease", NOW)),
                lambda: render("stories.html", groups=queries.stories(db, settings, NOW)),
                lambda: render("article.html", a=queries.article(db, settings, "https://example.com/7/1.html")),
                lambda: list(StoreCollector(queries.metric_counts(db, settings)).collect()),
            ]
            print(f"{size:>9}" + "".join(f"{timed(page):>{w}.1f}" for page, w in zip(pages, (13, 11, 12, 12, 12), strict=True)),
                  flush=True)
        server.stop()


if __name__ == "__main__":
    main()
