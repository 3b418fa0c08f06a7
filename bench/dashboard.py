"""How fast the dashboard's pages are built as the store grows.

    python bench/dashboard.py --articles 2000 20000

A SecantusDB started here holds a month of run records for every source (every 30 minutes), the
daily counters of a store of 1,000,000 articles over a year, and ARTICLES real article documents
(story groups of one to four copies). Each page's data is read and rendered as `crawler api`
does it, 20 times; the median milliseconds are printed per page. The overview reads the counters
and the run records only, so its time must not grow with the articles; the other pages read
through indexes. Goal: the overview under 300 ms.

The search columns find articles by two title words (a 4-character slice of a stored title:
three character pairs looked up in the `title_terms` index, ~40 index entries each at 1M
articles), by a common word (in a tenth of all titles: the search reads SCAN of them and
says so) and by a URL prefix; with `--articles 1000000` they show search stays an index
lookup at a million articles (seeding that many takes about ten minutes).
"""

from __future__ import annotations

import argparse
import random
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
from crawler.api.dashboard import StoreCollector, overview_of  # noqa: E402
from crawler.dashboard.pages import chart, render  # noqa: E402
from crawler.sources import BUILT_IN  # noqa: E402
from crawler.store import dashboard as queries  # noqa: E402
from crawler.store.client import StoreClient  # noqa: E402
from crawler.store.counters import Tallies, day_of  # noqa: E402
from crawler.store.mongo import ensure_collection  # noqa: E402
from crawler.store.search import title_terms  # noqa: E402

STORED = 1_000_000  # articles the counters stand for
NOW = datetime.now(UTC)


def seed_runs_and_counters(db: pymongo.database.Database) -> None:
    runs = []
    for name in BUILT_IN.specs:
        for n in range(30 * 48):
            started = NOW - timedelta(minutes=30 * n)
            runs.append(
                {
                    "source": name,
                    "started_at": started,
                    "ended_at": started + timedelta(seconds=40),
                    "status": "ok",
                    "reason": "finished",
                    "pages_fetched": 50,
                    "articles": {
                        "new": 20,
                        "updated": 1,
                        "unchanged": 0,
                        "duplicates": 3,
                        "skipped_stored": 30,
                        "spooled": 0,
                        "waited": 0,
                        "dropped": {"no_article_text": 1},
                    },
                    "errors": {"total": 0, "by_reason": {}},
                    "extraction": {
                        "article_pages": 21,
                        "articles": 21,
                        "median_body_chars": 1200,
                        "field_share": {"title": 1.0, "body": 1.0, "published_at": 1.0},
                    },
                    "degraded_by": [],
                }
            )
    db.crawls.create_index([("source", 1), ("started_at", -1)], name="source_started_at")
    db.crawls.insert_many(runs)
    tallies = Tallies(db.daily_counts, db.sources)
    for record in sorted(runs, key=lambda r: r["started_at"]):  # as RunRecorder keeps them, run by run
        tallies.record_run(record)
    per_day = STORED // (len(BUILT_IN.specs) * 365)
    db.daily_counts.insert_many(
        [
            {
                "source": name,
                "day": day_of(NOW - timedelta(days=d)),
                "articles": per_day,
                "duplicates": per_day // 5,
            }
            for name in BUILT_IN.specs
            for d in range(365)
        ]
    )
    for name in BUILT_IN.specs:
        db.sources.update_one(
            {"_id": name}, {"$inc": {"articles": per_day * 365, "duplicates": per_day // 5 * 365}}
        )


HAN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
    "行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前"
    "外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很"
    "情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手"
)


def title_of(story: int) -> str:
    """Twelve characters drawn from 400 common ones, the same for every copy of a story; a tenth
    of the stories have 新闻 in their title too, a word common enough to test the scan cap."""
    draw = random.Random(story)
    return "".join(draw.choice(HAN) for _ in range(12)) + ("新闻" if story % 10 == 0 else "")


def seed_articles(collection: pymongo.collection.Collection, count: int, start: int) -> None:
    docs = []
    for n in range(start, start + count):
        story, copy = divmod(n, 4)
        url = f"https://example.com/{story}/{copy}.html"
        published = NOW - timedelta(minutes=n)
        title = title_of(story)
        docs.append(
            {
                "url": url,
                "source": list(BUILT_IN.specs)[story % len(BUILT_IN.specs)],
                "site": "example.com",
                "title": title,
                "title_terms": title_terms(title),
                "body": "正文" * 400,
                "published_at": published,
                "fetched_at": published,
                "first_seen": published,
                "last_seen": published,
                "updated_at": published,
                "lang": "zh-Hans",
                "images": [],
                "content_hash": f"{n:040x}",
                "version": 1,
                "fetch_count": 1,
                "cluster_id": f"{story:020x}",
                "cluster_size": 4,
                "duplicate_of": None if copy == 0 else f"https://example.com/{story}/0.html",
                "dup_score": None if copy == 0 else 0.95,
                "mirrors": [],
                "clean_audit": {"rules": {}},
            }
        )
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
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, nargs="+", default=[2000, 20000])
    args = parser.parse_args()
    settings = Settings({k: getattr(default_settings, k) for k in dir(default_settings) if k.isupper()})
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as folder:
        server = SecantusDBServer(storage_path=str(Path(folder) / "mongo"))
        server.start()
        db = pymongo.MongoClient(server.uri, tz_aware=True)["bench"]
        settings.setdict({"MONGO_URI": server.uri, "MONGO_DATABASE": "bench"})
        client = StoreClient(settings)  # the dashboard's way to the same database
        ensure_collection(db.articles)
        Tallies(db.daily_counts, db.sources).ensure()
        seed_runs_and_counters(db)
        print(
            f"{'articles':>9}{'overview ms':>13}{'source ms':>11}{'stories ms':>12}{'article ms':>12}"
            f"{'metrics ms':>12}{'search words ms':>17}{'search common ms':>18}{'search URL ms':>15}"
        )
        seeded = 0
        for size in sorted(args.articles):
            seed_articles(db.articles, size - seeded, seeded)
            seeded = size

            def overview() -> bytes:
                data = overview_of(client, settings, datetime.now(UTC), BUILT_IN)
                return render(
                    "overview.html",
                    sources=data["sources"],
                    days=data["days"],
                    chart=chart(data["days"], data["per_day"], list(BUILT_IN.specs)),
                    running={},  # no distributed rounds here (no REDIS_URL)
                )

            words = title_of(size // 8)[4:8]  # two words of a story stored a while ago
            pages = [
                overview,
                lambda: render(
                    "source.html", running=[], **queries.source_page(db, settings, "netease", NOW)
                ),
                lambda: render("stories.html", groups=queries.stories(db, settings, NOW)),
                lambda: render(
                    "article.html", a=queries.article(db, settings, "https://example.com/7/1.html")
                ),
                lambda: list(
                    StoreCollector(queries.metric_counts(db, settings, list(BUILT_IN.specs))).collect()
                ),
                lambda words=words: render(
                    "search.html",
                    query="q",
                    found=queries.found(db, settings, words).articles,
                    limit=queries.FOUND,
                ),
                lambda: render(
                    "search.html",
                    query="q",
                    found=queries.found(db, settings, "新闻").articles,
                    limit=queries.FOUND,
                ),
                lambda: render(
                    "search.html",
                    query="q",
                    found=queries.found(db, settings, "https://example.com/7/").articles,
                    limit=queries.FOUND,
                ),
            ]
            widths = (13, 11, 12, 12, 12, 17, 18, 15)
            print(
                f"{size:>9}"
                + "".join(f"{timed(page):>{w}.1f}" for page, w in zip(pages, widths, strict=True)),
                flush=True,
            )
        server.stop()


if __name__ == "__main__":
    main()
