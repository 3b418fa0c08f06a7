"""Recurring discovery runs: the second run fetches only new and recent articles, an edit to a
recent one bumps its version, and each run leaves a record that `crawler status` shows."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo

from tests.conftest import page_bytes, run_crawler
from tests.site import Site
from tests.test_discovery import scrapy_crawl

NETEASE = page_bytes("netease").decode()
ARTICLE = "http://www.163.com/dy/article/{}.html"


def article(ident: str, recent: bool = False, extra: str = "") -> str:
    page = NETEASE.replace("字节跳动回应被OpenAI封禁账户", f"{ident}字节跳动回应")
    if recent:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        page = page.replace("2023-12-16T10:25:32+08:00", now).replace("2023-12-16 10:25:32", now[:19].replace("T", " "))
    return page.replace("未来,随着", f"{extra}未来,随着")


def listing(site: Site, idents: list[str]) -> None:
    links = "".join(f'<li><a href="/dy/article/{i}.html">{i}</a></li>' for i in idents)
    site.add("http://www.163.com/news/", f"<html><body><ul>{links}</ul></body></html>")


def article_requests(site: Site) -> list[str]:
    return sorted(r.rsplit("/", 1)[1].removesuffix(".html") for r in site.requests if "/dy/article/" in r)


def test_second_run_fetches_only_new_and_recent_articles(site: Site, crawler_env, articles, mongo_uri, db_name, tmp_path: Path) -> None:
    env = crawler_env | {"http_proxy": site.base}
    a, b, c, d = "A000000000000001", "B000000000000002", "C000000000000003", "D000000000000004"
    listing(site, [a, b, c])
    site.add(ARTICLE.format(a), article(a))
    site.add(ARTICLE.format(b), article(b))
    site.add(ARTICLE.format(c), article(c, recent=True))
    args = ["-a", "start_urls=http://www.163.com/news/", "-a", "max_depth=0"]
    first = scrapy_crawl("netease", args, env, tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    assert article_requests(site) == [a, b, c]

    site.requests.clear()
    listing(site, [a, b, c, d])
    site.add(ARTICLE.format(b), article(b, extra="旧文更正。"))  # old: outside the re-check window
    site.add(ARTICLE.format(c), article(c, recent=True, extra="更正：补充一段新的内容。"))
    site.add(ARTICLE.format(d), article(d))
    second = scrapy_crawl("netease", args, env, tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert article_requests(site) == [c, d]

    versions = {doc["url"].rsplit("/", 1)[1][:16]: doc["version"] for doc in articles.find()}
    assert versions == {a: 1, b: 1, c: 2, d: 1}

    runs = list(pymongo.MongoClient(mongo_uri)[db_name]["crawls"].find(sort=[("started_at", 1)]))
    assert [(r["source"], r["status"]) for r in runs] == [("netease", "ok"), ("netease", "ok")]
    assert runs[0]["articles"] | {"dropped": {}} == {
        "new": 3, "updated": 0, "unchanged": 0, "duplicates": 2, "skipped_stored": 0, "spooled": 0, "dropped": {}
    }
    assert (runs[1]["articles"]["new"], runs[1]["articles"]["updated"], runs[1]["articles"]["skipped_stored"]) == (1, 1, 2)
    assert runs[1]["pages_fetched"] >= 3 and runs[1]["ended_at"] >= runs[1]["started_at"]

    status = run_crawler(["status"], crawler_env, tmp_path)
    assert status.returncode == 0, status.stderr
    line = next(x for x in status.stdout.splitlines() if x.startswith("netease"))
    assert line.split()[3:11] == ["ok", "1", "1", "0", "2", "0", "0", "4"], line  # C and D copy A's story
    next_run = datetime.strptime(" ".join(line.split()[11:13]), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert timedelta(minutes=28) < next_run - datetime.now(UTC) <= timedelta(minutes=30)  # every 30m by default
    assert next(x for x in status.stdout.splitlines() if x.startswith("solidot")).split()[1] == "never"
