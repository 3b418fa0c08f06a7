"""`crawler schedule`: triggers decided on a controllable clock, no overlapping runs, failures
survived, SIGTERM stops cleanly, and `--once` for cron."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pymongo
import pytest
from scrapy.settings import Settings
from twisted.internet import defer

from crawler.recurring import Runs, next_run, trigger_for, triggers
from tests.commands import overrides
from tests.conftest import page_bytes, wait_for
from tests.site import Site

CST = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 25, 9, 7, tzinfo=CST)


def fire_times(trigger, count: int, now: datetime) -> list[datetime]:
    """What the scheduler would do, decided on a clock we move ourselves."""
    times, previous = [], None
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, now)
        times.append(previous)
        now = previous
    return times


def test_interval_and_cron_schedules_fire_on_time() -> None:
    every = trigger_for("every 30m", 0, "Asia/Shanghai")
    every.start_date = T0
    assert fire_times(every, 3, T0) == [T0, T0 + timedelta(minutes=30), T0 + timedelta(minutes=60)]
    cron = trigger_for("*/15 * * * *", 0, "Asia/Shanghai")
    assert [t.strftime("%H:%M") for t in fire_times(cron, 3, T0)] == ["09:15", "09:30", "09:45"]


def test_an_interval_counts_from_the_last_run_and_a_new_source_runs_at_once() -> None:
    every = trigger_for("every 30m", 0, "Asia/Shanghai")
    assert next_run(every, None, T0) == T0  # never crawled: now
    assert next_run(every, T0 - timedelta(minutes=10), T0) == T0 + timedelta(minutes=20)  # restarted service
    assert next_run(every, T0 - timedelta(hours=5), T0) == T0  # overdue: now, once
    cron = trigger_for("0 * * * *", 0, "Asia/Shanghai")
    assert next_run(cron, T0 - timedelta(minutes=1), T0) == T0.replace(hour=10, minute=0)


def test_jitter_spreads_starts_within_its_bound() -> None:
    jittered = trigger_for("every 1h", 60, "Asia/Shanghai")
    jittered.start_date = T0
    starts = [jittered.get_next_fire_time(None, T0) for _ in range(20)]
    assert all(T0 <= s <= T0 + timedelta(seconds=60) for s in starts) and len(set(starts)) > 1


def test_bad_schedules_are_refused_at_start() -> None:
    with pytest.raises(ValueError, match="neither 'every N\\[smhd\\]' nor a crontab line"):
        trigger_for("often", 0, "UTC")
    settings = Settings(
        {
            "SCHEDULES": {"nosuch": "every 1m"},
            "SCHEDULE_DEFAULT": "every 30m",
            "SCHEDULE_JITTER": 0,
            "SCHEDULE_TIMEZONE": "UTC",
        }
    )
    with pytest.raises(ValueError, match="unknown source"):
        triggers(["netease"], settings)


def test_a_source_never_runs_twice_at_once_and_a_failed_run_does_not_stop_the_next() -> None:
    pending: list[defer.Deferred] = []

    def crawl(source: str) -> defer.Deferred:
        pending.append(defer.Deferred())
        return pending[-1]

    runs = Runs(crawl)
    assert runs.launch("netease") is not None
    assert runs.launch("netease") is None  # still running: skipped
    assert runs.launch("solidot") is not None  # other sources are independent
    pending[0].errback(RuntimeError("site down"))  # the run fails...
    assert runs.launch("netease") is not None  # ...and the next one still happens
    assert len(pending) == 3


def crawls(mongo_uri: str, db_name: str) -> list[dict]:
    return list(pymongo.MongoClient(mongo_uri)[db_name]["crawls"].find(sort=[("started_at", 1)]))


def serve_netease(site: Site) -> list[str]:
    page = page_bytes("netease").decode()
    ids = ["S000000000000001", "S000000000000002"]
    links = "".join(f'<a href="/dy/article/{i}.html">{i}</a>' for i in ids)
    site.add("http://www.163.com/news/", f"<html><body>{links}</body></html>")
    for i in ids:
        site.add(f"http://www.163.com/dy/article/{i}.html", page.replace("字节跳动回应被OpenAI封禁账户", i))
    return ids


def scheduled(args: list[str], env: dict, cwd: Path, schedules: dict | None = None) -> subprocess.Popen:
    settings = [
        *overrides(
            'SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}',
            "SCHEDULE_JITTER=0",
            "AUTOTHROTTLE_ENABLED=0",
            "DOWNLOAD_DELAY=0",
            f"SCHEDULES={json.dumps(schedules or {})}",
        ),
    ]
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli.main", *settings, "schedule", *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_schedule_runs_a_source_repeatedly_and_stops_cleanly_on_sigterm(
    site: Site, crawler_env, articles, mongo_uri, db_name, tmp_path: Path
) -> None:
    serve_netease(site)
    env = crawler_env | {"http_proxy": site.base}
    service = scheduled(["netease"], env, tmp_path, schedules={"netease": "every 3s"})
    wait_for(lambda: len(crawls(mongo_uri, db_name)) >= 2)
    service.send_signal(signal.SIGTERM)
    assert service.wait(60) == 0, service.stderr.read()[-2000:]
    runs = crawls(mongo_uri, db_name)
    assert len(runs) >= 2 and {r["source"] for r in runs} == {"netease"}
    assert all(
        earlier["ended_at"] <= later["started_at"] for earlier, later in zip(runs, runs[1:], strict=False)
    )
    assert runs[0]["articles"]["new"] == 2 and runs[1]["articles"]["skipped_stored"] == 2
    assert articles.count_documents({}) == 2


def test_once_runs_each_source_once_and_exits(
    site: Site, crawler_env, articles, mongo_uri, db_name, tmp_path: Path
) -> None:
    serve_netease(site)
    once = scheduled(["netease", "--once"], crawler_env | {"http_proxy": site.base}, tmp_path)
    assert once.wait(120) == 0, once.stderr.read()[-2000:]
    assert [(r["source"], r["status"], r["articles"]["new"]) for r in crawls(mongo_uri, db_name)] == [
        ("netease", "ok", 2)
    ]
