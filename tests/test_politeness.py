"""Politeness and robustness: retries back off, and pages redirected off their site are skipped
with a counted reason, not stored and not counted as errors."""

from pathlib import Path

import pymongo

from tests.conftest import page_bytes, run_crawler
from tests.site import Page, Site
from tests.test_discovery import scrapy_crawl


def test_retries_wait_longer_each_time(site: Site, crawler_env, articles, tmp_path: Path) -> None:
    url = site.add("/busy.html", Page(page_bytes("flat_002"), fail_times=2))
    run = run_crawler(
        ["-s", "RETRY_BACKOFF_BASE=0.5", "-s", "RETRY_TIMES=2", "fetch", url], crawler_env, tmp_path
    )
    assert run.returncode == 0, run.stderr
    times = [t for path, t in zip(site.requests, site.times, strict=True) if path == "/busy.html"]
    assert len(times) == 3  # two 503s, then the page
    first_wait, second_wait = times[1] - times[0], times[2] - times[1]
    assert first_wait >= 0.5 and second_wait >= 1.0, (first_wait, second_wait)
    assert articles.count_documents({"url": url}) == 1


def test_an_article_redirected_to_another_site_is_skipped_and_counted(
    site: Site, crawler_env, articles, mongo_uri, db_name, tmp_path: Path
) -> None:
    page = page_bytes("netease")
    site.add(
        "http://www.163.com/news/",
        '<a href="/dy/article/R000000000000001.html">1</a><a href="/dy/article/R000000000000002.html">2</a>',
    )
    site.add("http://www.163.com/dy/article/R000000000000001.html", page)
    site.add(
        "http://www.163.com/dy/article/R000000000000002.html",
        Page(b"", status=302, headers={"Location": "http://elsewhere.example/landing.html"}),
    )
    run = scrapy_crawl(
        "netease",
        ["-a", "start_urls=http://www.163.com/news/", "-a", "max_depth=0"],
        crawler_env | {"http_proxy": site.base},
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert [d["url"] for d in articles.find()] == [
        "https://www.163.com/dy/article/R000000000000001.html"
    ]  # canonical
    assert "http://elsewhere.example/landing.html" not in site.requests
    record = pymongo.MongoClient(mongo_uri)[db_name]["crawls"].find_one()
    assert (record["status"], record["skipped"], record["errors"]["total"]) == ("ok", {"offsite": 1}, 0)
