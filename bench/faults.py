"""Faults and hostile pages, each against a local site, counted on the server's side and in the store.

    python bench/faults.py

Every case crawls the same NetEase-template site (ARTICLES article pages behind one listing) with
`crawler crawl netease` in a child process, into a SecantusDB started here, and recovers the way an
operator would (restart the crawl, `crawler db replay`). One line per case: articles expected,
stored, missing, doubled (stored under one URL more than once, or fetched again once stored), text
broken (U+FFFD or 锟斤拷 in a stored title or body), seconds, and the crawler's peak memory.
Goal: 0 missing, 0 doubled, 0 broken, and bounded seconds and memory in every row.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pymongo
from secantus import SecantusDBServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from crawl import Pages, story  # noqa: E402

from tests.commands import no_delays  # noqa: E402
from tests.hostile import drip, endless, gzip_bomb, silent  # noqa: E402
from tests.site import Page, Site  # noqa: E402  (the tests' local site: every request logged)

ARTICLES = 60
MB = 1024 * 1024
SITE = Pages(0)  # bench/crawl.py's NetEase template, each article a different story


def article_id(n: int, kind: str = "A") -> str:
    return f"{kind}{n:015d}"


def article_url(ident: str) -> str:
    return f"http://www.163.com/dy/article/{ident}.html"


def article_page(ident: str) -> str:
    number = int(ident[1:]) + 1000 * ord(ident[0])
    return SITE.head.replace("字节跳动回应被OpenAI封禁账户", f"第{ident}号") + story(number) + SITE.tail


# --- hostile pages: (how the server answers, whether a good article is expected from it) ----------


def hostile_pages(site: Site) -> list[str]:
    """Hostile article URLs added to the site; returns the IDs of those that hold a good article."""
    undeclared = lambda ident: article_page(ident).replace('<meta charset="utf-8">', "")  # noqa: E731
    good = {
        "header says UTF-8, bytes GBK": lambda i: Page(
            undeclared(i).encode("gb18030"), content_type="text/html; charset=utf-8"
        ),
        "no charset at all, GBK": lambda i: Page(undeclared(i).encode("gb18030"), content_type="text/html"),
        "BOM against a GBK header": lambda i: Page(
            b"\xef\xbb\xbf" + undeclared(i).encode(), content_type="text/html; charset=gbk"
        ),
        "NUL bytes and unclosed tags": lambda i: Page(
            article_page(i).replace("<p>", "<p>\0").replace("</p>", "").encode()
        ),
    }
    bad = {
        "one byte a second": Page(b"", respond=drip),
        "silence": Page(b"", respond=silent),
        "200 MB announced": Page(b"", respond=endless(chunked=False)),
        "200 MB chunked": Page(b"", respond=endless(chunked=True)),
        "gzip bomb (1 GB)": Page(b"", respond=gzip_bomb()),
        "binary as text/html": Page(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64),
        "50,000 nested elements": Page(
            ("<html><body>" + "<div>" * 50_000 + "正文" + "</div>" * 50_000).encode()
        ),
    }
    expected = []
    for n, make in enumerate(good.values()):
        ident = article_id(n, "G")
        site.add(article_url(ident), make(ident))
        expected.append(ident)
    for n, page in enumerate(bad.values()):
        site.add(article_url(article_id(n, "X")), page)
    site.add(
        article_url(article_id(90, "X")),
        Page(b"", status=302, headers={"Location": article_url(article_id(91, "X"))}),
    )
    site.add(
        article_url(article_id(91, "X")),
        Page(b"", status=302, headers={"Location": article_url(article_id(90, "X"))}),
    )
    for hop in range(30):
        site.add(f"/hop/{hop}", Page(b"", status=302, headers={"Location": f"/hop/{hop + 1}"}))
    site.add(article_url(article_id(92, "X")), Page(b"", status=302, headers={"Location": "/hop/0"}))
    return expected


class Case:
    """One fault: a fresh site, database and spool; `run` drives the crawler and recovers."""

    def __init__(
        self, store: SecantusDBServer, store_path: str, work: Path, name: str, hostile: bool
    ) -> None:
        self.store, self.store_path, self.name = store, store_path, name
        self.folder = work / name.replace(" ", "_")
        self.folder.mkdir()
        self.site = Site()
        self.expected = [article_id(n) for n in range(ARTICLES)]
        for ident in self.expected:
            self.site.add(article_url(ident), Page(article_page(ident).encode(), delay=0.05))
        links = list(self.expected)
        if hostile:
            good = hostile_pages(self.site)
            self.expected += good
            links += good + [article_id(n, "X") for n in (*range(7), 90, 92)]
        self.site.add(
            "http://www.163.com/news/",
            "<html><body>"
            + "".join(f'<a href="/dy/article/{i}.html">{i}</a>' for i in links)
            + "</body></html>",
        )
        self.database = "faults_" + self.folder.name.lower()[:40]
        self.peak_mb = 0.0

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update(
            http_proxy=self.site.base,
            MONGO_URI=str(self.store.uri),
            MONGO_DATABASE=self.database,
            SPOOL_PATH=str(self.folder / "spool.jsonl"),
        )
        return env

    def start(self, *settings: str) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "crawler.cli.main",
            *no_delays(
                "CONCURRENT_REQUESTS=4",
                "DOWNLOAD_TIMEOUT=5",
                "RETRY_BACKOFF_BASE=0.2",
                "MONGO_FLUSH_INTERVAL=0.2",
                "MONGO_BATCH_SIZE=4",
                "MONGO_TIMEOUT_MS=1000",
                f"SOURCE_START_URLS={json.dumps({'netease': ['http://www.163.com/news/']})}",
            ),
            *settings,
            "crawl",
            "netease",
            "--max-depth",
            "0",
        ]
        process = subprocess.Popen(
            command, env=self.env(), cwd=self.folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        threading.Thread(target=self._sample, args=(process,), daemon=True).start()
        return process

    def _sample(self, process: subprocess.Popen) -> None:
        while process.poll() is None:
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except FileNotFoundError:
                return
            rss = next((int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:")), 0) / 1024
            self.peak_mb = max(self.peak_mb, rss)
            time.sleep(0.2)

    def articles(self) -> pymongo.collection.Collection:
        return pymongo.MongoClient(str(self.store.uri), tz_aware=True)[self.database]["articles"]

    def wait_stored(self, count: int) -> None:
        deadline = time.monotonic() + 120
        while self.articles().count_documents({}) < count and time.monotonic() < deadline:
            time.sleep(0.1)

    def replay(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "crawler.cli.main", "db", "replay"],
            env=self.env(),
            cwd=self.folder,
            capture_output=True,
            timeout=120,
        )

    def result(self, seconds: float) -> str:
        docs = list(self.articles().find({}, {"url": 1, "fetch_count": 1, "title": 1, "body": 1}))
        per_url: dict[str, int] = {}
        for doc in docs:
            per_url[doc["url"]] = per_url.get(doc["url"], 0) + 1
        stored = {url.rsplit("/", 1)[1][:16] for url in per_url}
        missing = len(set(self.expected) - stored)
        doubled = sum(c - 1 for c in per_url.values()) + sum(1 for d in docs if d.get("fetch_count", 1) > 1)
        broken = sum(1 for d in docs if any(bad in d["title"] + d["body"] for bad in ("\ufffd", "锟斤拷")))
        self.site.close()
        return (
            f"{self.name:<44}{len(self.expected):>9}{len(stored & set(self.expected)):>8}{missing:>9}"
            f"{doubled:>9}{broken:>8}{seconds:>9.1f}{self.peak_mb:>9.0f}"
        )


def restart_after(case: Case, sig: signal.Signals) -> None:
    crawl = case.start()
    case.wait_stored(int(ARTICLES * 0.4))
    crawl.send_signal(sig)
    crawl.wait(120)
    case.start().wait(300)


def store_down(case: Case, seconds: float, limit: float) -> None:
    crawl = case.start("-s", f"MONGO_OUTAGE_LIMIT={limit}")
    case.wait_stored(int(ARTICLES * 0.3))
    port = int(str(case.store.uri).rsplit(":", 1)[1].split("/")[0])
    case.store.stop()
    time.sleep(seconds)
    case.store = SecantusDBServer(storage_path=case.store_path, port=port)
    case.store.start()
    crawl.wait(300)
    if limit < seconds:  # the run ended on the outage: replay the spool, then the next run
        case.replay()
        case.start().wait(300)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as folder:
        work = Path(folder)
        store_path = str(work / "mongo")
        store = SecantusDBServer(storage_path=store_path)
        store.start()
        print(
            f"{'case':<44}{'expected':>9}{'stored':>8}{'missing':>9}{'doubled':>9}{'broken':>8}{'seconds':>9}"
            f"{'peak MB':>9}"
        )
        cases: list[tuple[str, bool, Callable[[Case], None]]] = [
            ("no fault", False, lambda c: c.start().wait(300)),
            ("SIGKILL at 40 %, restarted", False, lambda c: restart_after(c, signal.SIGKILL)),
            ("SIGTERM at 40 %, restarted", False, lambda c: restart_after(c, signal.SIGTERM)),
            ("store down 5 s mid-crawl", False, lambda c: store_down(c, 5, 60)),
            ("store down past the limit, replay, next run", False, lambda c: store_down(c, 8, 3)),
            ("hostile pages among the articles", True, lambda c: c.start().wait(600)),
        ]
        for name, hostile, drive in cases:
            case = Case(store, store_path, work, name, hostile)
            start = time.perf_counter()
            drive(case)
            print(case.result(time.perf_counter() - start), flush=True)
            store = case.store  # a restarted server carries on for the next cases
        store.stop()


if __name__ == "__main__":
    main()
