"""Faults a long-running crawler meets, each run as a user would meet it: the crawler in a
subprocess, a local site that logs every request, the real store."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pymongo
import pytest

from tests.site import Page, Site
from tests.test_runs import ARTICLE, article, article_requests, listing

IDENTS = [f"T{n:015d}" for n in range(20)]


def slow_site(site: Site) -> None:
    listing(site, IDENTS)
    for ident in IDENTS:
        site.add(ARTICLE.format(ident), Page(article(ident).encode(), delay=0.3))


def scraped(log: Path) -> int:
    return log.read_text(errors="replace").count("Scraped from <200")


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


SETTINGS = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=2",
            "-s", "LOG_LEVEL=DEBUG", "-s", "SCHEDULE_JITTER=0",
            # nothing is written before the stop: every stored article was in flight at SIGTERM
            "-s", "MONGO_FLUSH_INTERVAL=600", "-s", "MONGO_BATCH_SIZE=1000"]
COMMANDS = {
    "scrapy crawl": ["-m", "scrapy", "crawl", "netease", "-a", "start_urls=http://www.163.com/news/",
                     "-a", "max_depth=0", *SETTINGS],
    "crawler schedule": ["-m", "crawler.cli.main", *SETTINGS, "-s",
                         'SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}', "schedule", "netease"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_sigterm_mid_crawl_stores_every_article_already_scraped_and_exits_0(
    command: str, site: Site, crawler_env, articles, mongo_uri, db_name, tmp_path: Path
) -> None:
    slow_site(site)
    env = crawler_env | {"http_proxy": site.base, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    log = tmp_path / "crawl.log"
    with log.open("w") as stderr:
        crawl = subprocess.Popen([sys.executable, *COMMANDS[command]], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr)
        wait_for(lambda: scraped(log) >= 5)
        assert articles.count_documents({}) == 0
        crawl.send_signal(signal.SIGTERM)
        assert crawl.wait(60) == 0, log.read_text()[-2000:]
    assert 5 <= articles.count_documents({}) == scraped(log) < 20
    record = pymongo.MongoClient(mongo_uri)[db_name]["crawls"].find_one()
    assert (record["status"], record["reason"], record["articles"]["new"]) == (
        "interrupted", "shutdown", scraped(log)
    )
    assert not (tmp_path / "spool" / "articles.jsonl").exists()
    assert "Closing spider (shutdown)" in log.read_text()

    stored_before = articles.count_documents({})
    site.requests.clear()
    again = subprocess.run([sys.executable, *COMMANDS["scrapy crawl"]], env=env, cwd=tmp_path, capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    assert sorted(d["url"].rsplit("/", 1)[1][:16] for d in articles.find()) == IDENTS
    assert {d["fetch_count"] for d in articles.find()} == {1}
    assert len(article_requests(site)) == 20 - stored_before
