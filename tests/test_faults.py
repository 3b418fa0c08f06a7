"""Faults a long-running crawler meets, each run as a user would meet it: the crawler in a
subprocess, a local site that logs every request, the real store."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymongo
import pymongo.collection
import pytest
from secantus import SecantusDBServer

from tests.commands import no_delays, overrides, scrapy_command
from tests.conftest import run_crawler, wait_for
from tests.hostile import hang_up
from tests.site import Page, Site
from tests.test_runs import ARTICLE, article, article_requests, listing
from tests.test_schedule import crawls, serve_netease

IDENTS = [f"T{n:015d}" for n in range(20)]


def slow_site(site: Site) -> None:
    listing(site, IDENTS)
    for ident in IDENTS:
        site.add(ARTICLE.format(ident), Page(article(ident).encode(), delay=0.3))


def scraped(log: Path) -> int:
    return log.read_text(errors="replace").count("Scraped from <200")


SETTINGS = no_delays(
    "CONCURRENT_REQUESTS=2",
    "LOG_LEVEL=DEBUG",
    "SCHEDULE_JITTER=0",
    # nothing is written before the stop: every stored article was in flight at SIGTERM
    "MONGO_FLUSH_INTERVAL=600",
    "MONGO_BATCH_SIZE=1000",
)
COMMANDS = {
    "scrapy crawl": [
        *scrapy_command("netease", "-a", "start_urls=http://www.163.com/news/", "-a", "max_depth=0"),
        *SETTINGS,
    ],
    "crawler schedule": [
        sys.executable,
        "-m",
        "crawler.cli.main",
        *SETTINGS,
        *overrides('SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}'),
        "schedule",
        "netease",
    ],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_sigterm_mid_crawl_stores_every_article_already_scraped_and_exits_0(
    command: str, site: Site, crawler_env, articles, mongo_uri, db_name, tmp_path: Path
) -> None:
    slow_site(site)
    env = crawler_env | {"http_proxy": site.base, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    log = tmp_path / "crawl.log"
    with log.open("w") as stderr:
        crawl = subprocess.Popen(
            COMMANDS[command],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        wait_for(lambda: scraped(log) >= 5)
        assert articles.count_documents({}) == 0
        crawl.send_signal(signal.SIGTERM)
        assert crawl.wait(60) == 0, log.read_text()[-2000:]
    assert 5 <= articles.count_documents({}) == scraped(log) < 20
    record = pymongo.MongoClient(mongo_uri)[db_name]["crawls"].find_one()
    assert (record["status"], record["reason"], record["articles"]["new"]) == (
        "interrupted",
        "shutdown",
        scraped(log),
    )
    assert not (tmp_path / "spool" / "articles.jsonl").exists()
    assert "Closing spider (shutdown)" in log.read_text()

    stored_before = articles.count_documents({})
    site.requests.clear()
    again = subprocess.run(
        COMMANDS["scrapy crawl"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert sorted(d["url"].rsplit("/", 1)[1][:16] for d in articles.find()) == IDENTS
    assert {d["fetch_count"] for d in articles.find()} == {1}
    assert len(article_requests(site)) == 20 - stored_before


class OwnStore:
    """A SecantusDB server of the test's own, to stop and start again on the same port and files."""

    def __init__(self, folder: Path) -> None:
        self.folder = str(folder)
        self.server = SecantusDBServer(storage_path=self.folder)
        self.server.start()
        self.port = int(self.server.uri.rsplit(":", 1)[1].split("/")[0].split("?")[0])
        self.uri = str(self.server.uri)

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server = SecantusDBServer(storage_path=self.folder, port=self.port)
        self.server.start()

    def articles(self, db_name: str) -> pymongo.collection.Collection:
        return pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=2000)[db_name]["articles"]


@pytest.fixture
def own_store(tmp_path: Path):
    store = OwnStore(tmp_path / "own-mongo")
    yield store
    store.stop()


def outage_crawl(site: Site, env: dict, cwd: Path, *settings: str) -> subprocess.Popen:
    listing(site, IDENTS)
    for ident in IDENTS:
        site.add(ARTICLE.format(ident), Page(article(ident).encode(), delay=0.3))
    command = [
        sys.executable,
        "-m",
        "crawler.cli.main",
        *no_delays(
            "CONCURRENT_REQUESTS=2",
            "MONGO_FLUSH_INTERVAL=0.2",
            "MONGO_BATCH_SIZE=2",
            "MONGO_TIMEOUT_MS=500",
            'SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}',
            "LOG_LEVEL=INFO",  # its tests read the crawl's log
        ),
        *settings,
        "crawl",
        "netease",
        "--max-depth",
        "0",
    ]
    return subprocess.Popen(
        command,
        env=env | {"http_proxy": site.base},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_store_down_for_5_seconds_mid_crawl_loses_nothing_and_doubles_nothing(
    site: Site, crawler_env, own_store: OwnStore, db_name: str, tmp_path: Path
) -> None:
    crawl = outage_crawl(site, crawler_env | {"MONGO_URI": own_store.uri}, tmp_path)
    articles = own_store.articles(db_name)
    wait_for(lambda: articles.count_documents({}) >= 4)
    own_store.stop()
    time.sleep(5)  # the outage itself: ten write attempts of MONGO_TIMEOUT_MS (500 ms) fail
    own_store.start()
    assert crawl.wait(120) == 0, crawl.stderr.read()[-3000:]
    said = [line.split("] ", 1)[1] for line in crawl.stderr.read().splitlines() if "store mongodb" in line]
    assert len(said) == 2, said  # the outage, once, and its end
    store = f"mongodb://127.0.0.1:{own_store.port}/"
    assert said[0].startswith(f"WARNING: store {store} unreachable (")
    assert said[0].endswith(
        "writes wait for it, up to MONGO_OUTAGE_LIMIT (120 s); nothing is dropped meanwhile"
    )
    assert re.fullmatch(
        rf"WARNING: store {re.escape(store)} is back after \d+\.\d s: the articles that waited are stored",
        said[1],
    ), said[1]

    articles = own_store.articles(db_name)
    assert (
        sorted(d["url"].rsplit("/", 1)[1][:16] for d in articles.find()) == IDENTS
    )  # none missing, none doubled
    assert {d["version"] for d in articles.find()} == {1}
    record = articles.database["crawls"].find_one()
    assert (
        record["articles"]["new"] == 20
        and record["articles"]["waited"] > 0
        and record["articles"]["spooled"] == 0
    )
    assert not (tmp_path / "spool" / "articles.jsonl").exists()


def test_a_store_down_past_the_limit_ends_the_run_keeps_the_spool_and_says_so(
    site: Site, crawler_env, own_store: OwnStore, db_name: str, tmp_path: Path
) -> None:
    env = crawler_env | {"MONGO_URI": own_store.uri}
    crawl = outage_crawl(site, env, tmp_path, "-s", "MONGO_OUTAGE_LIMIT=3")
    articles = own_store.articles(db_name)
    wait_for(lambda: articles.count_documents({}) >= 4)
    own_store.stop()
    assert crawl.wait(120) == 1
    assert "crawler: netease: run failed (store_unavailable)" in crawl.stderr.read()
    spool = tmp_path / "spool" / "articles.jsonl"
    assert spool.exists()

    own_store.start()
    replay = run_crawler(["db", "replay"], env, tmp_path)
    assert replay.returncode == 0, replay.stderr
    stored = [d["url"].rsplit("/", 1)[1][:16] for d in own_store.articles(db_name).find()]
    assert len(stored) == len(set(stored)) > 4  # what was stored or spooled, each once
    again = outage_crawl(site, env, tmp_path)  # the next run fetches what the cut run never reached
    assert again.wait(120) == 0, again.stderr.read()[-3000:]
    assert sorted(d["url"].rsplit("/", 1)[1][:16] for d in own_store.articles(db_name).find()) == IDENTS


def test_sources_that_fail_every_request_do_not_stop_the_others(
    site: Site, crawler_env, articles, mongo_uri, db_name, tmp_path: Path
) -> None:
    serve_netease(site)
    site.add("http://www.bannedbook.org/bnews/feed", Page(b"down", status=500))
    site.add("http://www.solidot.org/index.rss", Page(b"", respond=hang_up))
    start_urls = {
        "netease": ["http://www.163.com/news/"],
        "bannedbook": ["http://www.bannedbook.org/bnews/feed"],
        "solidot": ["http://www.solidot.org/index.rss"],
    }
    env = crawler_env | {"http_proxy": site.base}
    once = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli.main",
            *overrides(
                f"SOURCE_START_URLS={json.dumps(start_urls)}",
                "AUTOTHROTTLE_ENABLED=0",
                "DOWNLOAD_DELAY=0",
                "RETRY_BACKOFF_BASE=0.1",
            ),
            "schedule",
            "--once",
            "netease",
            "bannedbook",
            "solidot",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert once.returncode == 1, once.stderr[-2000:]
    assert "crawler: bannedbook: run failed (finished)" in once.stderr
    assert "crawler: solidot: run failed (finished)" in once.stderr
    runs = {r["source"]: r for r in crawls(mongo_uri, db_name)}
    assert (runs["netease"]["status"], runs["netease"]["articles"]["new"]) == ("ok", 2)
    assert (runs["bannedbook"]["status"], runs["bannedbook"]["errors"]["by_reason"]) == (
        "failed",
        {"http_error": 1},
    )
    assert (runs["solidot"]["status"], runs["solidot"]["errors"]["by_reason"]) == (
        "failed",
        {"download_failed": 1},
    )
    assert "solidot.org/index.rss: download failed (" in once.stderr  # the transport's words follow
    assert articles.count_documents({}) == 2
