"""No message, log line, run record or API answer carries a credential: every output of a failure
matrix (the store down, Redis down, a proxy that refuses, a webhook that fails) is searched for
the password each URI carried. On the old main the store-down error was one 511-character line
with pymongo's topology and the password of MONGO_URI."""

from __future__ import annotations

import json
from pathlib import Path

import pymongo
import pytest

from tests.conftest import run_crawler
from tests.site import Page
from tests.test_api import Api

SECRET = "s3cretPW"


def outputs_of(env: dict[str, str], cwd: Path, *commands: list[str]) -> str:
    runs = [
        # no retries of the closed ports: the failure, not its repetition, is what is searched
        run_crawler(["-s", "MONGO_TIMEOUT_MS=300", "-s", "RETRY_TIMES=0", *command], env, cwd, timeout=120)
        for command in commands
    ]
    return "".join(run.stdout + run.stderr for run in runs)


def test_a_store_down_never_shows_its_password(
    crawler_env, tmp_path: Path, unused_loopback_port: int
) -> None:
    env = crawler_env | {"MONGO_URI": f"mongodb://reader:{SECRET}@127.0.0.1:{unused_loopback_port}/"}
    said = outputs_of(
        env,
        tmp_path,
        ["fetch", f"http://127.0.0.1:{unused_loopback_port}/a.html"],
        ["status"],
        ["export"],
        ["history", "http://example.com/a.html"],
        ["db", "replay"],
        [
            "-s",
            "MONGO_OUTAGE_LIMIT=1",
            "-s",
            'SOURCE_START_URLS={"solidot": ["http://127.0.0.1:1/"]}',
            "crawl",
            "solidot",
        ],
    )
    assert "store mongodb://127.0.0.1:" in said and "unavailable" in said  # the store is named...
    assert SECRET not in said and "reader:" not in said  # ...without its user info


def test_redis_down_never_shows_its_password(crawler_env, tmp_path: Path, unused_loopback_port: int) -> None:
    env = crawler_env | {"REDIS_URL": f"redis://:{SECRET}@127.0.0.1:{unused_loopback_port}/0"}
    said = outputs_of(env, tmp_path, ["-s", "REDIS_OUTAGE_LIMIT=1", "worker", "--until-idle"], ["status"])
    assert SECRET not in said


def test_a_proxy_that_refuses_never_shows_its_password(crawler_env, tmp_path, unused_loopback_port) -> None:
    env = crawler_env | {"http_proxy": f"http://user:{SECRET}@127.0.0.1:{unused_loopback_port}"}
    said = outputs_of(env, tmp_path, ["fetch", "--no-store", "http://example.com/a.html"])
    assert "example.com/a.html" in said and SECRET not in said


def test_a_failing_webhook_never_shows_its_url(
    crawler_env, articles, site, tmp_path, unused_loopback_port
) -> None:
    site.add("http://www.163.com/news/", Page(b"down", status=500))  # the run fails: an alert is sent
    hook = f"http://user:{SECRET}@127.0.0.1:{unused_loopback_port}/hook?token={SECRET}"
    env = crawler_env | {
        "ALERT_WEBHOOKS": json.dumps([{"kind": "json", "url": hook}]),
        "http_proxy": site.base,
    }
    listing = 'SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}'
    said = outputs_of(env, tmp_path, ["-s", listing, "-s", "RETRY_TIMES=0", "crawl", "netease"])
    assert "crawler: netease: run failed" in said and "alert" in said and SECRET not in said
    stored = pymongo.MongoClient(crawler_env["MONGO_URI"])[crawler_env["MONGO_DATABASE"]]
    assert SECRET not in json.dumps(
        [*stored["crawls"].find({}, {"_id": 0}), *stored["sources"].find()], default=str
    )


@pytest.mark.parametrize("path", ["/health", "/fetch?url=http://example.com/a.html"])
def test_the_api_never_answers_with_the_stores_password(
    api_env, tmp_path, unused_loopback_port, path
) -> None:
    api = Api(
        api_env | {"MONGO_URI": f"mongodb://reader:{SECRET}@127.0.0.1:{unused_loopback_port}/"}, tmp_path
    )
    try:
        status, body = api.call(path)
    finally:
        api.stop()
    said = json.dumps(body) + api.process.stderr.read()
    assert status in (403, 502, 503) and SECRET not in said


def test_a_webhook_entry_of_the_wrong_shape_is_refused_without_showing_it(crawler_env, tmp_path) -> None:
    hook = f"http://127.0.0.1:1/hook?token={SECRET}"
    said = outputs_of(crawler_env | {"ALERT_WEBHOOKS": json.dumps([hook])}, tmp_path, ["status"])
    kinds = "json, slack, dingtalk, wecom, lark"
    assert said == f"crawler: ALERT_WEBHOOKS: each entry needs a kind, one of {kinds}; got a str\n"
