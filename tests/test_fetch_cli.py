"""`crawler fetch` end to end, run as the command a user types, against pages on 127.0.0.1."""

import json
import time
from pathlib import Path

import pytest

from tests.conftest import PAGES, expected_json, page_bytes, run_crawler
from tests.site import Page, Site

VOLATILE = (
    "fetched_at",
    "clean_audit",
    "content_hash",
    "version",
    "first_seen",
    "last_seen",
    "updated_at",
    "fetch_count",
    "cluster_id",
    "duplicate_of",
    "dup_score",
    "mirrors",
    "cluster_size",
    "original_by",
    "recheck_at",
    "capture",  # the WARC record of this fetch (tests/test_archive.py)
    "page_captures",  # and of its later pages (tests/test_multipage.py)
)


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_fetch_stores_and_prints_the_article(site: Site, crawler_env, articles, tmp_path: Path) -> None:
    url = site.add("/reader/000.html", page_bytes("flat_000"))
    run = run_crawler(["fetch", url], crawler_env, tmp_path)
    assert run.returncode == 0, run.stderr
    [article] = json_lines(run.stdout)
    expected = expected_json("flat_000") | {"url": url, "site": "127.0.0.1"}
    assert {k: v for k, v in article.items() if k not in VOLATILE} == expected
    assert (article["version"], article["fetch_count"]) == (1, 1)
    assert (article["duplicate_of"], article["dup_score"], article["mirrors"], article["cluster_size"]) == (
        None,
        None,
        [],
        1,
    )
    assert article["original_by"] == "only"
    assert len(article["cluster_id"]) == 20
    assert articles.count_documents({"url": url}) == 1

    again = run_crawler(["fetch", url], crawler_env, tmp_path)
    [refetched] = json_lines(again.stdout)
    assert (refetched["version"], refetched["fetch_count"]) == (1, 2)
    assert refetched["last_seen"] > article["last_seen"]

    site.add("/reader/000.html", page_bytes("flat_000").replace("未来,随着".encode(), "将来,随着".encode()))
    changed = json_lines(run_crawler(["fetch", url], crawler_env, tmp_path).stdout)[0]
    assert (changed["version"], changed["fetch_count"]) == (2, 3)
    assert articles.count_documents({}) == 1


def test_source_pages_go_through_their_spider_via_http_proxy(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    """Users behind a proxy set http_proxy; the local site plays the proxy, so nothing leaves 127.0.0.1."""
    for name in ("netease", "solidot"):
        site.add(PAGES[name]["url"].replace("https://", "http://"), page_bytes(name))
    env = crawler_env | {"http_proxy": site.base}
    urls = [
        PAGES["netease"]["url"].replace("https://", "http://"),
        PAGES["solidot"]["url"].replace("https://", "http://"),
    ]
    run = run_crawler(["fetch", *urls], env, tmp_path)
    assert run.returncode == 0, run.stderr
    netease, solidot = json_lines(run.stdout)
    assert (netease["source"], netease["body"], netease["origin"]) == (
        "netease",
        expected_json("netease")["body"],
        "澎湃新闻",
    )
    assert (solidot["source"], solidot["author"], solidot["published_at"]) == (
        "solidot",
        "Wilson",
        "2024-10-18T22:58:00+08:00",
    )
    assert (
        "http://www.163.com/dy/article/IMD8QD1L0511B8LM.html" in site.requests
    )  # absolute URI: a proxy request


def test_a_netease_docid_under_its_mobile_and_desktop_urls_is_one_article(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    """Before, m.163.com/news/... was stored beside www.163.com/dy/... and grouped as its mirror."""
    mobile = "http://m.163.com/news/article/IMD8QD1L0511B8LM.html"
    desktop = "http://www.163.com/dy/article/IMD8QD1L0511B8LM.html"
    for url in (mobile, desktop):
        site.add(url, page_bytes("netease"))
    env = crawler_env | {"http_proxy": site.base}
    runs = [run_crawler(["fetch", url], env, tmp_path) for url in (mobile, desktop)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    printed = [json_lines(r.stdout)[0] for r in runs]
    assert [a["url"] for a in printed] == ["https://www.163.com/dy/article/IMD8QD1L0511B8LM.html"] * 2
    [stored] = articles.find()
    assert (stored["fetch_count"], stored["duplicate_of"], stored["mirrors"]) == (2, None, [])


def test_gbk_page_is_stored_as_the_right_chinese_text(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    url = "http://news.163.com/23/1216/10/IMD8QD1L0511B8LM.html"
    site.add(url, Page(page_bytes("netease_gbk"), content_type="text/html"))
    run = run_crawler(["fetch", url], crawler_env | {"http_proxy": site.base}, tmp_path)
    [article] = json_lines(run.stdout)
    assert article["title"] == "字节跳动回应被OpenAI封禁账户:从微软获得使用GPT API的许可"
    assert "\ufffd" not in article["body"] and "锟斤拷" not in article["body"]
    assert articles.find_one()["body"] == article["body"]


def test_no_store_prints_without_storing(site: Site, crawler_env, articles, tmp_path: Path) -> None:
    url = site.add("/reader/003.html", page_bytes("flat_003"))
    run = run_crawler(["fetch", "--no-store", url], crawler_env, tmp_path)
    assert run.returncode == 0, run.stderr
    [article] = json_lines(run.stdout)
    assert article["title"] == "OpenAI 和微软的紧密关系出现裂缝" and "version" not in article
    assert articles.count_documents({}) == 0


def test_bad_input_gives_one_clear_line_each_and_stores_nothing_half(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    good = site.add("/ok.html", page_bytes("flat_002"))
    cases = {
        "ftp://example.com/a.html": "unsupported URL scheme 'ftp'",
        "http://[::1": "malformed URL",
        site.base + "/missing.html": "HTTP 404",
        site.add("/broken.html", Page(b"oops", status=500)): "HTTP 500",
        site.add(
            "/doc.pdf", Page(b"%PDF-1.4 binary", content_type="application/pdf")
        ): "not an HTML page (Content-Type: application/pdf)",
        site.add("/empty.html", Page(b"")): "empty page",
        site.add(
            "/nav.html", "<html><head><title>首页</title></head><body><a href='/a'>首页</a></body></html>"
        ): "no article text",
        site.add("/slow.html", Page(page_bytes("flat_000"), delay=10)): "timed out",
    }
    run = run_crawler(["fetch", "--timeout", "3", good, *cases], crawler_env, tmp_path)
    assert run.returncode == 1
    assert [a["url"] for a in json_lines(run.stdout)] == [good]
    errors = run.stderr.splitlines()  # one line per URL and nothing else: the crawl's log only with -v
    assert len(errors) == len(cases), run.stderr
    for (url, reason), line in zip(cases.items(), errors, strict=True):
        assert line.startswith(f"crawler: {url}: ") and reason in line, line
    assert [d["url"] for d in articles.find()] == [good]


def test_a_page_robots_txt_forbids_is_not_fetched_and_the_fetch_says_why(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    site.add("/robots.txt", Page(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    url = site.add("/private/a.html", page_bytes("flat_002"))
    run = run_crawler(["fetch", url], crawler_env, tmp_path)
    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr == f"crawler: {url}: Forbidden by robots.txt\n"
    assert url not in site.requests and articles.count_documents({}) == 0


def test_store_down_spools_and_replay_stores_once(
    site: Site, crawler_env, articles, tmp_path: Path, unused_loopback_port: int
) -> None:
    url = site.add("/reader/004.html", page_bytes("flat_004"))
    down = crawler_env | {"MONGO_URI": f"mongodb://127.0.0.1:{unused_loopback_port}/"}
    run = run_crawler(["-s", "MONGO_TIMEOUT_MS=300", "fetch", url], down, tmp_path)
    assert run.returncode == 1
    assert run.stderr == (
        f"crawler: {url}: not stored (store unavailable: 127.0.0.1:{unused_loopback_port}: [Errno 111] "
        f"Connection refused): the article waits in {crawler_env['SPOOL_PATH']}\n"
    )
    assert articles.count_documents({}) == 0
    verbose = run_crawler(["-s", "MONGO_TIMEOUT_MS=300", "fetch", "-v", url], down, tmp_path)
    assert "2 article(s) could not be stored and were spooled" not in verbose.stderr  # one per run
    assert "1 article(s) could not be stored and were spooled" in verbose.stderr

    replays = [run_crawler(["db", "replay"], crawler_env, tmp_path) for _ in range(2)]
    assert [r.returncode for r in replays] == [0, 0], replays[0].stderr
    assert replays[0].stdout.startswith("replayed 1 article(s), 1 already stored, 0 refused again")
    assert replays[1].stdout.startswith("replayed 0 article(s), 0 already stored")
    assert articles.count_documents({"url": url}) == 1
    assert (articles.find_one()["fetch_count"], articles.find_one()["version"]) == (
        2,
        1,
    )  # two fetches, one text
    assert not Path(crawler_env["SPOOL_PATH"]).exists()


def test_fetch_prints_the_group_of_a_mirror(site: Site, crawler_env, articles, tmp_path: Path) -> None:
    from crawler.extract.lang import converter

    original = site.add("/orig/000.html", page_bytes("flat_000"))
    traditional = converter("s2t").convert(page_bytes("flat_000").decode()).encode()
    mirror = site.add("/mirror/000.html", traditional)
    [first] = json_lines(run_crawler(["fetch", original], crawler_env, tmp_path).stdout)
    [second] = json_lines(run_crawler(["fetch", mirror], crawler_env, tmp_path).stdout)
    assert second["lang"] == "zh-Hant"
    assert (second["cluster_id"], second["duplicate_of"]) == (first["cluster_id"], original)
    assert second["original_by"] == "first_seen"  # the same minute on both pages: the first stored wins
    assert second["dup_score"] >= 0.9
    assert articles.find_one({"url": original})["mirrors"] == [mirror]


def test_a_page_cut_short_of_its_content_length_is_one_line(site: Site, crawler_env, tmp_path: Path) -> None:
    """On the old main: `ResponseDataLossError:` and Scrapy's advice about DOWNLOAD_FAIL_ON_DATALOSS."""
    from tests.hostile import cut_short

    url = site.add("/reader/cut.html", Page(b"", respond=cut_short))
    run = run_crawler(["fetch", url], crawler_env, tmp_path)
    assert (run.returncode, run.stderr) == (1, f"crawler: {url}: connection closed before the page ended\n")


@pytest.mark.parametrize(
    ("encoding", "content_type"),
    [
        ("utf-16", "text/html"),
        ("utf-16-le", "text/html; charset=UTF-16LE"),
        ("utf-16-be", "text/html; charset=utf-16be"),
    ],
)
def test_a_utf16_page_with_its_bom_or_declared_is_read(
    encoding: str, content_type: str, site: Site, crawler_env, tmp_path: Path
) -> None:
    """The real page of flat_002, re-encoded as UTF-16 (no site of ours serves it so; old IIS and
    Word exports do). On the old main: "not an HTML page (binary content served as text/html)"."""
    body = page_bytes("flat_002").decode("utf-8").encode(encoding)
    url = site.add(f"/reader/{encoding}.html", Page(body, content_type=content_type))
    run = run_crawler(["fetch", "--no-store", url], crawler_env, tmp_path)
    assert run.returncode == 0, run.stderr
    article = json.loads(run.stdout)
    assert article["title"] == expected_json("flat_002")["title"]
    assert article["body"] == expected_json("flat_002")["body"]


def test_a_200000_character_title_is_cut_and_the_cut_said(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    """Hand-built: a page that stuffed its <title> and og:title (no real page of ours does this)."""
    headline = "标题" * 100_000
    story = "".join(f"<p>第{n}段：记者在现场报道了相关情况，并采访了多位当事人。</p>" for n in range(30))
    page = (
        f"<html><head><title>{headline}</title><meta property='og:title' content='{headline}'></head>"
        f"<body><div class='article'>{story}</div></body></html>"
    )
    url = site.add("/news/long-title.html", page.encode())
    run = run_crawler(["fetch", url], crawler_env, tmp_path)
    assert run.returncode == 0, run.stderr
    [article] = json_lines(run.stdout)
    assert article["title"] == "标题" * 250
    assert article["extracted_why"].endswith("; title cut from 200000 to 500 characters")
    assert articles.find_one({"url": url})["title"] == "标题" * 250


def test_timeout_is_the_whole_fetchs_budget_retries_included(site: Site, crawler_env, tmp_path: Path) -> None:
    """On the old main `--timeout 5` was each download's: a page that fails with 503 once and then
    answers slowly took 14 s. The page here would answer after a minute; the command ends long before."""
    url = site.add("/news/slow.html", Page(page_bytes("flat_000"), delay=60, fail_times=1))
    started = time.monotonic()
    run = run_crawler(["fetch", "--no-store", "--timeout", "2", url], crawler_env, tmp_path)
    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr == f"crawler: {url}: timed out: no answer within 2 s\n"
    assert time.monotonic() - started < 30  # the page's minute never came
