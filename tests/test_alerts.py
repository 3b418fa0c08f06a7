"""Operators are told when a source breaks: each webhook kind gets its service's exact body and
signature, one alert per source and condition until it recovers, a receiver that hangs or fails
costs a run at most ALERT_TIMEOUT, and the Prometheus rules and Grafana board name only metrics
that /metrics serves. Receivers are local HTTP servers on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pymongo
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from crawler.alerts.conditions import Observed, conditions, transitions
from crawler.alerts.delivery import deliver
from crawler.alerts.messages import Alert, Endpoint, endpoints
from tests.commands import free_port
from tests.conftest import run_crawler, scrapy_crawl
from tests.receiver import Receiver
from tests.site import Page, Site
from tests.test_runs import ARTICLE, article, listing

ROOT = Path(__file__).resolve().parent.parent
AT = datetime(
    2026, 12, 2, 16, 30, tzinfo=ZoneInfo("Asia/Shanghai")
)  # DISPLAY_TIMEZONE, as the notifier makes it
FAILED = Alert("netease", "failed", "firing", ("1 × http_500",), "failed", AT)


def dingtalk_sign(timestamp: str, secret: str) -> str:
    """DingTalk's documented check: base64(HMAC-SHA256(secret, "timestamp\\nsecret"))."""
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def lark_sign(timestamp: str, secret: str) -> str:
    """Lark's documented check: base64(HMAC-SHA256 keyed with "timestamp\\nsecret", of nothing)."""
    return base64.b64encode(
        hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    ).decode()


# --- Each kind in its service's format ----------------------------------------------------------


def test_each_kind_gets_its_services_exact_body(receiver: Receiver) -> None:
    targets = [
        Endpoint("json", receiver.url + "/hook"),
        Endpoint("slack", receiver.url + "/services/T/B/X"),
        Endpoint("wecom", receiver.url + "/cgi-bin/webhook/send?key=K1"),
        Endpoint("dingtalk", receiver.url + "/robot/send?access_token=T1"),
        Endpoint("lark", receiver.url + "/open-apis/bot/v2/hook/H1"),
    ]
    outcomes = deliver([FAILED], targets, timeout=10, retries=0)
    assert [o.delivered for o in outcomes] == [True] * 5
    by_path = {r.path.split("?")[0]: r.body for r in receiver.got}
    lines = ["1 × http_500", "last run: failed, ended 2026-12-02 16:30 +08:00"]
    title = "[crawler] netease: run failed"
    assert by_path["/hook"] == {
        "source": "netease",
        "condition": "failed",
        "state": "firing",
        "reasons": ["1 × http_500"],
        "run_status": "failed",
        "at": "2026-12-02T16:30:00+08:00",
        "title": title,
    }
    assert by_path["/services/T/B/X"] == {"text": f"*{title}*\n• {lines[0]}\n• {lines[1]}"}
    assert by_path["/cgi-bin/webhook/send"] == {
        "msgtype": "markdown",
        "markdown": {"content": f"**{title}**\n> {lines[0]}\n> {lines[1]}"},
    }
    assert by_path["/robot/send"] == {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": f"### {title}\n\n- {lines[0]}\n- {lines[1]}"},
    }
    assert by_path["/open-apis/bot/v2/hook/H1"] == {
        "msg_type": "text",
        "content": {"text": "\n".join([title, *lines])},
    }
    assert "key=K1" in next(r.path for r in receiver.got if r.path.startswith("/cgi-bin"))


def test_dingtalk_is_signed_in_the_url_and_lark_in_the_body(receiver: Receiver) -> None:
    before = time.time()
    deliver(
        [FAILED],
        [
            Endpoint("dingtalk", receiver.url + "/robot/send?access_token=T1", "SEC-ding"),
            Endpoint("lark", receiver.url + "/open-apis/bot/v2/hook/H1", "lark-secret"),
        ],
        timeout=10,
        retries=0,
    )
    ding, lark = receiver.got
    query = parse_qs(urlsplit(ding.path).query)
    assert query["access_token"] == ["T1"]
    timestamp = query["timestamp"][0]
    assert before * 1000 - 1000 <= int(timestamp) <= time.time() * 1000  # milliseconds
    assert query["sign"] == [dingtalk_sign(timestamp, "SEC-ding")]
    assert before - 1 <= int(lark.body["timestamp"]) <= time.time()  # seconds
    assert lark.body["sign"] == lark_sign(lark.body["timestamp"], "lark-secret")
    assert lark.body["msg_type"] == "text"


def test_a_service_refusing_the_signature_is_a_failed_delivery(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.answer = b'{"errcode": 310000, "errmsg": "sign not match"}'
    with caplog.at_level(logging.WARNING, logger="crawler.alerts.delivery"):
        outcomes = deliver(
            [FAILED],
            [Endpoint("dingtalk", receiver.url + "/robot/send?access_token=SECRET-TOKEN")],
            timeout=10,
            retries=2,
        )
    assert [o.delivered for o in outcomes] == [False]
    assert receiver.attempts == 1  # the same signature would be refused again
    assert "310000 sign not match" in caplog.text and "SECRET-TOKEN" not in caplog.text


def test_a_receiver_answering_500_is_retried_then_logged_once_without_its_url(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.mode = "500"
    with caplog.at_level(logging.WARNING, logger="crawler.alerts.delivery"):
        outcomes = deliver(
            [FAILED],
            [Endpoint("slack", receiver.url + "/services/T000/B000/XXXXSECRET")],
            timeout=10,
            retries=2,
        )
    assert [o.delivered for o in outcomes] == [False]
    assert receiver.attempts == 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "HTTP 500" in warnings[0].getMessage()
    assert "XXXXSECRET" not in caplog.text and "127.0.0.1" in caplog.text


def test_a_receiver_that_hangs_costs_no_more_than_the_timeout(receiver: Receiver) -> None:
    receiver.mode = "hang"
    start = time.monotonic()
    outcomes = deliver(
        [FAILED, FAILED],
        [Endpoint("json", receiver.url + "/a"), Endpoint("json", receiver.url + "/b")],
        timeout=1.0,
        retries=2,
    )
    assert time.monotonic() - start < 3.0  # one shared deadline of 1 s, not 1 s per attempt and endpoint
    assert [o.delivered for o in outcomes] == [False] * 4


def test_a_webhook_without_a_known_kind_or_an_http_url_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="one of json, slack, dingtalk, wecom, lark"):
        endpoints('[{"kind": "teams", "url": "https://example.invalid/"}]')
    with pytest.raises(ValueError, match="needs an http"):
        endpoints([{"kind": "slack", "url": "file:///etc/passwd"}])
    assert (
        endpoints(
            '[{"kind": "lark", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/x", "secret": "s"}]'
        )[0].secret
        == "s"
    )


# --- Conditions: one alert per source and condition until it recovers ---------------------------


def run(status: str, new: int = 1, degraded_by: tuple[str, ...] = ()) -> dict:
    return {
        "source": "aibase",
        "status": status,
        "reason": "finished",
        "degraded_by": list(degraded_by),
        "errors": {"total": 0, "by_reason": {}},
        "articles": {"new": new, "spooled": 0},
    }


def test_a_source_with_no_new_article_for_alert_stale_runs_runs_is_stale_once() -> None:
    held = conditions(run("ok", new=0), Observed(recent_new=[0, 0, 0, 4]), stale_runs=3)
    assert held == {"stale": ("no new article in the last 3 runs",)}
    assert conditions(run("ok", new=0), Observed(recent_new=[0, 0, 4]), stale_runs=3) == {}
    assert (
        conditions(run("ok", new=0), Observed(recent_new=[0, 0]), stale_runs=3) == {}
    )  # too few runs to tell
    first = transitions(run("ok", new=0), held, set(), AT)
    assert [(a.condition, a.state) for a in first] == [("stale", "firing")]
    assert transitions(run("ok", new=0), held, {"stale"}, AT) == []
    assert [(a.condition, a.state) for a in transitions(run("ok"), {}, {"stale"}, AT)] == [
        ("stale", "recovered")
    ]


def test_a_degraded_run_names_its_reasons_and_spool_and_dead_requests_are_conditions() -> None:
    held = conditions(
        run("degraded", degraded_by=("fallback share 0.40 > 0.20",)), Observed([1], spooled=7, dead=2), 3
    )
    assert held == {
        "degraded": ("fallback share 0.40 > 0.20",),
        "spool": ("7 article(s) wait in the spool for the store",),
        "dead_requests": ("2 request(s) in the frontier's dead list",),
    }
    assert conditions(run("failed"), Observed([1]), 3) == {"failed": ("run failed",)}


def test_a_failed_source_alerts_once_and_says_when_it_recovers(
    site: Site, receiver: Receiver, crawler_env, mongo_uri: str, db_name: str, tmp_path: Path
) -> None:
    """Three real runs of a source: its listing fails twice (one alert, to each endpoint), then
    answers (one "recovered")."""
    hooks = [
        {"kind": "json", "url": receiver.url + "/hook"},
        {"kind": "dingtalk", "url": receiver.url + "/robot/send?access_token=T1", "secret": "SEC-ding"},
    ]
    env = crawler_env | {
        "http_proxy": site.base,
        "no_proxy": "127.0.0.1",
        "ALERT_WEBHOOKS": json.dumps(hooks),
    }
    args = ["-a", "start_urls=http://www.163.com/news/", "-a", "max_depth=0"]
    site.add("http://www.163.com/news/", Page(b"down", status=500))
    for _ in range(2):
        failed = scrapy_crawl("netease", args, env, tmp_path)
        assert failed.returncode == 0, failed.stderr[-2000:]
        assert (
            "access_token" not in failed.stderr and "SEC-ding" not in failed.stderr
        )  # secrets stay out of logs
    assert [(r.path.split("?")[0], r.body.get("state"), r.body.get("condition")) for r in receiver.got] == [
        ("/hook", "firing", "failed"),
        ("/robot/send", None, None),
    ]
    assert "run failed" in receiver.got[1].body["markdown"]["title"]
    ended = re.search(r"ended (\S+ \S+ \S+)", receiver.got[1].body["markdown"]["text"]).group(1)
    assert ended.endswith(" +08:00")  # DISPLAY_TIMEZONE, as on the dashboard and in crawler status
    sources = pymongo.MongoClient(mongo_uri)[db_name]["sources"]
    assert set(sources.find_one({"_id": "netease"})["alerts"]) == {"failed"}

    listing(site, ["A000000000000001"])
    site.add(ARTICLE.format("A000000000000001"), article("A000000000000001"))
    ok = scrapy_crawl("netease", args, env, tmp_path)
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert [
        (r.body.get("state"), r.body.get("condition")) for r in receiver.got[2:] if r.path == "/hook"
    ] == [("recovered", "failed")]
    assert len(receiver.got) == 4
    assert sources.find_one({"_id": "netease"})["alerts"] == {}
    runs = pymongo.MongoClient(mongo_uri)[db_name]["crawls"].find(sort=[("started_at", 1)])
    assert [r["status"] for r in runs] == ["failed", "failed", "ok"]


def test_an_alert_no_endpoint_took_is_counted_and_sent_again_next_run(
    site: Site, receiver: Receiver, crawler_env, mongo_uri: str, db_name: str, tmp_path: Path
) -> None:
    receiver.mode = "500"
    hooks = [{"kind": "wecom", "url": receiver.url + "/cgi-bin/webhook/send?key=K1"}]
    env = crawler_env | {
        "http_proxy": site.base,
        "no_proxy": "127.0.0.1",
        "ALERT_WEBHOOKS": json.dumps(hooks),
    }
    args = ["-a", "start_urls=http://www.163.com/news/", "-a", "max_depth=0", "-s", "ALERT_RETRIES=0"]
    site.add("http://www.163.com/news/", Page(b"down", status=500))
    for attempts in (1, 2):
        assert scrapy_crawl("netease", args, env, tmp_path).returncode == 0
        assert receiver.attempts == attempts
    doc = pymongo.MongoClient(mongo_uri)[db_name]["sources"].find_one({"_id": "netease"})
    assert doc["alert_failures"] == {"wecom": 2} and not doc.get("alerts")


def test_a_crawl_whose_receiver_hangs_ends_and_counts_the_failed_delivery(
    site: Site, receiver: Receiver, crawler_env, mongo_uri: str, db_name: str, tmp_path: Path
) -> None:
    receiver.mode = "hang"
    hooks = [{"kind": "lark", "url": receiver.url + "/open-apis/bot/v2/hook/H1", "secret": "s"}]
    env = crawler_env | {
        "http_proxy": site.base,
        "no_proxy": "127.0.0.1",
        "ALERT_WEBHOOKS": json.dumps(hooks),
    }
    site.add("http://www.163.com/news/", Page(b"down", status=500))
    crawl = scrapy_crawl(
        "netease",
        ["-a", "start_urls=http://www.163.com/news/", "-a", "max_depth=0", "-s", "ALERT_TIMEOUT=1"],
        env,
        tmp_path,
    )
    assert "Spider closed (finished)" in crawl.stderr
    assert receiver.attempts == 1  # the one attempt took the whole ALERT_TIMEOUT
    assert crawl.stderr.count("not delivered to lark http://127.0.0.1:") == 1
    doc = pymongo.MongoClient(mongo_uri)[db_name]["sources"].find_one({"_id": "netease"})
    assert doc["alert_failures"] == {"lark": 1}


# --- Prometheus and Grafana ---------------------------------------------------------------------


def test_the_alert_rules_pass_promtool_and_their_unit_tests() -> None:
    rules = ROOT / "deploy" / "prometheus"
    checked = subprocess.run(
        ["promtool", "check", "rules", "alerts.yml"], cwd=rules, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        ["promtool", "test", "rules", "alerts_test.yml"], cwd=rules, capture_output=True, text=True
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def served_metric_names(base: str) -> set[str]:
    text = urllib.request.urlopen(base + "/metrics", timeout=30).read().decode()
    names = set()
    for family in text_string_to_metric_families(text):
        names |= {family.name, *(f"{family.name}_total" for _ in [0] if family.type == "counter")}
    return names


def test_every_metric_the_board_and_the_rules_name_is_served(
    crawler_env, redis_server, unused_loopback_port: int, tmp_path: Path
) -> None:
    board = json.loads((ROOT / "deploy" / "grafana" / "dashboard.json").read_text())
    exprs = [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    exprs += [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    named = {m for expr in exprs for m in re.findall(r"\bcrawler_[a-z_]+", expr)}
    assert len(named) >= 12
    api = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli.main", "api", "--port", str(unused_loopback_port)],
        env=crawler_env | {"REDIS_URL": redis_server.url},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert api.stdout.readline().startswith("serving")
        assert named - served_metric_names(f"http://127.0.0.1:{unused_loopback_port}") == set()
    finally:
        api.terminate()
        api.wait(10)


def test_metrics_say_the_store_is_down_instead_of_failing(
    unused_loopback_port: int, tmp_path: Path, crawler_env
) -> None:
    dead_store = (
        f"mongodb://127.0.0.1:{unused_loopback_port}/?serverSelectionTimeoutMS=300&connectTimeoutMS=300"
    )
    api_port = free_port()
    api = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli.main", "api", "--port", str(api_port)],
        env=crawler_env | {"MONGO_URI": dead_store},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert api.stdout.readline().startswith("serving")
        text = urllib.request.urlopen(f"http://127.0.0.1:{api_port}/metrics", timeout=30).read().decode()
        samples = {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}
        assert samples["crawler_store_up"] == 0
        assert samples["crawler_spool_articles"] == 0
    finally:
        api.terminate()
        api.wait(10)


def test_the_monitoring_profile_scrapes_the_api_with_its_token_and_loads_the_rules_and_the_board() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
        assert all(port.startswith("127.0.0.1:") for port in services[name]["ports"])  # this host only
    mounts = {volume.split(":")[1] for volume in services["prometheus"]["volumes"] if volume.startswith("./")}
    assert mounts == {"/etc/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml"}
    assert compose["secrets"]["api_token"] == {"environment": "API_TOKEN"}
    config = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    job = config["scrape_configs"][0]
    assert job["static_configs"][0]["targets"] == ["api:9080"] and job["metrics_path"] == "/metrics"
    assert job["authorization"]["credentials_file"] == "/run/secrets/api_token"
    assert (
        "./deploy/grafana/dashboard.json:/var/lib/grafana/dashboards/crawler.json:ro"
        in services["grafana"]["volumes"]
    )
    assert (
        services["api"]["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    )  # /metrics shows the frontier


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (
            '[{"kind": "pager", "url": "http://127.0.0.1:9/"}]',
            "ALERT_WEBHOOKS: each entry needs a kind, one of json, slack, dingtalk, wecom, lark",
        ),
        ('[{"kind": "dingtalk", ', "ALERT_WEBHOOKS is not valid JSON (Expecting"),
    ],
)
def test_a_malformed_alert_webhooks_setting_is_one_line_and_exit_2(
    value: str, said: str, crawler_env, site, tmp_path: Path
) -> None:
    done = run_crawler(
        ["crawl", "solidot"], crawler_env | {"ALERT_WEBHOOKS": value, "http_proxy": site.base}, tmp_path
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"crawler: {said}") and done.stderr.count("\n") == 1, done.stderr
    assert site.requests == []  # nothing was crawled
