"""Discovery, run as `scrapy crawl <source>`: feeds and listing pages lead to articles, pagination
is followed within max_depth. The local site stands in as the users' HTTP proxy."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import page_bytes
from tests.site import Page, Site

SOLIDOT = page_bytes("solidot").decode()
NETEASE = page_bytes("netease").decode()


def scrapy_crawl(source: str, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", source, *args, "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0"],
        env=env | {"SCRAPY_SETTINGS_MODULE": "crawler.settings"}, cwd=cwd, capture_output=True, text=True, timeout=120,
    )


def solidot_story(sid: int) -> str:
    return SOLIDOT.replace("OpenAI 和微软的紧密关系出现裂缝", f"第{sid}篇：OpenAI 和微软的紧密关系出现裂缝")


def test_rss_feed_leads_to_every_story(site: Site, crawler_env, articles, tmp_path: Path) -> None:
    feed = "".join(
        f"<item><title>t{sid}</title><link>http://www.solidot.org/story?sid={sid}</link></item>" for sid in (101, 102)
    )
    site.add("http://www.solidot.org/index.rss", Page(f'<?xml version="1.0"?><rss><channel>{feed}</channel></rss>'.encode(), content_type="application/rss+xml"))
    for sid in (101, 102):
        site.add(f"http://www.solidot.org/story?sid={sid}", solidot_story(sid))
    run = scrapy_crawl("solidot", ["-a", "start_urls=http://www.solidot.org/index.rss"], crawler_env | {"http_proxy": site.base}, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    stored = sorted((d["url"], d["title"]) for d in articles.find())
    assert stored == [
        ("http://www.solidot.org/story?sid=101", "第101篇：OpenAI 和微软的紧密关系出现裂缝"),
        ("http://www.solidot.org/story?sid=102", "第102篇：OpenAI 和微软的紧密关系出现裂缝"),
    ]


def test_listing_pagination_is_followed_within_max_depth(site: Site, crawler_env, articles, tmp_path: Path) -> None:
    ids = ["A000000000000001", "A000000000000002", "A000000000000003", "A000000000000004"]

    def listing(article_ids: list[str], next_page: str | None) -> str:
        links = "".join(f'<li><a href="/dy/article/{i}.html">新闻 {i}</a></li>' for i in article_ids)
        pager = f'<div class="list_page"><a class="next" href="{next_page}">下一页</a></div>' if next_page else ""
        return f"<html><body><ul>{links}<li><a href='/tag/ai/'>标签页</a></li></ul>{pager}</body></html>"

    site.add("http://www.163.com/news/", listing(ids[:2], "/news/2/"))
    site.add("http://www.163.com/news/2/", listing(ids[2:3], "/news/3/"))
    site.add("http://www.163.com/news/3/", listing(ids[3:], None))
    for i in ids:
        site.add(f"http://www.163.com/dy/article/{i}.html", NETEASE.replace("字节跳动回应被OpenAI封禁账户", f"{i}字节跳动回应"))
    env = crawler_env | {"http_proxy": site.base}
    run = scrapy_crawl("netease", ["-a", "start_urls=http://www.163.com/news/", "-a", "max_depth=1"], env, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(d["url"].rsplit("/", 1)[1] for d in articles.find()) == [f"{i}.html" for i in ids[:3]]
    assert "http://www.163.com/news/3/" not in site.requests  # beyond max_depth
    assert "http://www.163.com/tag/ai/" not in site.requests  # not an article, not a listing


def test_scrapy_list_shows_every_source(tmp_path: Path, crawler_env) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], env=crawler_env | {"SCRAPY_SETTINGS_MODULE": "crawler.settings"},
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert run.stdout.split() == ["aibase", "bannedbook", "daydaynews", "generic", "netease", "solidot"]
