"""Re-checks at scale: what a round costs when every stored article is due again, the answer
unchanged (304), changed (a new version) or gone (a removal); store operations per article and
the storage a version takes.

    python bench/rechecks.py --articles 10000 --changed 0.1 --gone 0.05

A local site (a thread in this process, reached as the crawler's HTTP proxy, so the crawler sees
www.solidot.org URLs) serves a sitemap index, sitemaps of 1000 links and that many Solidot-template stories,
each with an ETag, and answers 304 to a matching If-None-Match. The crawler runs as
`scrapy crawl solidot` in a child process against the embedded SecantusDB in a process of its own
(`crawler db serve`): once to
store the site, then, with every article due, a round from an empty feed (only re-checks). Before
the second round, a share of the stories changes (new ETag, a paragraph of its own added) and a share is
deleted (404). The child counts the store commands it sends (a pymongo CommandListener).
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import Message
from http.server import ThreadingHTTPServer
from pathlib import Path

import pymongo
from bson import encode
from crawl import CHILD, FULL_SPEED, crawl_env, serve, store, story

from tests.commands import no_delays, overrides  # crawl put this checkout on the path

ROOT = Path(__file__).resolve().parent.parent
COUNTING_CHILD = (
    "import atexit, collections, sys\n"
    "from pymongo import monitoring\n"
    "class Count(monitoring.CommandListener):\n"
    "    commands = collections.Counter()\n"
    "    def started(self, event): self.commands[event.command_name] += 1\n"
    "    def succeeded(self, event): pass\n"
    "    def failed(self, event): pass\n"
    "monitoring.register(Count())\n"
    "atexit.register(lambda: print('COMMANDS', dict(Count.commands), file=sys.stderr))\n"
) + CHILD
PER_SITEMAP = 1000
SITEMAPS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SKIPPED = {
    "hello",
    "isMaster",
    "ismaster",
    "ping",
    "endSessions",
    "buildInfo",
}  # connection upkeep, not store work


class Pages:
    """A sitemap index, sitemaps of PER_SITEMAP stories, stories /story?sid=<n> with ETag "v<version>",
    an empty feed."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.version: dict[int, int] = {}
        self.gone: set[int] = set()
        self.answers: Counter[int] = Counter()
        template = gzip.decompress((ROOT / "tests/fixtures/pages/solidot.html.gz").read_bytes()).decode()
        body = template.index('class="p_mainnew"')
        start, end = template.index(">", body) + 1, template.index("</div>", body)
        self.head, self.tail = template[:start], template[end:]

    def answer(self, path: str, headers: Message) -> tuple[int, dict[str, str], bytes]:
        status, etag, body = self.get(path, headers.get("If-None-Match"))
        kind = {"Content-Type": "application/xml"} if path.endswith((".rss", ".xml")) else {}
        return status, kind | ({"ETag": etag} if etag else {}), body

    def get(self, path: str, etag: str | None) -> tuple[int, str, bytes]:
        if path == "http://www.solidot.org/index.rss":
            return 200, "", b'<?xml version="1.0"?><rss><channel></channel></rss>'
        if path == "http://www.solidot.org/sitemap.xml":
            maps = "".join(
                f"<sitemap><loc>http://www.solidot.org/sitemap-{k}.xml</loc></sitemap>"
                for k in range(0, self.size, PER_SITEMAP)
            )
            return (
                200,
                "",
                f'<?xml version="1.0"?><sitemapindex xmlns="{SITEMAPS}">{maps}</sitemapindex>'.encode(),
            )
        if match := re.fullmatch(r"http://www\.solidot\.org/sitemap-(\d+)\.xml", path):
            first = int(match.group(1))
            urls = "".join(
                f"<url><loc>http://www.solidot.org/story?sid={n}</loc></url>"
                for n in range(first, min(first + PER_SITEMAP, self.size))
            )
            return 200, "", f'<?xml version="1.0"?><urlset xmlns="{SITEMAPS}">{urls}</urlset>'.encode()
        if (match := re.fullmatch(r"http://www\.solidot\.org/story\?sid=(\d+)", path)) and int(
            match.group(1)
        ) < self.size:
            n = int(match.group(1))
            if n in self.gone:
                self.answers[404] += 1
                return 404, "", b"<html><body>not found</body></html>"
            version = self.version.get(n, 1)
            tag = f'"v{version}"'
            if etag == tag:
                self.answers[304] += 1
                return 304, tag, b""
            self.answers[200] += 1
            added = "".join(
                story(self.size * v + n).split("</p>")[0] + "</p>" for v in range(2, version + 1)
            )  # its own words
            title = self.head.replace("OpenAI 和微软的紧密关系出现裂缝", f"第{n}篇报道")
            return 200, tag, (title + story(n) + added + self.tail).encode()
        return 404, "", b""


def run_crawl(
    site: ThreadingHTTPServer, mongo_uri: str, database: str, work: Path, *extra: str
) -> tuple[float, Counter[str]]:
    """`scrapy crawl solidot` as fast as the machine goes: seconds and the store commands sent."""
    args = [
        "crawl",
        "solidot",
        *no_delays(*FULL_SPEED),
        *extra,
    ]
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", COUNTING_CHILD, *args],
        env=crawl_env(site, mongo_uri, database, work),
        cwd=work,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"the crawl failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
    commands = eval(re.search(r"COMMANDS (\{.*\})", run.stderr).group(1))  # noqa: S307 - our own child's dict literal
    return seconds, Counter({k: v for k, v in commands.items() if k not in SKIPPED})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument(
        "--changed", type=float, default=0.1, help="share of the stories that change before the round"
    )
    parser.add_argument(
        "--gone", type=float, default=0.05, help="share of the stories deleted before the round"
    )
    args = parser.parse_args()
    n = args.articles
    with (
        tempfile.TemporaryDirectory(prefix="bench-rechecks-") as folder,
        store("process", Path(folder)) as (uri, _),
    ):
        work = Path(folder)
        pages = Pages(n)
        site = serve(pages.answer)
        db = pymongo.MongoClient(uri, tz_aware=True)["bench"]
        seconds, commands = run_crawl(
            site, uri, "bench", work, "-a", "start_urls=http://www.solidot.org/sitemap.xml"
        )
        stored = db.articles.count_documents({})
        print(
            f"first crawl: {stored} stored in {seconds:.1f} s; store commands/article "
            f"{sum(commands.values()) / stored:.1f} {dict(commands)}"
        )
        changed, gone = range(int(n * args.changed)), range(n - int(n * args.gone), n)
        pages.version.update({i: 2 for i in changed})
        pages.gone.update(gone)
        pages.answers.clear()
        past = datetime.now(UTC) - timedelta(minutes=5)
        db.articles.update_many({}, {"$set": {"recheck_at": past}})
        seconds, commands = run_crawl(
            site,
            uri,
            "bench",
            work,
            *overrides(
                f"RECHECK_MAX_PER_RUN={n}",
                'SOURCE_START_URLS={"solidot": ["http://www.solidot.org/index.rss"]}',
            ),
        )
        checked = sum(pages.answers.values())
        versions = db.article_versions.count_documents({})
        removed = db.articles.count_documents({"removed_at": {"$exists": True}})
        print(
            f"re-check round: {checked} checked in {seconds:.1f} s ({seconds / checked * 1000:.2f} ms/"
            f"article); answers {dict(pages.answers)}; versions {versions}, removals {removed}"
        )
        print(f"  store commands/article {sum(commands.values()) / checked:.2f} {dict(commands)}")
        sizes = [len(encode(doc)) for doc in db.article_versions.find()]
        article = sum(len(encode(doc)) for doc in db.articles.find().limit(1000)) / min(stored, 1000)
        if sizes:
            print(
                f"  storage per version: {sum(sizes) / len(sizes):.0f} bytes (BSON) beside {article:.0f} "
                "bytes per article"
            )
        site.shutdown()


if __name__ == "__main__":
    main()
