"""Recurring discovery runs: the second run fetches only new and recent articles, an edit to a
recent one bumps its version, and each run leaves a record that `crawler status` shows."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo

from tests.commands import no_delays, scrapy_command
from tests.conftest import page_bytes, run_crawler, wait_for
from tests.site import Page, Site
from tests.test_discovery import scrapy_crawl

NETEASE = page_bytes("netease").decode()
ARTICLE = "http://www.163.com/dy/article/{}.html"


def article(ident: str, recent: bool = False, extra: str = "") -> str:
    page = NETEASE.replace("字节跳动回应被OpenAI封禁账户", f"{ident}字节跳动回应")
    if recent:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        page = page.replace("2023-12-16T10:25:32+08:00", now).replace(
            "2023-12-16 10:25:32", now[:19].replace("T", " ")
        )
    return page.replace("未来,随着", f"{extra}未来,随着")


def listing(site: Site, idents: list[str]) -> None:
    links = "".join(f'<li><a href="/dy/article/{i}.html">{i}</a></li>' for i in idents)
    body = f"<html><body><ul>{links}</ul></body></html>".encode()
    site.add("http://www.163.com/news/", Page(body, etag=f'"{len(idents)}"'))


def article_requests(site: Site) -> list[str]:
    return sorted(r.rsplit("/", 1)[1].removesuffix(".html") for r in site.requests if "/dy/article/" in r)


def test_second_run_fetches_only_new_and_recent_articles(
    site: Site, crawler_env, articles, mongo_uri, db_name, tmp_path: Path
) -> None:
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
        "new": 3,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 2,
        "skipped_stored": 0,
        "spooled": 0,
        "unsaved": 0,
        "waited": 0,
        "dropped": {},
    }
    assert (
        runs[1]["articles"]["new"],
        runs[1]["articles"]["updated"],
        runs[1]["articles"]["skipped_stored"],
    ) == (1, 1, 2)
    assert runs[1]["pages_fetched"] >= 3 and runs[1]["ended_at"] >= runs[1]["started_at"]

    # a third run with nothing changed: the listing answers 304 and is not parsed
    site.requests.clear()
    third = scrapy_crawl("netease", args, env, tmp_path)
    assert third.returncode == 0, third.stderr[-2000:]
    assert site.not_modified == ["http://www.163.com/news/"] and article_requests(site) == []
    last = pymongo.MongoClient(mongo_uri)[db_name]["crawls"].find_one(sort=[("started_at", -1)])
    assert (last["status"], last["listings_not_modified"], last["articles"]["new"]) == ("ok", 1, 0)

    status = run_crawler(["status"], crawler_env, tmp_path)
    assert status.returncode == 0, status.stderr
    line = next(x for x in status.stdout.splitlines() if x.startswith("netease"))
    assert line.split()[4:12] == ["ok", "0", "0", "0", "0", "0", "0", "4"], line  # the third run: nothing new
    day, minute, offset = line.split()[12:15]
    assert offset == line.split()[3] == "+08:00"  # DISPLAY_TIMEZONE, as the dashboard and alerts show times
    next_run = datetime.fromisoformat(f"{day}T{minute}{offset}")
    assert (
        timedelta(minutes=28) < next_run - datetime.now(UTC) <= timedelta(minutes=30)
    )  # every 30m by default
    assert next(x for x in status.stdout.splitlines() if x.startswith("solidot")).split()[1] == "never"
    in_utc = run_crawler(["-s", "DISPLAY_TIMEZONE=UTC", "status"], crawler_env, tmp_path)
    started = next(x for x in in_utc.stdout.splitlines() if x.startswith("netease")).split()[1:4]
    assert (
        datetime.fromisoformat(f"{started[0]}T{started[1]}{started[2]}")
        == datetime.fromisoformat(f"{line.split()[1]}T{line.split()[2]}{line.split()[3]}")
        and started[2] == "+00:00"
    )


def test_a_run_killed_half_way_and_restarted_stores_every_article_once(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    import signal
    import subprocess

    idents = [f"K{n:015d}" for n in range(20)]
    listing(site, idents)
    for ident in idents:
        site.add(ARTICLE.format(ident), Page(article(ident).encode(), delay=0.3))
    # the crawl's connections carry a name of their own, so the server's list of connections tells
    # when it has closed them (the server is shared: other tests' connections come and go meanwhile)
    crawl_uri = crawler_env["MONGO_URI"].rstrip("/") + "/?appName=killed-crawl"
    env = crawler_env | {
        "http_proxy": site.base,
        "SCRAPY_SETTINGS_MODULE": "crawler.settings",
        "MONGO_URI": crawl_uri,
    }
    command = [
        *scrapy_command("netease", "-a", "start_urls=http://www.163.com/news/", "-a", "max_depth=0"),
        *no_delays(
            "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "MONGO_FLUSH_INTERVAL=0.5",
        ),
    ]
    admin = articles.database.client.admin

    def crawl_connections() -> int:
        names = [
            op.get("clientMetadata", {}).get("application", {}).get("name")
            for op in admin.command("currentOp")["inprog"]
        ]
        return names.count("killed-crawl")

    crawl = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wait_for(lambda: articles.count_documents({}) >= 5)
    assert crawl_connections() > 0
    crawl.send_signal(signal.SIGKILL)
    crawl.wait(30)
    # a write the server received just before the kill is committed before it closes that connection
    wait_for(lambda: crawl_connections() == 0)
    stored_before = articles.count_documents({})
    assert 5 <= stored_before < 20

    site.requests.clear()
    again = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    docs = list(articles.find())
    assert sorted(d["url"].rsplit("/", 1)[1][:16] for d in docs) == idents  # none missing, none doubled
    assert {(d["version"], d["fetch_count"]) for d in docs} == {(1, 1)}  # nothing stored was fetched again
    assert len(article_requests(site)) == 20 - stored_before
