"""A multi-page article is stored as one article: its pages' bodies in order, `pages` counting them.

Page 1 is the real saved gamersky page of the GNE set (../shared/bench-data/gne_zh), a two-page
article whose pager says "1/2 下一页"; its page 2 was not saved, so pages 2 and 3 here are that
page with its story paragraphs and pager replaced (hand-built), and its pager's links pointed at the
local site."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.archive.warcfiles import Captured, read_fetch
from tests.cluster import STORED, article
from tests.commands import no_delays
from tests.conftest import run_crawler
from tests.evalsets import BENCH_DATA
from tests.site import Page, Site
from tests.test_dashboard import serving
from tests.test_versions import crawl_solidot, empty_feed, solidot

FIRST = "http://wap.gamersky.com/news/Content-1220000.html"
PAGE = "http://wap.gamersky.com/news/Content-1220000_{}.html"
REAL = (BENCH_DATA / "gne_zh" / "html" / "tests__gamersky__gamersky.html").read_text(encoding="utf-8")
STORY = re.compile(r'(<div class="gsAreaContextArt">).*?(</div>\s*<div class="gs_bot_author">)', re.S)
PAGER = re.compile(r'<div class="yu-btnwrap">.*?</div>', re.S)
STITCHED_TITLE = "逆水寒再按照这个速度研发下去 应该马上就要收到律师函了！"
PAGE_ONE = [  # what page 1 gives on its own
    "《逆水寒》每周的版本更新都安排在周四，是以周三周四这两天的官方微信微博总是被心急的玩家各种蹲守，期待能第一个挖到爆料。",
    "而在这周四，眼尖的玩家就已经发现了，逆水寒在每个玩家的庄园中，安置了一批特殊的可以自由写字的全新院门，官方更是亲自上阵写了一批横幅和对联。",
    "这批院门投放的一瞬间，每个玩家的庄园霎时间都像装了一批自带明言明语的BGM，感觉分分钟几百个小明一起对你说：我不要你觉得，我要我觉得。",
    "逆水寒在追热点方面不仅追的巧，还追的快！晓明的中餐厅还没播完，玩家已经能在自己庄园里随便COS了，让人想起来7月3日某位大佬被泼水之后，"
    "逆水寒官方开发组就直接在7月4日的更新公告写到：“因为会呼吸的江湖已经入暑，天气燥热难耐。所以本周新增了一个“你清醒一下”的花哨动作。”",
]
LATER = {
    2: [
        "第二页里，玩家们把院门上的对联拍成截图，在论坛里评选出了最受欢迎的十副，其中一副被官方置顶展示。",
        "开发组在采访中表示，院门的文字功能原本只是节日活动的一部分，没想到会成为玩家自发创作的舞台。",
    ],
    3: [
        "第三页最后，官方透露下周还会加入可以更换字体和颜色的横幅，让庄园的装饰更有个性。",
        "不少玩家已经开始期待，下一个被写上院门的热门段子会是什么。",
    ],
}


def pager(first: str, number: int, last: int) -> str:
    previous = (
        f'<a href="{page_url(first, number - 1)}">上一页</a>'
        if number > 1
        else '<a href="javascript:;" class="disable">上一页</a>'
    )
    following = (
        f'<a href="{page_url(first, number + 1)}" class="page-next">下一页</a>'
        if number < last
        else '<a href="javascript:;" class="disable">下一页</a>'
    )
    return f'<div class="yu-btnwrap">{previous}<span>{number}/{last}</span>{following}</div>'


def page_url(first: str, number: int) -> str:
    return first if number == 1 else first.replace(".html", f"_{number}.html")


def gamersky(site: Site, last: int = 3, first: str = FIRST) -> None:
    """The article's pages on `site`: at their absolute URLs when the site is the proxy (FIRST), at
    their paths when it is the host itself."""
    key = (lambda url: url) if first == FIRST else (lambda url: urlsplit(url).path)
    site.add(key(first), Page(PAGER.sub(pager(first, 1, last), REAL, count=1).encode()))
    for number in range(2, last + 1):
        story = "".join(f"<p>\u3000\u3000{line}</p>" for line in LATER[number])
        page = STORY.sub(lambda m, s=story: m.group(1) + s + m.group(2), REAL, count=1)
        site.add(
            key(page_url(first, number)), Page(PAGER.sub(pager(first, number, last), page, count=1).encode())
        )


def pages_requested(site: Site) -> list[str]:
    return [r for r in site.requests if not r.endswith("/robots.txt")]


def fetch(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return run_crawler([*args, "fetch", FIRST], env, cwd)


def test_crawler_fetch_stores_a_three_page_article_as_one_with_its_paragraphs_in_order(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    gamersky(site)
    done = fetch([], crawler_env | {"http_proxy": site.base}, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = json.loads(done.stdout)
    stored = articles.find_one({"url": FIRST})
    assert [d["url"] for d in articles.find()] == [FIRST]  # one document, not one per page
    assert stored["title"] == STITCHED_TITLE
    assert stored["body"].split("\n") == [*PAGE_ONE, *LATER[2], *LATER[3]]
    assert stored["pages"] == printed["pages"] == 3
    assert pages_requested(site) == [FIRST, PAGE.format(2), PAGE.format(3)]
    warc = tmp_path / "data" / "warc"
    kept = [read_fetch(warc, Captured(**c)) for c in [stored["capture"], *stored["page_captures"]]]
    assert [(f.url, f.body) for f in kept] == [(url, site.pages[url].body) for url in pages_requested(site)]

    site.pages.clear()  # the site is gone: the article is derived again from its three kept pages
    again = run_crawler(["-s", "TITLE_MAX_CHARS=12", "db", "reextract"], crawler_env, tmp_path)
    assert (
        again.stdout
        == "reextracted 1 article(s): 1 changed (new versions), 0 unchanged, 0 skipped, 0 failed\n"
    )
    derived = articles.find_one({"url": FIRST})
    assert (derived["title"], derived["version"], derived["pages"]) == (STITCHED_TITLE[:12], 2, 3)
    assert derived["body"] == stored["body"] and derived["page_captures"] == stored["page_captures"]
    timeline = [
        json.loads(line)
        for line in run_crawler(["history", FIRST], crawler_env, tmp_path).stdout.splitlines()
    ]
    assert [(e["version"], e["cause"], e["page_captures"]) for e in timeline] == [
        (1, "fetch", stored["page_captures"]),
        (2, "reextract", stored["page_captures"]),
    ]  # each version names every page it was made of


def test_a_later_page_that_fails_keeps_the_pages_that_came_and_says_which_is_missing(
    site: Site, crawler_env, articles, unused_loopback_port: int, tmp_path: Path
) -> None:
    gamersky(site)
    del site.pages[PAGE.format(3)]  # 404
    env = crawler_env | {"http_proxy": site.base}
    done = fetch([], env, tmp_path)
    why = f"page 3 of the article ({PAGE.format(3)}) failed: HTTP 404"
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.strip() == f"crawler: {FIRST}: {why}; stored without it"
    stored = articles.find_one({"url": FIRST})
    assert stored["body"].split("\n") == [*PAGE_ONE, *LATER[2]]
    assert (stored["pages"], stored["pages_missing"], stored["pages_missing_why"]) == (2, [3], why)
    assert json.loads(done.stdout)["pages_missing"] == [3]
    with serving(crawler_env, unused_loopback_port, tmp_path) as base:
        with urllib.request.urlopen(f"{base}/article?url={urllib.parse.quote(FIRST)}", timeout=30) as page:
            shown = page.read().decode()
    assert (
        f"<th>pages missing</th><td>page 3: {html.escape(why)}; the text below is the pages that came"
        in shown
    )
    page_two = urllib.parse.urlencode({k: stored["page_captures"][0][k] for k in ("file", "offset")})
    assert f'<a class="page-capture" href="/capture?{html.escape(page_two)}">page 2</a>' in shown
    cut = run_crawler(["-s", "TITLE_MAX_CHARS=12", "db", "reextract"], env, tmp_path)
    assert cut.stdout.startswith("reextracted 1 article(s): 1 changed")
    derived = articles.find_one({"url": FIRST})  # from its two kept pages, still missing page 3
    assert (derived["body"], derived["pages"], derived["pages_missing"], derived["pages_missing_why"]) == (
        stored["body"],
        2,
        [3],
        why,
    )

    gamersky(site)  # page 3 is back: the article gets a new version with it, and is whole
    again = fetch([], env, tmp_path)
    assert (again.returncode, again.stderr) == (0, "")
    whole = articles.find_one({"url": FIRST})
    assert whole["body"].split("\n") == [*PAGE_ONE, *LATER[2], *LATER[3]]
    assert (whole["version"], whole["pages"], whole["pages_missing"], whole["pages_missing_why"]) == (
        3,
        3,
        [],
        None,
    )


def test_article_max_pages_caps_the_pages_read_and_says_so(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    gamersky(site)
    done = fetch(["-s", "ARTICLE_MAX_PAGES=2"], crawler_env | {"http_proxy": site.base}, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    stored = articles.find_one({"url": FIRST})
    assert (stored["pages"], stored["body"].split("\n")) == (2, [*PAGE_ONE, *LATER[2]])
    assert stored["extracted_why"].endswith("; stopped at ARTICLE_MAX_PAGES (2) pages, more follow")
    assert PAGE.format(3) not in site.requests


def test_a_page_linking_back_to_an_earlier_page_ends_the_article(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    gamersky(site, last=2)
    loop = (
        site.pages[PAGE.format(2)]
        .body.decode()
        .replace('<a href="javascript:;" class="disable">下一页</a>', f'<a href="{FIRST}">下一页</a>')
    )
    site.add(PAGE.format(2), Page(loop.encode()))
    done = fetch([], crawler_env | {"http_proxy": site.base}, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert articles.find_one({"url": FIRST})["pages"] == 2
    assert pages_requested(site) == [FIRST, PAGE.format(2)]


@pytest.fixture
def split_netease(site: Site) -> str:
    """A NetEase article over two pages (`ID.html`, `ID_2.html`), listed on the news front page."""
    ident = "P000000000000001"
    first = article(ident).decode()
    second = article("P000000000000002").decode()
    pager = '<div class="post_pages"><a href="/dy/article/{}.html">{}</a></div>'
    site.add(
        "http://www.163.com/news/",
        Page(f'<html><body><a href="/dy/article/{ident}.html">x</a></body></html>'.encode()),
    )
    site.add(
        f"http://www.163.com/dy/article/{ident}.html",
        Page(
            first.replace(
                '<div class="post_body">', pager.format(f"{ident}_2", "下一页") + '<div class="post_body">', 1
            ).encode()
        ),
    )
    site.add(f"http://www.163.com/dy/article/{ident}_2.html", Page(second.encode()))
    return ident


@pytest.mark.parametrize("distributed", [False, True], ids=["crawl", "distributed round"])
def test_a_discovery_crawl_stitches_the_pages_too(
    distributed: bool, split_netease: str, crawler_env, site: Site, articles, redis_server, tmp_path: Path
) -> None:
    env = crawler_env | {"http_proxy": site.base} | ({"REDIS_URL": redis_server.url} if distributed else {})
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawler.cli.main",
            *no_delays(
                "FRONTIER_POLL_INTERVAL=0.2",
                'SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}',
            ),
            "crawl",
            "netease",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    stored = list(articles.find())
    assert [(d["url"], d["pages"]) for d in stored] == [(STORED.format(split_netease), 2)]
    assert f"http://www.163.com/dy/article/{split_netease}_2.html" in site.requests


def test_a_later_page_asked_for_stores_the_whole_article_under_its_first_page(
    site: Site, crawler_env, articles, tmp_path: Path
) -> None:
    gamersky(site)
    done = run_crawler(["fetch", PAGE.format(3)], crawler_env | {"http_proxy": site.base}, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [(d["url"], d["pages"]) for d in articles.find()] == [(FIRST, 3)]
    assert articles.find_one()["body"].split("\n") == [*PAGE_ONE, *LATER[2], *LATER[3]]
    assert json.loads(done.stdout)["url"] == FIRST  # the line printed for the URL asked for


def test_a_re_check_fetches_an_article_missing_a_page_again_until_the_page_comes(
    crawler_env, site: Site, articles, tmp_path: Path
) -> None:
    """A Solidot story over two pages whose page 2 answers 404: page 1 is stored and the run says
    so; when page 2 is back, the re-check reads page 1 again without its ETag (a 304 would hide the
    pager) and stores the whole article as its next version. The pager is hand-built: Solidot
    stories have none."""
    env = crawler_env | {"http_proxy": site.base}
    first, second = "http://www.solidot.org/story?sid=301", "http://www.solidot.org/story?sid=301&p=2"
    pager = '<div class="pages"><a href="/story?sid=301&amp;p=2">下一页</a></div><div class="footer">'
    site.add(first, Page(solidot(301).replace('<div class="footer">', pager, 1).encode(), etag='"v1"'))
    empty_feed(site)
    done = run_crawler(["fetch", first], env, tmp_path)
    assert done.returncode == 0
    assert (
        done.stderr
        == f"crawler: {first}: page 2 of the article ({second}) failed: HTTP 404; stored without it\n"
    )
    assert articles.find_one({"url": first})["pages_missing"] == [2]

    story = "微软的发言人在随后的声明中表示，两家公司的合作关系依然稳固，双方仍在多个项目上紧密合作。"
    site.add(second, solidot(301).replace("微软已向 OpenAI 投入了 130 亿美元", story, 1))
    seen = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=61)  # its first re-check is due
    articles.update_one(
        {"url": first}, {"$set": {"first_seen": seen, "recheck_at": seen + timedelta(hours=1)}}
    )
    site.requests.clear()
    run = crawl_solidot(env, tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert site.not_modified == [] and [first, second] == [r for r in site.requests if "sid=301" in r]
    whole = articles.find_one({"url": first})
    assert (whole["version"], whole["pages"], whole["pages_missing"]) == (2, 2, [])
    assert story in whole["body"]
