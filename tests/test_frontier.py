"""The frontier's Redis operations, one by one, on a real redis-server: what a round lets in, what a
lease is, and what happens to a stopped worker's leases."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from scrapy.settings import Settings

from crawler import default_settings
from crawler.api.dashboard import FrontierCollector
from crawler.frontier.config import FrontierConfig
from crawler.frontier.politeness import retry_after
from crawler.frontier.queue import Frontier
from crawler.frontier.seeding import lock_ms
from crawler.frontier.workers import Heartbeat, heartbeat_key, live_workers, worker_id
from crawler.sources import BUILT_IN
from tests.commands import overrides
from tests.conftest import run_crawler

TTL = 3600


@pytest.fixture
def frontier(redis_server) -> Frontier:
    queue = Frontier(redis_server.client(), "netease")
    queue.ensure()
    return queue


def test_a_round_lets_each_page_in_once_and_a_new_round_lets_it_in_again(frontier: Frontier) -> None:
    assert frontier.seed("scheduler-1", 60_000) == "seeded"
    seed = frontier.take("w1")[0]
    assert (seed.seed, seed.payload) == (1, None)
    assert frontier.push(b"a", b"fp-a", TTL) is True
    assert frontier.push(b"a again", b"fp-a", TTL) is False  # seen this round
    assert frontier.push(b"listing", None, TTL) is True  # dont_filter: no fingerprint, always in
    assert frontier.push(b"listing", None, TTL) is True
    assert frontier.depth().queued == 3
    assert frontier.seed("scheduler-1", 60_000, force=True) == "busy"  # round 1 is not done

    done = frontier.take("w1", count=10)
    frontier.ack([seed.id, *(e.id for e in done)])
    assert not frontier.has_work()
    assert frontier.seed("scheduler-2", 60_000) == "locked"  # seeded a moment ago by scheduler-1
    assert frontier.seed("crawl", 60_000, force=True) == "seeded"
    assert frontier.depth().round == 2
    assert not frontier.server.exists(f"{frontier.stream}:seen:1")  # a finished round's filter is freed
    assert frontier.push(b"a", b"fp-a", TTL) is True  # a new round: the store's incremental check decides
    assert frontier.server.ttl(f"{frontier.stream}:seen:2") > TTL - 5


def test_a_lease_stays_with_its_worker_until_acknowledged(frontier: Frontier) -> None:
    for payload in (b"r1", b"r2", b"r3"):
        frontier.push(payload, payload, TTL)
    first = frontier.take("w1", count=2)
    assert [e.payload for e in first] == [b"r1", b"r2"]  # first in, first out
    assert [e.payload for e in frontier.take("w2", count=5)] == [b"r3"]
    assert frontier.take("w2") == []  # leased entries are not handed out twice
    depth = frontier.depth()
    assert (depth.queued, depth.leased, depth.leases) == (0, 3, {"w1": 2, "w2": 1})
    frontier.ack([first[0].id])
    assert frontier.depth().leases == {"w1": 1, "w2": 1}
    assert frontier.server.xlen(frontier.stream) == 2  # acknowledged entries are deleted, not kept


def test_a_lease_waits_on_its_article_and_no_later_article_made_in_its_memory_releases_it() -> None:
    """A lease is held until its article is stored or dropped. The worker keeps the article it
    waits on: a new article of a later page, even one made where the first one's memory was,
    is never mistaken for it and never releases the first one's lease."""
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from crawler.frontier.scheduler import ENTRY, Leases
    from crawler.items import Article

    leases = Leases()
    request = Request("http://127.0.0.1/a.html")
    leases.take("1-0", request)
    response = HtmlResponse(request.url, body=b"", request=request)
    leases.expect(Article(url=request.url), response)  # on its way to the store
    later = [Article(url=f"http://127.0.0.1/{n}.html") for n in range(1000)]  # one is made where it was
    for article in later:  # ... and each is done
        leases.item_done(article)
    assert response.meta[ENTRY] == "1-0"
    assert leases.finished(lambda _: False) == []  # still waits on its article


def test_a_stopped_workers_leases_go_back_and_a_live_one_keeps_its_own(frontier: Frontier) -> None:
    for payload in (b"r1", b"r2", b"r3"):
        frontier.push(payload, payload, TTL)
    frontier.take("alive", count=1)
    frontier.take("dead", count=2)
    frontier.server.set(heartbeat_key("alive", "netease"), "{}", px=30_000)

    assert frontier.give_back("alive", 3, heartbeat_key("alive", "netease")) == -1
    assert frontier.give_back("dead", 3, heartbeat_key("dead", "netease")) == 2
    held = {worker: entries for worker, (entries, _) in frontier.consumers().items()}
    assert held == {"alive": 1}  # the dead one is gone
    again = frontier.take("other", count=5)
    assert [e.payload for e in again] == [b"r2", b"r3"]
    assert (
        frontier.server.xrange(frontier.stream, again[0].id, again[0].id)[0][1][b"t"] == b"1"
    )  # one more delivery


def test_each_crawl_of_a_process_beats_for_its_own_source(redis_server) -> None:
    """Two sources crawled by one process: when one crawl ends, its stream's leases go back, while the
    other stream still sees the process alive; `crawler status` shows the process once, with both."""
    server = redis_server.client()
    netease, solidot = Frontier(server, "netease"), Frontier(server, "solidot")
    for queue in (netease, solidot):
        queue.ensure()
        queue.push(b"r1", b"r1", TTL)
        queue.take(worker_id())
    beats = {name: Heartbeat(server, 30_000, name) for name in ("netease", "solidot")}
    beats["netease"].beat(3)
    beats["solidot"].beat(5)
    assert live_workers(server)[worker_id()]["pages"] == {"netease": 3, "solidot": 5}

    beats["netease"].stop()
    assert netease.give_back(worker_id(), 3, heartbeat_key(worker_id(), "netease")) == 1
    assert solidot.give_back(worker_id(), 3, heartbeat_key(worker_id(), "solidot")) == -1  # still beating
    assert live_workers(server)[worker_id()]["pages"] == {"solidot": 5}
    beats["solidot"].stop()
    assert live_workers(server) == {}


def test_a_request_that_killed_every_worker_it_met_is_set_aside(frontier: Frontier) -> None:
    frontier.push(b"poison", b"poison", TTL)
    for worker in ("w1", "w2", "w3"):
        assert [e.payload for e in frontier.take(worker)] == [b"poison"]
        assert frontier.give_back(worker, 2, heartbeat_key(worker, "netease")) == 1
    assert frontier.take("w4") == []
    assert frontier.depth().dead == 1
    assert frontier.server.lrange(frontier.dead_key, 0, -1) == [b"poison"]


def test_the_seed_lock_lasts_half_the_schedule_interval() -> None:
    assert lock_ms(IntervalTrigger(minutes=30)) == 15 * 60 * 1000
    assert lock_ms(CronTrigger.from_crontab("0 * * * *", timezone="UTC")) == 30 * 60 * 1000


def test_retry_after_reads_seconds_and_dates_within_the_cap() -> None:
    assert retry_after(b"7", default=1.0, cap=300) == 7
    assert retry_after(b"100000", default=1.0, cap=300) == 300
    assert retry_after(None, default=1.0, cap=300) == 1.0
    assert retry_after(b"soon", default=1.0, cap=300) == 1.0
    in_a_minute = (datetime.now(UTC) + timedelta(seconds=60)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 55 <= retry_after(in_a_minute.encode(), default=1.0, cap=300) <= 60


def scrape(redis_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(FrontierCollector(Settings({"REDIS_URL": redis_url}), list(BUILT_IN.specs)))
    families = text_string_to_metric_families(generate_latest(registry).decode())
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def test_metrics_show_each_frontier_by_state_and_the_live_workers(
    frontier: Frontier, redis_server, unused_loopback_port: int
) -> None:
    for payload in (b"r1", b"r2", b"r3"):
        frontier.push(payload, payload, TTL)
    frontier.take("host:1:a", count=1)
    frontier.server.set(
        heartbeat_key("host:1:a", "netease"), '{"host": "host", "pid": 1, "started": 0, "pages": 7}'
    )

    samples = scrape(redis_server.url)
    assert samples[("crawler_frontier_up", ())] == 1
    assert samples[("crawler_frontier_requests", (("source", "netease"), ("state", "queued")))] == 2
    assert samples[("crawler_frontier_requests", (("source", "netease"), ("state", "leased")))] == 1
    assert samples[("crawler_frontier_requests", (("source", "solidot"), ("state", "queued")))] == 0
    assert samples[("crawler_workers", ())] == 1
    assert samples[("crawler_worker_pages_total", (("worker", "host:1:a"),))] == 7
    assert scrape(f"redis://127.0.0.1:{unused_loopback_port}/0") == {("crawler_frontier_up", ()): 0}


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        (
            {"FRONTIER_POLL_INTERVAL": "20"},
            "FRONTIER_POLL_INTERVAL=20 must be at most a third of FRONTIER_LEASE_TIMEOUT=30",
        ),
        ({"FRONTIER_LEASE_TIMEOUT": "0"}, "FRONTIER_LEASE_TIMEOUT=0 must be more than 0"),
        (
            {"FRONTIER_MAX_DELIVERIES": "0", "REDIS_OUTAGE_LIMIT": "-1"},
            "FRONTIER_MAX_DELIVERIES=0 must be at least 1; REDIS_OUTAGE_LIMIT=-1 must be 0 or more",
        ),
    ],
)
def test_frontier_settings_are_checked_together_before_anything_connects(
    settings: dict[str, str], said: str, crawler_env, tmp_path: Path
) -> None:
    with socket.socket() as listener:  # where the worker would find Redis: it must never be reached
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0)
        url = f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
        args = overrides(*(f"{name}={value}" for name, value in settings.items()))
        done = run_crawler([*args, "crawl", "netease"], crawler_env | {"REDIS_URL": url}, tmp_path)
        assert done.returncode == 2
        assert done.stderr.startswith(f"crawler: {said}") and done.stderr.count("\n") == 1, done.stderr
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_the_default_frontier_settings_hold_together() -> None:
    config = FrontierConfig.from_settings(
        Settings({k: v for k, v in vars(default_settings).items() if k.isupper()})
    )
    assert (config.lease_ms, config.poll_interval, config.max_deliveries) == (30000, 0.5, 3)


@pytest.mark.parametrize(
    "command", [["worker", "--until-idle"], ["crawl", "solidot"], ["schedule", "--once", "solidot"]], ids=str
)
def test_redis_on_a_closed_port_is_one_line_exit_1_and_no_run(
    command: list[str], crawler_env, articles, tmp_path: Path, unused_loopback_port: int
) -> None:
    """On the old main: about 1,100 traceback lines, exit 0, and an `interrupted` run record with
    0 pages for every source, which then showed in status and counted toward `stale`."""
    env = crawler_env | {"REDIS_URL": f"redis://:s3cret@127.0.0.1:{unused_loopback_port}/0"}
    started = time.monotonic()
    run = run_crawler(command, env, tmp_path, timeout=60)
    # it gives up after START_WAIT (5 s), not after minutes of retries; the rest is a loaded
    # machine's start-up of the command (two interpreters' imports on 2 busy cores took 15 s)
    assert time.monotonic() - started < 30
    assert run.returncode == 1
    assert run.stderr == (
        f"crawler: redis at 127.0.0.1:{unused_loopback_port} unreachable: "
        f"Error 111 connecting to 127.0.0.1:{unused_loopback_port}. Connection refused.\n"
    )
    assert articles.database["crawls"].count_documents({}) == 0


def test_a_forked_process_is_a_worker_of_its_own() -> None:
    """An id made at import was inherited by a fork: two processes would have taken and acked
    entries as one consumer."""
    import multiprocessing

    from crawler.frontier.workers import worker_id

    mine = worker_id()
    fork = multiprocessing.get_context("fork")
    with fork.Pool(1) as pool:
        theirs = pool.apply(worker_id)
    assert theirs != mine and theirs.split(":")[1] != mine.split(":")[1]
    assert worker_id() == mine  # the same all the process long
