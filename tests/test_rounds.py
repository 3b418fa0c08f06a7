"""A distributed crawl's rounds are its runs (crawler/frontier/rounds.py): a scheduler seeds a
round into a real redis-server, `crawler worker` processes that stay up crawl it, and the round
is recorded once in `crawls` when it has drained, with every worker's counts, its alerts sent,
while the workers go on."""

from __future__ import annotations

import json
import signal
import threading
import urllib.request

import pymongo
import redis

from crawler.frontier.queue import Frontier
from crawler.runs import problems
from tests.cluster import ARTICLE, LISTING, Cluster, news_site
from tests.conftest import run_crawler, wait_for
from tests.hostile import held
from tests.receiver import Receiver
from tests.site import Page, Site
from tests.test_api import Api


def rounds(mongo_uri: str, db_name: str) -> list[dict]:
    return list(pymongo.MongoClient(mongo_uri)[db_name]["crawls"].find({"round": {"$exists": True}}))


def test_a_round_is_recorded_once_with_every_new_article_while_the_workers_run(
    cluster: Cluster, site: Site, articles, mongo_uri: str, db_name: str
) -> None:
    """On the old main no run was recorded until a worker stopped: `crawler status` said `never`."""
    news_site(site, 120, delay=0.02)
    workers = [cluster.worker() for _ in range(3)]
    cluster.seed()
    wait_for(lambda: len(rounds(mongo_uri, db_name)) == 1, 180)
    [record] = rounds(mongo_uri, db_name)
    assert all(w.poll() is None for w in workers)  # recorded while every worker is up
    assert (record["round"], record["status"], record["articles"]["new"]) == (1, "ok", 120), record
    assert articles.count_documents({}) == 120
    assert sum(record["workers"].values()) >= 122  # the seed, the listing and 120 articles, acknowledged
    assert record["pages_fetched"] >= 121 and record["errors"]["total"] == 0
    status = run_crawler(["status"], cluster.env, cluster.folder)
    line = next(x for x in status.stdout.splitlines() if x.startswith("netease"))
    assert line.split()[4:6] == ["ok", "120"], status.stdout  # the round is the source's last run
    for worker in workers:  # each looks for rounds to record once more on its way out
        worker.send_signal(signal.SIGTERM)
    cluster.wait()
    assert len(rounds(mongo_uri, db_name)) == 1


def test_a_worker_killed_mid_round_changes_neither_the_count_nor_the_uniqueness(
    cluster: Cluster, site: Site, articles, mongo_uri: str, db_name: str
) -> None:
    news_site(site, 120, delay=0.1)
    workers = [cluster.worker() for _ in range(3)]
    cluster.seed()
    wait_for(lambda: articles.count_documents({}) >= 30, 120)
    workers[0].kill()  # SIGKILL: its leases go back once its heartbeat lapses
    wait_for(lambda: len(rounds(mongo_uri, db_name)) == 1, 180)
    [record] = rounds(mongo_uri, db_name)
    assert record["articles"]["new"] == 120 == articles.count_documents({}), record
    assert workers[1].poll() is None and workers[2].poll() is None
    for worker in workers[1:]:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
    assert len(rounds(mongo_uri, db_name)) == 1


def test_a_round_in_progress_is_shown_by_crawler_status(cluster: Cluster, site: Site, articles) -> None:
    """The last article answers only once the test has looked: the round is in progress however
    long the command and the API take to start on a busy machine."""
    idents = news_site(site, 10)
    last, looked = ARTICLE.format(idents[-1]), threading.Event()
    site.add(last, Page(b"", respond=held(looked, site.pages[last].body)))
    worker = cluster.worker()
    cluster.seed()
    wait_for(lambda: articles.count_documents({}) >= 3, 120)
    status = run_crawler(["status"], cluster.env, cluster.folder)
    assert status.returncode == 0, status.stderr
    [line] = [x for x in status.stdout.splitlines() if x.startswith("netease: round 1 in progress since ")]
    assert " pages, " in line and " new so far, queued " in line and line.endswith(", dead 0"), line
    api = Api(cluster.env, cluster.folder)  # the dashboard and /metrics say so too
    try:
        page = urllib.request.urlopen(f"http://127.0.0.1:{api.port}/").read().decode()
        assert "round 1 in progress since " in page
        source = urllib.request.urlopen(f"http://127.0.0.1:{api.port}/sources/netease").read().decode()
        assert "Round 1 in progress since " in source
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{api.port}/metrics").read().decode()
        assert 'crawler_round_in_progress{source="netease"} 1.0' in metrics
    finally:
        api.stop()
        looked.set()
    worker.send_signal(signal.SIGTERM)
    worker.wait(60)


def test_a_round_whose_listing_fails_alerts_while_the_workers_run_and_recovers(
    cluster: Cluster,
    site: Site,
    receiver: Receiver,
    mongo_uri: str,
    db_name: str,
) -> None:
    cluster.env["ALERT_WEBHOOKS"] = json.dumps([{"kind": "json", "url": receiver.url + "/hook"}])
    cluster.env["no_proxy"] = "127.0.0.1"  # the receiver is reached directly, the site through its proxy
    site.add(LISTING, Page(b"down", status=500))
    workers = [cluster.worker() for _ in range(2)]
    cluster.seed()
    wait_for(lambda: len(receiver.got) == 1, 120)
    assert (receiver.got[0].body["condition"], receiver.got[0].body["state"]) == ("failed", "firing")
    assert rounds(mongo_uri, db_name)[0]["status"] == "failed"
    assert all(w.poll() is None for w in workers)

    news_site(site, 3)
    server = redis.Redis.from_url(cluster.env["REDIS_URL"])
    assert Frontier(server, "netease").seed("test", 1, force=True) == "seeded"  # the next round
    wait_for(lambda: len(rounds(mongo_uri, db_name)) == 2, 120)
    wait_for(lambda: len(receiver.got) == 2, 60)
    assert (receiver.got[1].body["condition"], receiver.got[1].body["state"]) == ("failed", "recovered")
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    cluster.wait()
    assert len(receiver.got) == 2  # once per condition, not once per worker


def test_a_round_that_never_drains_is_ended_by_its_deadline(
    cluster: Cluster, site: Site, mongo_uri: str, db_name: str
) -> None:
    idents = news_site(site, 4)
    site.add(ARTICLE.format(idents[0]), Page(b"", delay=600))  # a page that never comes
    worker = cluster.worker(settings=("-s", "ROUND_DEADLINE=3", "-s", "DOWNLOAD_TIMEOUT=600"))
    cluster.seed()
    wait_for(lambda: len(rounds(mongo_uri, db_name)) == 1, 120)
    [record] = rounds(mongo_uri, db_name)
    assert (record["status"], record["reason"]) == ("degraded", "round_deadline"), record
    assert "ended: round_deadline" in problems(record)
    server = redis.Redis.from_url(cluster.env["REDIS_URL"])
    assert Frontier(server, "netease").depth().dead == 1  # what it had left, set aside
    assert Frontier(server, "netease").seed("test", 1, force=True) == "seeded"  # the next round can start
    worker.kill()
