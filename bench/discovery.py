"""Discovery at the sizes real sites publish: how long reading a sitemap index takes, in what
memory, and how many article requests a news sitemap costs.

    python bench/discovery.py --articles 10000 --children 10 --entries 50000 --recent 100

1. A site of ARTICLES articles listed only in a sitemap index of CHILDREN gzipped sitemaps: the
   aibase spider reads the index and every child as a crawl would (Scrapy responses handed to
   `parse_listing`), in this process; reported: article requests made, seconds, and the peak of
   Python memory allocated while reading (tracemalloc), next to the gzipped and inflated sizes.
2. A news sitemap of ENTRIES entries of which RECENT were published in the last hour and the rest
   a month ago: a real `scrapy crawl aibase` against a local site (the crawler's HTTP proxy) and an
   embedded SecantusDB; reported: requests the site received for articles, and seconds.
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scrapy.http import Request, Response, XmlResponse
from scrapy.utils.test import get_crawler
from secantus import SecantusDBServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout, not an installed one
from crawler.sources import BUILT_IN
from crawler.spiders.source import SourceSpider  # noqa: E402
from tests.commands import no_delays  # noqa: E402
from tests.conftest import page_bytes  # noqa: E402
from tests.site import Page, Site  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SITE = "http://www.aibase.com"
XMLNS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
NEWS = 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'


def urlset(ids: range, lastmod: str) -> bytes:
    urls = "".join(f"<url><loc>{SITE}/zh/news/{n}</loc><lastmod>{lastmod}</lastmod></url>" for n in ids)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {XMLNS}>{urls}</urlset>'.encode()


def read_index(index: bytes, packed: list[bytes]) -> tuple[float, int]:
    """Seconds to read the index and its sitemaps into requests, and the article requests made."""
    crawler = get_crawler(SourceSpider.of(BUILT_IN.specs["aibase"]), {"DISCOVERY_MAX_AGE_HOURS": 72.0})
    spider = crawler._create_spider()  # what Crawler.crawl does before the engine starts
    started = time.perf_counter()
    index_url = f"{SITE}/sitemap_index.xml"
    children = list(spider.parse_listing(XmlResponse(index_url, body=index, request=Request(index_url))))
    requests = 0
    for request, body in zip(children, packed, strict=False):  # none, where an index is not followed
        response = Response(
            request.url, body=body, headers={"Content-Type": "application/x-gzip"}, request=request
        )
        requests += sum(1 for r in spider.parse_listing(response) if r.callback == spider.parse)
    return time.perf_counter() - started, requests


def sitemap_index(articles: int, children: int) -> None:
    per_child = articles // children
    now = datetime.now(UTC).isoformat(timespec="seconds")
    packed = [gzip.compress(urlset(range(k * per_child, (k + 1) * per_child), now)) for k in range(children)]
    locs = "".join(f"<sitemap><loc>{SITE}/sitemap-{k}.xml.gz</loc></sitemap>" for k in range(children))
    index = f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {XMLNS}>{locs}</sitemapindex>'.encode()
    seconds, requests = read_index(index, packed)
    tracemalloc.start()
    read_index(index, packed)  # again, traced: tracemalloc slows what it watches
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(
        f"sitemap index: {children} gzipped children, {articles:,} articles "
        f"({sum(map(len, packed)) / 1e3:.0f} kB gzipped, "
        f"{len(gzip.decompress(packed[0])) * children / 1e6:.1f} MB inflated)"
    )
    print(f"  article requests {requests:,}   seconds {seconds:.2f}   peak Python memory {peak / 1e6:.1f} MB")


def news_sitemap(entries: int, recent: int) -> None:
    fresh = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    stale = (datetime.now(UTC) - timedelta(days=30)).isoformat(timespec="seconds")
    urls = "".join(
        f"<url><loc>{SITE}/zh/news/{n}</loc><news:news><news:publication><news:name>AIbase</news:name><news:"
        "language>zh</news:language></news:publication><news:publication_date>"
        f"{fresh if n < recent else stale}</news:publication_date><news:title>第{n}篇</news:title></news:"
        "news></url>"
        for n in range(entries)
    )
    body = f'<?xml version="1.0" encoding="UTF-8"?><urlset {XMLNS} {NEWS}>{urls}</urlset>'.encode()
    site = Site()
    site.add(f"{SITE}/news-sitemap.xml", Page(body, content_type="application/xml"))
    page = page_bytes("aibase")
    for n in range(recent):
        site.add(f"{SITE}/zh/news/{n}", Page(page))
    with tempfile.TemporaryDirectory(prefix="bench-discovery-") as folder:
        server = SecantusDBServer(storage_path=str(Path(folder) / "mongo"))
        server.start()
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env |= {
            "MONGO_URI": str(server.uri),
            "MONGO_DATABASE": "bench",
            "SPOOL_PATH": str(Path(folder) / "spool.jsonl"),
            "http_proxy": site.base,
            "SCRAPY_SETTINGS_MODULE": "crawler.settings",
            "PYTHONPATH": str(ROOT),
        }
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "crawl",
                "aibase",
                "-a",
                f"start_urls={SITE}/news-sitemap.xml",
                *no_delays(
                    "LOG_LEVEL=WARNING",
                ),
            ],
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
        seconds = time.perf_counter() - started
        server.stop()
    site.close()
    articles = sum(1 for r in site.requests if "/zh/news/" in r)
    print(
        f"news sitemap: {entries:,} entries ({len(body) / 1e6:.1f} MB), {recent} published in the last hour"
    )
    print(f"  article requests {articles:,} (exit {done.returncode})   seconds {seconds:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--children", type=int, default=10)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--recent", type=int, default=100)
    args = parser.parse_args()
    sitemap_index(args.articles, args.children)
    news_sitemap(args.entries, args.recent)


if __name__ == "__main__":
    main()
