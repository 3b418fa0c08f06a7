"""Hostile and broken pages: each costs bounded time and memory, ends with a reason a user can act
on, and leaves nothing half-stored; text that can be read is read right."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.clean import clean_article
from crawler.extract.article import extract_article
from crawler.extract.charset import page_text
from crawler.failures import FetchFailed, NotHTML
from crawler.items import RawArticle
from crawler.process import process_page
from tests.commands import no_delays, scrapy_command
from tests.conftest import expected_json, page_bytes, run_crawler
from tests.hostile import Respond, drip, endless, gzip_bomb, silent
from tests.site import Page, Site

GBK = expected_json("netease_gbk")
GBK_PAGE = page_bytes("netease_gbk")
UNDECLARED = GBK_PAGE.replace(b'<meta http-equiv="Content-Type" content="text/html; charset=gbk">', b"")
MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
MB = 1024 * 1024


def assert_gbk_article(article) -> None:
    assert (article.title, article.body) == (GBK["title"], GBK["body"])
    assert "\ufffd" not in article.body + article.title and "锟斤拷" not in article.body + article.title


@pytest.mark.parametrize(
    ("case", "body", "content_type"),
    [
        ("header says UTF-8, bytes are GBK", UNDECLARED, "text/html; charset=utf-8"),
        ("header says UTF-8, meta says GBK", GBK_PAGE, "text/html; charset=UTF-8"),
        ("no charset anywhere", UNDECLARED, "text/html"),
        ("header says ISO-8859-1 over GBK", UNDECLARED, "text/html; charset=ISO-8859-1"),
        (
            "BOM against a GBK header",
            b"\xef\xbb\xbf" + UNDECLARED.decode("gbk").encode(),
            "text/html; charset=gbk",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else "",
)
def test_lying_charsets_still_give_the_right_chinese_text(case: str, body: bytes, content_type: str) -> None:
    assert_gbk_article(
        process_page(body, "https://www.163.com/dy/article/IMD8QD1L0511B8LM.html", "netease", content_type)
    )


def test_meta_gb2312_over_text_that_needs_gb18030() -> None:
    text = (
        "<html><head><meta charset=gb2312><title>朱镕基与𠮷野家</title></head><body><p>镕</p></body></html>"
    )
    assert page_text(text.encode("gb18030"), "text/html") == text  # 镕 is GBK, 𠮷 only GB18030


def test_bytes_that_decode_nowhere_lose_only_the_broken_bytes() -> None:
    assert page_text(
        "<p>新闻".encode() + b"\xff\xfe\xfd" + "正文</p>".encode(), "text/html; charset=utf-8"
    ) == ("<p>新闻正文</p>")


NEWS = "<p>" + "这是一条新闻的正文句子，内容足够长。" * 6 + "</p>"


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("unclosed tags", f"<html><body><div><p>{NEWS}<div><span><b>".encode()),
        (
            "</div> inside a script",
            f"<html><body><script>var s='</div></div>';</script>{NEWS}</body></html>".encode(),
        ),
        ("NUL bytes", f"<html>\0<body>{NEWS}\0</body></html>".encode()),
        ("invalid UTF-8", f"<html><body>{NEWS}".encode() + b"\xc3\x28\xa0\xa1" + b"</body></html>"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_malformed_html_gives_the_text_and_no_markup(case: str, body: bytes) -> None:
    start = time.monotonic()
    article = process_page(body, "https://example.com/a.html", "generic", "text/html; charset=utf-8")
    assert "这是一条新闻的正文句子" in article.body and not MARKUP.search(article.body)
    assert "\ufffd" not in article.body and "\0" not in article.body
    assert time.monotonic() - start < 5


def test_50000_nested_elements_cost_little_and_leave_no_text_to_store() -> None:
    """libxml2 stops descending at 256 levels: what lies deeper is not read, so the page is
    refused as "no article text" (ValidatePipeline), quickly and with flat memory."""
    body = ("<html><body>" + "<div>" * 50_000 + NEWS + "</div>" * 50_000).encode()
    start = time.monotonic()
    assert process_page(body, "https://example.com/a.html", "generic", "text/html; charset=utf-8").body == ""
    assert time.monotonic() - start < 5


def test_binary_served_as_html_is_refused_with_a_reason() -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
    with pytest.raises(FetchFailed, match=r"not an HTML page \(binary content served as text/html\)"):
        process_page(png, "https://example.com/image.html", "generic", "text/html")


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "<p>",
                    "</p>",
                    "<div class=related>",
                    "</div>",
                    "<script>",
                    "</script>",
                    "<br>",
                    "<h1>",
                    "</h1>",
                    "<!--",
                    "-->",
                    "<a href='/x'>",
                    "</a>",
                    "热点推荐",
                    "来源：中时",
                    "2024年10月18日 22:58",
                    "\0",
                    "&amp;",
                    "<![CDATA[",
                    "]]>",
                    "<title>",
                    "</title>",
                    "<table><tr><td>",
                    "。",
                ]
            ),
            st.text(min_size=0, max_size=40),
        ),
        max_size=60,
    )
)
def test_any_markup_extracts_and_cleans_without_raising_or_returning_markup(parts: list[str]) -> None:
    html = "".join(parts)
    try:
        page = extract_article(html, "https://example.com/a.html", "generic", (), "Asia/Shanghai")
    except NotHTML:
        return  # refused with a reason: nothing to clean
    article, _ = clean_article(RawArticle(page.article, [page.body_html], page.link_texts), ())
    for text in (article.title, article.body, article.author or "", article.origin or ""):
        assert not MARKUP.search(text), text
        assert "\0" not in text


# --- Through the network: the on-demand fetch, as a user runs it -----------------------------------


@pytest.fixture(scope="module")
def bomb() -> Respond:
    return gzip_bomb()


@pytest.fixture
def hostile(site: Site, bomb: Respond) -> Site:
    behaviours = {
        "drip": drip,
        "silent": silent,
        "huge": endless(chunked=False),
        "chunked": endless(chunked=True),
        "bomb": bomb,
    }
    for name, respond in behaviours.items():
        site.add(f"/{name}", Page(b"", respond=respond))
    site.add("/loop/a", Page(b"", status=302, headers={"Location": "/loop/b"}))
    site.add("/loop/b", Page(b"", status=302, headers={"Location": "/loop/a"}))
    for hop in range(30):
        site.add(f"/chain/{hop}", Page(b"", status=302, headers={"Location": f"/chain/{hop + 1}"}))
    site.add("/chain/30", page_bytes("flat_000"))
    return site


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/drip", "timed out"),
        ("/silent", "timed out"),
        ("/huge", "response too large: past the download size limit"),
        ("/chunked", "response too large: past the download size limit"),
        ("/bomb", "response too large: past the download size limit (counted after decompression)"),
        ("/loop/a", "too many redirects"),
        ("/chain/0", "too many redirects"),
    ],
)
def test_hostile_server_costs_bounded_time_and_ends_with_a_reason(
    hostile: Site, crawler_env, articles, tmp_path: Path, path: str, reason: str
) -> None:
    start = time.monotonic()
    run = run_crawler(["fetch", "--timeout", "2", hostile.base + path], crawler_env, tmp_path)
    seconds = time.monotonic() - start
    assert run.returncode == 1
    assert (
        run.stderr.strip().splitlines()[-1] == f"crawler: {hostile.base}{path}: {reason}"
        or reason in run.stderr
    )
    assert seconds < 20  # two attempts of 2 s at most, with the retry's back-off and start-up
    assert articles.count_documents({}) == 0


def test_endless_pagination_stops_at_the_depth_and_the_page_cap(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    for page in range(200):  # a calendar: every page links to the next day, forever
        site.add(
            f"http://www.163.com/news/{page}/",
            f'<html><body><div class="list_page"><a class="next" href="/news/{page + 1}/">下一页</a></div></'
            "body></html>",
        )
    env = crawler_env | {"http_proxy": site.base, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    base = [*scrapy_command("netease", "-a", "start_urls=http://www.163.com/news/0/"), *no_delays()]
    deep = subprocess.run(
        [*base, "-a", "max_depth=5"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert deep.returncode == 0, deep.stderr[-2000:]
    assert len([r for r in site.requests if "/news/" in r]) == 6  # the start page and 5 more
    site.requests.clear()
    capped = subprocess.run(
        [*base, "-a", "max_depth=1000", "-s", "CLOSESPIDER_PAGECOUNT=20"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert capped.returncode == 0, capped.stderr[-2000:]
    assert 15 <= len([r for r in site.requests if "/news/" in r]) < 20  # robots.txt counts as a page too
    assert "'finish_reason': 'closespider_pagecount'" in capped.stderr
    record = articles.database["crawls"].find_one({"reason": "closespider_pagecount"})
    assert record["status"] == "degraded"
