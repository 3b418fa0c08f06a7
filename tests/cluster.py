"""Distributed crawls in tests: a news site of many distinct articles (each page the real NetEase
page with a body of its own, so no two are near-duplicates) and the workers of one test."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import redis

from crawler.frontier.queue import Frontier
from tests.commands import overrides
from tests.conftest import page_bytes
from tests.site import Page, Site

NETEASE = page_bytes("netease").decode()
ALPHABET = sorted({c for c in NETEASE if "\u4e00" <= c <= "\u9fff"})
LISTING = "http://www.163.com/news/"
ARTICLE = "http://www.163.com/dy/article/{}.html"
STORED = "https://www.163.com/dy/article/{}.html"  # the URL every form of a NetEase docid is stored under
_BODY = re.compile(r'(<div class="post_body">)(.*?)(</div>)', re.S)


def body(ident: str) -> str:
    rng = random.Random(ident)
    sentences = ["".join(rng.choices(ALPHABET, k=rng.randint(18, 40))) + "。" for _ in range(24)]
    return "".join(f"<p>{''.join(sentences[i : i + 3])}</p>" for i in range(0, len(sentences), 3))


def article(ident: str) -> bytes:
    page = NETEASE.replace("字节跳动回应被OpenAI封禁账户", f"{ident}号新闻")
    return _BODY.sub(lambda m: m.group(1) + body(ident) + m.group(3), page, count=1).encode()


def news_site(site: Site, count: int, delay: float = 0.0, prefix: str = "N") -> list[str]:
    """A listing of `count` articles; returns their identifiers."""
    idents = [f"{prefix}{n:015d}" for n in range(count)]
    links = "".join(f'<li><a href="/dy/article/{i}.html">{i}</a></li>' for i in idents)
    site.add(LISTING, Page(f"<html><body><ul>{links}</ul></body></html>".encode()))
    for ident in idents:
        site.add(ARTICLE.format(ident), Page(article(ident), delay=delay))
    return idents


def article_fetches(site: Site) -> list[str]:
    return [r.rsplit("/", 1)[1].removesuffix(".html") for r in site.requests if "/dy/article/" in r]


SETTINGS = overrides(
    "AUTOTHROTTLE_ENABLED=0",
    "DOWNLOAD_DELAY=0",
    "FRONTIER_POLL_INTERVAL=0.2",
    "FRONTIER_LEASE_TIMEOUT=3",
    "MONGO_FLUSH_INTERVAL=0.5",
    "RETRY_BACKOFF_BASE=0.5",
    f'SOURCE_START_URLS={{"netease": ["{LISTING}"]}}',
    "LOG_LEVEL=INFO",  # the tests read what the workers and the scheduler log
)


class Cluster:
    """Workers and a scheduler of one test, sharing its Redis, store and site."""

    def __init__(self, env: dict[str, str], folder: Path, redis_url: str) -> None:
        self.env = env | {"REDIS_URL": redis_url}
        self.folder = folder
        self.workers: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def seed(self) -> None:
        """What `crawler schedule` does on a source's turn (its own test is the first below)."""
        assert (
            Frontier(redis.Redis.from_url(self.env["REDIS_URL"]), "netease").seed("test", 60_000) == "seeded"
        )

    def worker(self, *options: str, settings: tuple[str, ...] = ()) -> subprocess.Popen:
        self.logs.append(self.folder / f"worker{len(self.logs)}.log")
        process = subprocess.Popen(
            [sys.executable, "-m", "crawler.cli.main", *SETTINGS, *settings, "worker", "netease", *options],
            env=self.env,
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=self.logs[-1].open("w"),
        )
        self.workers.append(process)
        return process

    def wait(self, timeout: float = 120) -> list[int]:
        codes = [w.wait(timeout) for w in self.workers]
        assert codes == [0] * len(codes), self.log_tails()
        return codes

    def log_tails(self) -> str:
        return "\n".join(log.read_text(errors="replace")[-1500:] for log in self.logs)

    def stop(self) -> None:
        for w in self.workers:
            if w.poll() is None:
                w.kill()
                w.wait()
