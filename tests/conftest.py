"""Shared fixtures: a real SecantusDB server (MongoDB wire protocol over TCP) and a local site."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pymongo
import pytest
from secantus import SecantusDBServer

from crawler.dedup.fingerprint import fingerprint
from crawler.dedup.index import as_document
from crawler.dedup.similarity import DEFAULT, Thresholds
from crawler.items import Article
from crawler.sources import BUILT_IN
from crawler.store.counters import Tallies
from crawler.store.ingest import ingest
from crawler.store.schema import to_document
from tests.commands import free_port, no_delays, scrapy_command
from tests.site import Site

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = json.loads((FIXTURES / "pages.json").read_text())


def page_bytes(name: str) -> bytes:
    return gzip.decompress((FIXTURES / "pages" / f"{name}.html.gz").read_bytes())


def expected_json(name: str) -> dict:
    return json.loads((FIXTURES / "expected" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecantusDBServer]:
    server = SecantusDBServer(storage_path=str(tmp_path_factory.mktemp("secantus")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mongo_uri(mongo_server: SecantusDBServer) -> str:
    return str(mongo_server.uri)


@pytest.fixture
def db_name(request: pytest.FixtureRequest) -> str:
    """A database of its own for each test, so tests never see each other's articles."""
    return "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50]


@pytest.fixture
def articles(mongo_uri: str, db_name: str) -> Iterator[pymongo.collection.Collection]:
    client = pymongo.MongoClient(mongo_uri, tz_aware=True)
    yield client[db_name]["articles"]
    client.drop_database(db_name)
    client.close()


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    yield s
    s.close()


def machine_environment() -> dict[str, str]:
    """This machine's environment less what would change a command's behaviour or its output:
    proxies (a test names its own) and any setting of ours the machine happens to set."""
    from crawler.setting_types import project_defaults

    ours = project_defaults()
    return {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy") and k not in ours}


@pytest.fixture
def crawler_env(tmp_path: Path, mongo_uri: str, db_name: str) -> dict[str, str]:
    """Environment for running `crawler` as a user would, against the test store."""
    env = machine_environment()
    env.update(
        MONGO_URI=mongo_uri,
        MONGO_DATABASE=db_name,
        SPOOL_PATH=str(tmp_path / "spool" / "articles.jsonl"),
        MONGO_EMBEDDED_PATH=str(tmp_path / "mongo"),
        MONGO_EMBEDDED_IDLE_EXIT="5",  # a test's embedded server leaves soon after the test
    )
    return env


def scrapy_crawl(source: str, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """`scrapy crawl` of a test's local site with the project's settings, to its end."""
    return subprocess.run(
        [*scrapy_command(source, *args), *no_delays()],
        env=env | {"SCRAPY_SETTINGS_MODULE": "crawler.settings"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def run_crawler(
    args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def unused_loopback_port() -> int:
    """A loopback port nothing listens on: connections to it are refused at once, locally."""
    return free_port()


def store(
    collection,
    url: str,
    body: str,
    published: datetime | None,
    origin: str | None = None,
    source: str = "generic",
    precision: str | None = None,
    thresholds: Thresholds = DEFAULT,
) -> str:
    """Store (or store again) an article the way a crawl does, through the real versioned write and
    grouping (crawler.store.ingest); returns its cluster id."""
    document = article_document(url, body, published, origin, source, precision)
    tallies = Tallies(collection.database["daily"], collection.database["sources"])
    assert ingest(collection, tallies, [document], BUILT_IN.outlets, thresholds).written.refused == []
    return collection.find_one({"url": url})["cluster_id"]


def article_document(
    url: str,
    body: str,
    published: datetime | None,
    origin: str | None = None,
    source: str = "generic",
    precision: str | None = None,
) -> dict:
    """The document a crawl's pipelines make of an article with this body."""
    article = Article(
        url=url,
        source=source,
        site=url.split("/")[2],
        title="标题",
        body=body,
        published_at=published,
        published_precision=precision,
        origin=origin,
        lang="zh-Hans",
        fetched_at=datetime.now(UTC),
        dedup=as_document(fingerprint(body)),
    )
    return to_document(article)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator:
    """A redis-server of the test's own (`apt-get install redis-server`), on a free loopback port."""
    from tests.redis_server import RedisServer

    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api_env(mongo_server, tmp_path_factory) -> dict[str, str]:

    folder = tmp_path_factory.mktemp("api")
    env = machine_environment()
    env.update(
        MONGO_URI=str(mongo_server.uri),
        MONGO_DATABASE="api_tests",
        SPOOL_PATH=str(folder / "spool.jsonl"),
        MONGO_EMBEDDED_PATH=str(folder / "mongo"),
        API_ALLOW="127.0.0.2",
    )
    return env


@pytest.fixture
def cluster(crawler_env, site: Site, redis_server, tmp_path: Path) -> Iterator:
    """The workers of one distributed-crawl test, sharing its Redis, store and site."""
    from tests.cluster import Cluster  # it imports this module

    workers = Cluster(crawler_env | {"http_proxy": site.base}, tmp_path, redis_server.url)
    yield workers
    workers.stop()


from tests.receiver import receiver  # noqa: E402, F401 - the webhook receiver, for every test module
from tests.test_disk_full import tmpfs  # noqa: E402, F401 - a small tmpfs, mounted for a test
