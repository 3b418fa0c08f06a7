"""Distributed crawling as operators run it: `crawler schedule --once` seeds a round into a real
redis-server, `crawler worker` processes crawl it from a local site that logs every request, and
the real store receives the articles."""

from __future__ import annotations

import os
import pickle
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from crawler.frontier.queue import Frontier
from crawler.frontier.workers import live_workers
from tests.cluster import ARTICLE, LISTING, SETTINGS, STORED, Cluster, article_fetches, news_site
from tests.conftest import run_crawler, wait_for
from tests.site import Page, Site


def stat(log: Path, name: str) -> int:
    """A counter from the stats Scrapy logs when the worker ends (0 when it was never counted)."""
    text = log.read_text()
    return int(text.split(f"'{name}': ", 1)[1].split(",", 1)[0].rstrip("}")) if f"'{name}'" in text else 0


def acked(log: Path) -> int:
    return stat(log, "frontier/acked")


def assert_stored_once(articles, idents: list[str], refetched: int = 0) -> None:
    """One document per article; at most `refetched` of them written by a second fetch."""
    urls = [d["url"] for d in articles.find({}, {"url": 1})]
    assert sorted(urls) == sorted(STORED.format(i) for i in idents)
    assert sum(d["fetch_count"] - 1 for d in articles.find()) <= refetched


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_every_article_is_stored_once_and_every_page_fetched_once(
    workers: int, cluster: Cluster, site: Site, articles
) -> None:
    idents = news_site(site, 90, delay=0.05)
    seeded = run_crawler([*SETTINGS, "schedule", "--once", "netease"], cluster.env, cluster.folder)
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    assert "netease: new round seeded for the workers" in seeded.stderr
    for n in range(workers):
        cluster.worker(
            "--until-idle", *(("--sources", "netease", "solidot") if n else ())
        )  # `worker netease` too
    cluster.wait()
    assert_stored_once(articles, idents)
    assert Counter(article_fetches(site)) == Counter(idents)  # each page once, across all workers
    assert site.requests.count(LISTING) == 1
    assert all(acked(log) > 0 for log in cluster.logs)  # every worker took part
    assert sum(acked(log) for log in cluster.logs) == 90 + 2  # articles, the listing and the seed


def test_sigkill_of_the_busiest_worker_loses_nothing_and_refetches_only_what_it_held(
    cluster: Cluster, site: Site, articles, redis_server
) -> None:
    idents = news_site(site, 120, delay=0.1)
    cluster.seed()
    for _ in range(3):
        cluster.worker("--until-idle")
    server = redis_server.client()
    wait_for(lambda: articles.count_documents({}) >= 48)  # 40 %
    busiest, beat = max(live_workers(server).items(), key=lambda w: sum(w[1]["pages"].values()))
    os.kill(beat["pid"], signal.SIGKILL)
    victim = next(w for w in cluster.workers if w.pid == beat["pid"])
    assert victim.wait(10) == -signal.SIGKILL
    held = Frontier(server, "netease").consumers()[busiest][0]  # its leases, before anyone hands them back
    cluster.workers.remove(victim)

    cluster.wait()
    fetches = article_fetches(site)
    assert set(fetches) == set(idents)
    assert len(fetches) - len(idents) <= held
    assert_stored_once(articles, idents, refetched=len(fetches) - len(idents))
    assert busiest not in Frontier(server, "netease").consumers()
    assert "back in the queue" in "".join(log.read_text() for log in cluster.logs)


def test_sigterm_finishes_in_flight_work_exits_0_and_leaves_no_lease(
    cluster: Cluster, site: Site, articles, redis_server
) -> None:
    idents = news_site(site, 20, delay=0.5)
    cluster.seed()
    first = cluster.worker("--until-idle", settings=("-s", "CONCURRENT_REQUESTS=2"))
    wait_for(lambda: articles.count_documents({}) >= 5)
    first.send_signal(signal.SIGTERM)
    assert first.wait(60) == 0, cluster.log_tails()
    server = redis_server.client()
    assert Frontier(server, "netease").consumers() == {}  # nothing leased, and the worker is gone
    assert live_workers(server) == {}
    stored = articles.count_documents({})
    assert stored == len(set(article_fetches(site))) < 20  # what it fetched, it stored

    cluster.worker("--until-idle")
    cluster.wait()
    assert_stored_once(articles, idents)
    assert Counter(article_fetches(site)) == Counter(idents)


def test_idle_and_late_workers_are_handed_work_by_their_poller_and_none_exits_while_work_remains(
    cluster: Cluster, site: Site, articles, redis_server
) -> None:
    """Scrapy's engine looks at an idle scheduler every 5 s; a round seeded just after one of those
    looks is started by the worker's poller, not by the next look."""
    idents = news_site(site, 60, delay=0.4)
    server = redis_server.client()
    two_at_once = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")  # 12 s of work: the late worker finds some left
    waiting = cluster.worker(settings=(*two_at_once, "-s", "LOG_LEVEL=DEBUG"))  # a service: no --until-idle
    wait_for(
        lambda: cluster.logs[0].read_text().count(": the engine is idle") >= 2
    )  # idle, and the engine has just had its regular look
    cluster.seed()
    wait_for(lambda: LISTING in site.requests, 5)

    wait_for(lambda: articles.count_documents({}) >= 6)
    late = cluster.worker("--until-idle", settings=two_at_once)
    wait_for(lambda: len(live_workers(server)) == 2)
    wait_for(lambda: len(Frontier(server, "netease").consumers()) == 2)

    assert late.wait(120) == 0, cluster.log_tails()
    assert articles.count_documents({}) == len(idents)  # it left only once there was nothing to do
    assert waiting.poll() is None  # the service stays
    waiting.send_signal(signal.SIGTERM)
    assert waiting.wait(60) == 0
    assert stat(cluster.logs[0], "frontier/woken") >= 1  # the round came in through the poller
    assert acked(cluster.logs[1]) > 0  # the late worker took its share
    assert_stored_once(articles, idents)


def test_three_workers_send_a_site_no_more_than_its_per_domain_limit(
    cluster: Cluster, site: Site, articles
) -> None:
    idents = news_site(site, 15, delay=0.3)
    cluster.seed()
    for _ in range(3):  # each alone would be allowed 2 at once: 6 together without sharing
        cluster.worker("--until-idle", settings=("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"))
    cluster.wait()
    assert_stored_once(articles, idents)
    assert site.most_in_flight["www.163.com"] == 2


def test_a_503_with_retry_after_holds_every_worker_off_the_site(
    cluster: Cluster, site: Site, articles
) -> None:
    idents = news_site(site, 20, delay=0.05)
    busy = ARTICLE.format(idents[3])
    site.add(busy, Page(site.pages[busy].body, fail_times=1, headers={"Retry-After": "2"}))
    cluster.seed()
    for _ in range(2):
        cluster.worker("--until-idle")
    cluster.wait()
    assert_stored_once(articles, idents)
    answered = site.times[site.requests.index(busy)]
    during = [t for t in site.times if answered + 0.1 < t < answered + 1.9]
    assert during == []  # no worker sent anything while the site asked for 2 s of quiet
    assert site.requests.count(busy) == 2


def test_redis_down_for_5_seconds_mid_crawl_loses_nothing(
    cluster: Cluster, site: Site, articles, redis_server
) -> None:
    idents = news_site(site, 60, delay=0.05)
    cluster.seed()
    for _ in range(2):
        cluster.worker("--until-idle")
    wait_for(lambda: articles.count_documents({}) >= 20)
    redis_server.stop()
    time.sleep(5)  # the outage itself: longer than FRONTIER_LEASE_TIMEOUT (3 s), so heartbeats lapse
    assert all(w.poll() is None for w in cluster.workers)  # waiting, not crashed
    redis_server.start()
    cluster.wait()
    assert_stored_once(articles, idents)
    assert set(article_fetches(site)) == set(idents)
    for log in cluster.logs:  # said once per outage, not once per request or per part
        assert log.read_text().count("WARNING: redis unreachable") == 1, log.read_text()[-3000:]


def test_crawl_with_redis_url_seeds_a_round_and_ends_when_it_is_done(
    cluster: Cluster, site: Site, articles, redis_server
) -> None:
    idents = news_site(site, 12, delay=0.05)
    done = run_crawler([*SETTINGS, "crawl", "netease"], cluster.env, cluster.folder)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "new round seeded" in done.stderr
    assert_stored_once(articles, idents)
    depth = Frontier(redis_server.client(), "netease").depth()
    assert (depth.round, depth.queued, depth.leased) == (1, 0, 0)


def test_a_pickled_request_in_the_queue_is_set_aside_unread_and_the_round_goes_on(
    cluster: Cluster, site: Site, articles, redis_server, tmp_path: Path
) -> None:
    """Whoever can write to Redis must not be able to run code in a worker: requests are JSON, and
    a pickle (what an older version wrote, or an attack) goes to the dead list without being read."""
    idents = news_site(site, 12, delay=0.05)
    marker = tmp_path / "ran"
    frontier = Frontier(redis_server.client(), "netease")
    cluster.seed()
    assert frontier.push(pickle.dumps(Touch(marker)), None, 3600)
    cluster.worker("--until-idle")
    cluster.wait()
    assert not marker.exists()
    assert_stored_once(articles, idents)
    depth = frontier.depth()
    assert (depth.queued, depth.leased, depth.dead) == (0, 0, 1)
    log = cluster.logs[0].read_text()
    assert "set aside, not a request the frontier wrote" in log and "'frontier/unreadable': 1" in log


class Touch:
    """A pickle that, unpickled, creates a file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.path,))


def test_with_another_scheduler_a_crawl_starts_from_its_spider_though_redis_url_is_set(
    cluster: Cluster, site: Site, articles, redis_server
) -> None:
    """Only this project's scheduler starts discovery from the round's seed; under another one (Scrapy's
    own here, scrapy-redis's in bench/distributed.py) the spider's start does, as in any Scrapy project."""
    idents = news_site(site, 6, delay=0.05)
    done = run_crawler(
        [*SETTINGS, "-s", "SCHEDULER=scrapy.core.scheduler.Scheduler", "crawl", "netease"],
        cluster.env,
        cluster.folder,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "new round seeded" not in done.stderr
    assert_stored_once(articles, idents)
    assert Frontier(redis_server.client(), "netease").depth().round == 0


def test_worker_without_redis_url_says_what_it_needs(crawler_env, tmp_path: Path) -> None:
    done = run_crawler(["worker"], crawler_env, tmp_path)
    assert done.returncode == 2
    assert "needs REDIS_URL" in done.stderr


def test_status_shows_the_frontier_and_each_worker(
    cluster: Cluster, site: Site, articles, redis_server
) -> None:
    news_site(site, 10, delay=0.05)
    cluster.seed()
    worker = cluster.worker()
    wait_for(lambda: articles.count_documents({}) == 10)
    wait_for(lambda: Frontier(redis_server.client(), "netease").depth().queued == 0)
    shown = run_crawler(["status"], cluster.env, cluster.folder)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    frontier = lines[lines.index("frontier") + 1 :]
    assert frontier[0].split() == ["source", "round", "queued", "leased", "dead"]
    assert frontier[1].split() == ["netease", "1", "0", "0", "0"]
    assert lines[lines.index("workers") + 1].split() == ["worker", "pid", "up", "(min)", "pages", "pages/min"]
    assert any(line.split()[1] == str(worker.pid) for line in lines[lines.index("workers") + 2 :])
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(60) == 0
