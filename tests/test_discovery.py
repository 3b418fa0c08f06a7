"""Discovery, run as `scrapy crawl <source>`: feeds and listing pages lead to articles, pagination
is followed within max_depth. The local site stands in as the users' HTTP proxy."""

import gzip
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.conftest import expected_json, page_bytes, run_crawler, scrapy_crawl
from tests.site import Page, Site

SOLIDOT = page_bytes("solidot").decode()
NETEASE = page_bytes("netease").decode()


def solidot_story(sid: int) -> str:
    return SOLIDOT.replace("OpenAI 和微软的紧密关系出现裂缝", f"第{sid}篇：OpenAI 和微软的紧密关系出现裂缝")


def test_rss_feed_leads_to_every_story(site: Site, crawler_env, articles, tmp_path: Path) -> None:
    feed = "".join(
        f"<item><title>t{sid}</title><link>http://www.solidot.org/story?sid={sid}</link></item>"
        for sid in (101, 102)
    )
    site.add(
        "http://www.solidot.org/index.rss",
        Page(
            f'<?xml version="1.0"?><rss><channel>{feed}</channel></rss>'.encode(),
            content_type="application/rss+xml",
        ),
    )
    for sid in (101, 102):
        site.add(f"http://www.solidot.org/story?sid={sid}", solidot_story(sid))
    run = scrapy_crawl(
        "solidot",
        ["-a", "start_urls=http://www.solidot.org/index.rss"],
        crawler_env | {"http_proxy": site.base},
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    stored = sorted((d["url"], d["title"]) for d in articles.find())
    assert stored == [
        ("http://www.solidot.org/story?sid=101", "第101篇：OpenAI 和微软的紧密关系出现裂缝"),
        ("http://www.solidot.org/story?sid=102", "第102篇：OpenAI 和微软的紧密关系出现裂缝"),
    ]


def test_listing_pagination_is_followed_within_max_depth(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    ids = ["A000000000000001", "A000000000000002", "A000000000000003", "A000000000000004"]

    def listing(article_ids: list[str], next_page: str | None) -> str:
        links = "".join(f'<li><a href="/dy/article/{i}.html">新闻 {i}</a></li>' for i in article_ids)
        pager = (
            f'<div class="list_page"><a class="next" href="{next_page}">下一页</a></div>' if next_page else ""
        )
        return f"<html><body><ul>{links}<li><a href='/tag/ai/'>标签页</a></li></ul>{pager}</body></html>"

    site.add("http://www.163.com/news/", listing(ids[:2], "/news/2/"))
    site.add("http://www.163.com/news/2/", listing(ids[2:3], "/news/3/"))
    site.add("http://www.163.com/news/3/", listing(ids[3:], None))
    for i in ids:
        site.add(
            f"http://www.163.com/dy/article/{i}.html",
            NETEASE.replace("字节跳动回应被OpenAI封禁账户", f"{i}字节跳动回应"),
        )
    env = crawler_env | {"http_proxy": site.base}
    run = scrapy_crawl(
        "netease", ["-a", "start_urls=http://www.163.com/news/", "-a", "max_depth=1"], env, tmp_path
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(d["url"].rsplit("/", 1)[1] for d in articles.find()) == [f"{i}.html" for i in ids[:3]]
    assert "http://www.163.com/news/3/" not in site.requests  # beyond max_depth
    assert "http://www.163.com/tag/ai/" not in site.requests  # not an article, not a listing


def test_scrapy_list_shows_every_source(tmp_path: Path, crawler_env) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        env=crawler_env | {"SCRAPY_SETTINGS_MODULE": "crawler.settings"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.stdout.split() == ["aibase", "bannedbook", "daydaynews", "generic", "netease", "solidot"]


# --- Every kind of discovery document, recognised by what it is (the documents are hand-built after the
# real formats, see tests/test_discovery_readers.py; the article pages are the real saved ones) -------------

AIBASE = page_bytes("aibase").decode()
AIBASE_TITLE = expected_json("aibase")["title"]


def aibase_story(n: int) -> str:
    return AIBASE.replace(AIBASE_TITLE, f"第{n}篇 {AIBASE_TITLE}")


def ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")


def last_run(articles, source: str) -> dict:
    return articles.database["crawls"].find_one({"source": source}, sort=[("started_at", -1)])


def test_atom_and_rss_1_0_feeds_lead_to_their_stories_and_old_entries_are_never_requested(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    atom = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Solidot</title>
<entry><title>a</title><link href="http://www.solidot.org/story?sid=201"/><updated>{ago(2)}</updated></entry>
<entry><title>b</title><link rel="alternate" href="http://www.solidot.org/story?sid=202"/><updated>{ago(3)}</updated></entry>
</feed>"""
    rdf = f"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://www.solidot.org/"><title>Solidot</title><link>http://www.solidot.org/</link></channel>
<item rdf:about="http://www.solidot.org/story?sid=203"><title>c</title>
<link>http://www.solidot.org/story?sid=203</link><dc:date>{ago(1)}</dc:date></item>
<item rdf:about="http://www.solidot.org/story?sid=204"><title>d</title>
<link>http://www.solidot.org/story?sid=204</link><dc:date>{ago(24 * 10)}</dc:date></item>
</rdf:RDF>"""
    # served as text/html and text/plain: what a document is comes from its bytes
    site.add("http://www.solidot.org/index.atom", Page(atom.encode(), content_type="text/html"))
    site.add("http://www.solidot.org/index.rdf", Page(rdf.encode(), content_type="text/plain"))
    for sid in (201, 202, 203, 204):
        site.add(f"http://www.solidot.org/story?sid={sid}", solidot_story(sid))
    starts = "start_urls=http://www.solidot.org/index.atom,http://www.solidot.org/index.rdf"
    run = scrapy_crawl("solidot", ["-a", starts], crawler_env | {"http_proxy": site.base}, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(d["url"] for d in articles.find()) == [
        f"http://www.solidot.org/story?sid={s}" for s in (201, 202, 203)
    ]
    assert "http://www.solidot.org/story?sid=204" not in site.requests  # ten days old: never requested
    assert last_run(articles, "solidot")["discovery"] == {
        "feed": {"found": 4, "new": 3, "too_old": 1, "stored": 0}
    }


def test_robots_txt_leads_to_a_sitemap_index_of_gzipped_sitemaps(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    robots = b"User-agent: *\nDisallow: /search\n\nSitemap: http://www.aibase.com/sitemap_index.xml\n"
    index = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://www.aibase.com/sitemap-1.xml.gz</loc></sitemap>
<sitemap><loc>http://www.aibase.com/sitemap-2.xml.gz</loc></sitemap>
</sitemapindex>"""

    def urlset(ids: list[int]) -> bytes:
        urls = "".join(f"<url><loc>http://www.aibase.com/zh/news/{i}</loc></url>" for i in ids)
        return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()

    site.add("http://www.aibase.com/robots.txt", Page(robots, content_type="text/plain"))
    site.add("http://www.aibase.com/sitemap_index.xml", Page(index, content_type="application/xml"))
    site.add(
        "http://www.aibase.com/sitemap-1.xml.gz",
        Page(gzip.compress(urlset([301, 302])), content_type="application/x-gzip"),
    )
    site.add(
        "http://www.aibase.com/sitemap-2.xml.gz",
        Page(gzip.compress(urlset([303])), content_type="application/octet-stream"),
    )
    for n in (301, 302, 303):
        site.add(f"http://www.aibase.com/zh/news/{n}", aibase_story(n))
    run = scrapy_crawl(
        "aibase",
        ["-a", "start_urls=http://www.aibase.com/robots.txt"],
        crawler_env | {"http_proxy": site.base},
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(d["url"] for d in articles.find()) == [
        f"http://www.aibase.com/zh/news/{n}" for n in (301, 302, 303)
    ]
    assert last_run(articles, "aibase")["discovery"] == {
        "sitemap": {"found": 3, "new": 3, "too_old": 0, "stored": 0}
    }


def test_a_news_sitemap_skips_old_entries_before_any_request_and_lastmod_brings_back_a_changed_article(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    def entry(n: int, published: str, lastmod: str = "") -> str:
        modified = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        return (
            f"<url><loc>http://www.aibase.com/zh/news/{n}</loc>{modified}<news:news><news:publication>"
            f"<news:name>AIbase</news:name><news:language>zh</news:language></news:publication>"
            f"<news:publication_date>{published}</news:publication_date><news:title>第{n}篇</news:title></news:news></url>"
        )

    def news_sitemap(entries: str) -> Page:
        return Page(
            (
                '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>'
            ).encode(),
            content_type="application/xml",
        )

    old_day = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()  # day-only, as many sites give it
    site.add(
        "http://www.aibase.com/news-sitemap.xml",
        news_sitemap(entry(401, ago(1)) + entry(402, ago(200)) + entry(403, old_day)),
    )
    for n in (401, 402, 403):
        site.add(f"http://www.aibase.com/zh/news/{n}", aibase_story(n))
    env = crawler_env | {"http_proxy": site.base}
    run = scrapy_crawl(
        "aibase",
        ["-a", "start_urls=http://www.aibase.com/news-sitemap.xml", "-s", "INCREMENTAL_RECHECK_HOURS=0"],
        env,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert [d["url"] for d in articles.find()] == ["http://www.aibase.com/zh/news/401"]
    assert not {"http://www.aibase.com/zh/news/402", "http://www.aibase.com/zh/news/403"} & set(site.requests)
    assert last_run(articles, "aibase")["discovery"] == {
        "news_sitemap": {"found": 3, "new": 1, "too_old": 2, "stored": 0}
    }

    # next round: 401 is stored (and outside the re-check window); its lastmod says it changed since
    site.requests.clear()
    changed = datetime.now(UTC) + timedelta(minutes=1)
    site.add("http://www.aibase.com/news-sitemap.xml", news_sitemap(entry(401, ago(1), changed.isoformat())))
    site.add(
        "http://www.aibase.com/zh/news/401",
        aibase_story(401).replace(f"第401篇 {AIBASE_TITLE}", f"第401篇（更新） {AIBASE_TITLE}"),
    )
    run = scrapy_crawl(
        "aibase",
        ["-a", "start_urls=http://www.aibase.com/news-sitemap.xml", "-s", "INCREMENTAL_RECHECK_HOURS=0"],
        env,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert articles.find_one({"url": "http://www.aibase.com/zh/news/401"})["title"].startswith(
        "第401篇（更新）"
    )
    assert last_run(articles, "aibase")["discovery"] == {
        "news_sitemap": {"found": 1, "new": 0, "too_old": 0, "stored": 1}
    }

    # and a lastmod from before its last fetch leaves it alone
    site.requests.clear()
    site.add("http://www.aibase.com/news-sitemap.xml", news_sitemap(entry(401, ago(1), ago(2))))
    run = scrapy_crawl(
        "aibase",
        ["-a", "start_urls=http://www.aibase.com/news-sitemap.xml", "-s", "INCREMENTAL_RECHECK_HOURS=0"],
        env,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "http://www.aibase.com/zh/news/401" not in site.requests


def test_a_gbk_jsonp_channel_list_leads_to_its_articles_and_status_shows_the_discovery(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    items = [
        {
            "title": "字节跳动回应",
            "docurl": "http://www.163.com/dy/article/B000000000000001.html",
            "commenturl": "http://comment.tie.163.com/B000000000000001.html",
            "time": now.strftime("%m/%d/%Y %H:%M:%S"),
            "keywords": [{"akey_link": "/keywords/5/4/5b578282/1.html", "keyname": "字节跳动"}],
        },
        {
            "title": "旧闻",
            "docurl": "http://www.163.com/dy/article/B000000000000002.html",
            "time": (now - timedelta(days=9)).strftime("%m/%d/%Y %H:%M:%S"),
        },
    ]
    body = f"data_callback({json.dumps(items, ensure_ascii=False)});".encode("gbk")
    site.add(
        "http://news.163.com/special/cm_yaowen20200213/?callback=data_callback",
        Page(body, content_type="application/javascript; charset=GBK"),
    )
    for n in (1, 2):
        site.add(
            f"http://www.163.com/dy/article/B00000000000000{n}.html",
            NETEASE.replace("字节跳动回应被OpenAI封禁账户", f"第{n}条"),
        )
    env = crawler_env | {"http_proxy": site.base}
    run = scrapy_crawl(
        "netease",
        ["-a", "start_urls=http://news.163.com/special/cm_yaowen20200213/?callback=data_callback"],
        env,
        tmp_path,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert [d["url"] for d in articles.find()] == ["https://www.163.com/dy/article/B000000000000001.html"]
    assert "http://www.163.com/dy/article/B000000000000002.html" not in site.requests
    status = run_crawler(["status"], env, tmp_path)
    assert "netease discovery: json 2 found, 1 new, 1 too old, 0 stored" in status.stdout.splitlines()
