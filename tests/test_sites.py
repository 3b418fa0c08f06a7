"""A site by its address: `crawler sources` lists every source as it runs here, and `crawler crawl
--start-urls` crawls any site's feed, sitemap or listing page once, on the generic source, keeping
to that site. Pages are real saved ones (flat_000, flat_002: 天天要聞-style mirror pages), served
through a proxy on 127.0.0.1 under a made-up host; the feed is hand-built around them."""

import json
from pathlib import Path

from crawler.sources import BUILT_IN
from tests.commands import no_delays
from tests.conftest import page_bytes, run_crawler
from tests.site import Page, Site

FEED = (
    '<?xml version="1.0"?><rss><channel>'
    "<item><title>一</title><link>http://news.example.org/a/000.html</link></item>"
    "<item><title>二</title><link>http://news.example.org/a/002.html</link></item>"
    "<item><title>别处</title><link>http://elsewhere.example.net/x.html</link></item>"
    "</channel></rss>"
)


def test_crawler_sources_lists_every_source_as_this_deployment_runs_it(crawler_env, tmp_path: Path) -> None:
    run = run_crawler(
        ["-s", 'SCHEDULES={"solidot": "every 10m"}', "sources", "--json"], crawler_env, tmp_path
    )
    assert (run.returncode, run.stderr) == (0, "")
    listed = {entry["source"]: entry for entry in map(json.loads, run.stdout.splitlines())}
    assert list(listed) == list(BUILT_IN.all_specs)
    assert listed["solidot"] == {
        "source": "solidot",
        "declared": "built in",
        "enabled": True,
        "domains": ["solidot.org"],
        "schedule": "every 10m",
        "start_urls": list(BUILT_IN.all_specs["solidot"].start_urls),
        "layouts": [{"name": "2024", "marker": None}],
        "last_run": None,
    }
    assert listed["netease"]["schedule"] == "every 30m"  # SCHEDULE_DEFAULT
    assert [layout["name"] for layout in listed["netease"]["layouts"]] == ["2021", "2019", "dy2019"]
    assert (listed["generic"]["schedule"], listed["generic"]["layouts"]) == ("on demand", [])
    shown = run_crawler(["sources"], crawler_env, tmp_path).stdout.splitlines()
    header = ["source", "domains", "schedule", "discovery", "layouts", "last", "run", "declared"]
    assert shown[0].split() == header
    generic = ["generic", "any", "on", "demand", "-", "generic", "path", "never", "built", "in"]
    assert shown[-1].split() == generic


def test_crawler_sources_says_when_the_store_cannot_tell_the_last_runs(
    crawler_env, unused_loopback_port: int, tmp_path: Path
) -> None:
    down = crawler_env | {"MONGO_URI": f"mongodb://127.0.0.1:{unused_loopback_port}/"}
    run = run_crawler(["-s", "MONGO_TIMEOUT_MS=300", "sources", "--json"], down, tmp_path)
    assert run.returncode == 1
    assert len(run.stdout.splitlines()) == len(BUILT_IN.all_specs)  # the sources are listed all the same
    assert run.stderr.startswith(
        f"crawler: last runs unknown: store mongodb://127.0.0.1:{unused_loopback_port}/"
    )


def test_crawl_start_urls_crawls_any_sites_feed_once_keeping_to_that_site(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    site.add("http://news.example.org/feed.xml", Page(FEED.encode(), content_type="application/rss+xml"))
    site.add("http://news.example.org/a/000.html", page_bytes("flat_000"))
    site.add("http://news.example.org/a/002.html", page_bytes("flat_002"))
    site.add("http://elsewhere.example.net/x.html", page_bytes("flat_002"))
    run = run_crawler(
        [*no_delays(), "crawl", "--start-urls", "http://news.example.org/feed.xml"],
        crawler_env | {"http_proxy": site.base},
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("generic: ok — 2 new, 0 updated")
    stored = {d["url"]: d["source"] for d in articles.find()}
    assert stored == {
        "http://news.example.org/a/000.html": "generic",
        "http://news.example.org/a/002.html": "generic",
    }
    assert not any("elsewhere.example.net" in url for url in site.requests)  # another site: not fetched


def test_crawl_start_urls_refuses_what_no_crawl_makes_in_one_line(crawler_env, tmp_path: Path) -> None:
    for args, said in (
        (["solidot", "netease", "--start-urls", "http://a.example/feed"], "give one SOURCE"),
        (["--start-urls", "ftp://a.example/feed"], "unsupported URL scheme 'ftp'"),
    ):
        run = run_crawler(["crawl", *args], crawler_env, tmp_path)
        assert run.returncode == 2 and run.stderr.count("\n") == 1 and said in run.stderr, run.stderr
