"""Local sites `crawler source add` learns, built from real saved pages under made-up hosts (served
through a proxy on 127.0.0.1).

news.example.com has two templates, as a site has after a redesign: eight real NetEase article
pages of its 2019 template (the fixtures gne_163_1..8, whose reviewed expected JSON is the truth)
and five real Sina article pages of one template (gne_zh's tests/sina 1, 2, 3, 5 and sina; gne_zh's
truth for three of them). Beside them, one page each of three more templates: NetEase's dy2019
(gne_163_9) and 2021 (gne_163_visiable_1), and Sina's older blkContainer page (tests/sina 4) —
templates seen too rarely for a layout. The Sina pages keep a real recurring block the generic
path keeps (the WeChat box "更多猛料！欢迎扫描左方二维码…"), the NetEase ones real recurring
blocks inside the body (the source and editor line, the image holders). The article URLs have the
real shapes of each outlet (`/dy/article/ID.html`; `/c/DATE/doc-ID.shtml`, the Sina ids made up).

Hand-built, because no real one was saved with the pages: robots.txt (a Sitemap line, and one
article forbidden), the sitemap, the RSS feed and the home page that names it in
`<link rel=alternate>` and links the channels and three video pages (a player and a list of links,
no story: URLs with ids that are not articles).

mixed.example.org has five real pages of five outlets (no template in common) and a hand-built
feed.
"""

from __future__ import annotations

import json

from tests.conftest import FIXTURES, expected_json, page_bytes
from tests.evalsets import BENCH_DATA
from tests.site import Page, Site

HOME = "http://news.example.com/"
GNE = BENCH_DATA / "gne_zh"
NETEASE = {f"gne_163_{n}": f"gne_163_{n}" for n in range(1, 10)} | {
    "gne_163_visiable_1": "gne_163_visiable_1"
}
SINA = {  # bench page -> its URL's made-up doc id and date
    "tests__sina__1": ("2019-11-25", "iihnzahi3088001"),
    "tests__sina__2": ("2018-12-28", "ihqfskcn1991002"),
    "tests__sina__3": ("2019-09-09", "iicezueu4710003"),
    "tests__sina__4": ("2019-09-11", "iicezzrq5042004"),
    "tests__sina__5": ("2019-10-23", "iicezuev4366005"),
    "tests__sina__sina": ("2019-09-07", "iicezzrq3965006"),
}
FORBIDDEN = "gne_163_6"  # robots.txt disallows its URL: never fetched
TEMPLATE_2019 = [f"gne_163_{n}" for n in range(1, 9)]
TEMPLATE_SINA = ["tests__sina__1", "tests__sina__2", "tests__sina__3", "tests__sina__5", "tests__sina__sina"]
RARE = ["gne_163_9", "gne_163_visiable_1", "tests__sina__4"]  # one page of a template each
VIDEOS = [f"http://news.example.com/v/2019/{n}.html" for n in (5510231, 5510388, 5510472)]
MIXED = ["tests__people__1", "tests__huanqiu__1", "tests__xinhuanet__1", "tests__cjn__1", "tests__zsnews__1"]


def netease_url(name: str) -> str:
    real = json.loads((FIXTURES / "pages.json").read_text())[name]["url"]
    return "http://news.example.com/dy/article/" + real.rsplit("/", 1)[1]


def sina_url(name: str) -> str:
    day, doc = SINA[name]
    return f"http://news.example.com/c/{day}/doc-{doc}.shtml"


def bench_page(name: str) -> bytes:
    return (GNE / "html" / f"{name}.html").read_bytes()


def bench_truth(name: str) -> str | None:
    path = GNE / "truth" / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))["content"] if path.exists() else None


def news_site(site: Site) -> dict[str, str | None]:
    """Serves news.example.com; returns every article URL robots.txt allows, with its truth (the
    reviewed body, else gne_zh's, else None)."""
    articles: dict[str, str | None] = {}
    for name in NETEASE:
        url = site.add(netease_url(name), Page(page_bytes(name), content_type="text/html"))
        if name != FORBIDDEN:
            articles[url] = expected_json(name)["body"]
    for name in SINA:
        articles[site.add(sina_url(name), Page(bench_page(name), content_type="text/html"))] = bench_truth(
            name
        )
    forbidden = netease_url(FORBIDDEN).removeprefix("http://news.example.com")
    site.add(
        "http://news.example.com/robots.txt",
        Page(
            f"User-agent: *\nDisallow: {forbidden}\nSitemap: http://news.example.com/sitemap.xml\n".encode(),
            content_type="text/plain",
        ),
    )
    in_sitemap = [netease_url(name) for name in NETEASE]
    site.add(
        "http://news.example.com/sitemap.xml", Page(_sitemap(in_sitemap), content_type="application/xml")
    )
    in_feed = [sina_url(name) for name in SINA]
    site.add("http://news.example.com/rss.xml", Page(_feed(in_feed), content_type="application/rss+xml"))
    channels = ["/news/", "/tech/", "/sports/", "/about.html", "/news/list_2.html", "/tag/ai/"]
    for url in VIDEOS:
        site.add(url, _video(url))
    site.add(HOME, _home(channels, [*in_feed[:2], *VIDEOS], "/rss.xml"))
    return articles


def mixed_site(site: Site) -> list[str]:
    """Serves mixed.example.org: five real pages of five outlets and the feed that lists them."""
    urls = [
        site.add(
            f"http://mixed.example.org/a/2019/{1001 + i}.html",
            Page(bench_page(name), content_type="text/html"),
        )
        for i, name in enumerate(MIXED)
    ]
    site.add("http://mixed.example.org/feed.xml", Page(_feed(urls), content_type="application/rss+xml"))
    return urls


def _sitemap(urls: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def _feed(urls: list[str]) -> bytes:
    items = "".join(f"<item><title>{i}</title><link>{u}</link></item>" for i, u in enumerate(urls))
    channel = f"<channel><title>news</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


def _home(channels: list[str], articles: list[str], feed: str) -> str:
    links = "".join(f'<li><a href="{u}">{u}</a></li>' for u in [*channels, *articles])
    return (
        '<html><head><meta charset="utf-8"><title>新闻</title>'
        f'<link rel="alternate" type="application/rss+xml" title="RSS" href="{feed}"></head>'
        f"<body><ul>{links}</ul></body></html>"
    )


def _video(url: str) -> str:
    others = "".join(f'<li><a href="{u}">视频 {i}</a></li>' for i, u in enumerate(VIDEOS) if u != url)
    return (
        '<html><head><meta charset="utf-8"><title>视频</title></head><body>'
        f'<div class="player"><video src="{url}.mp4" controls></video></div><ul>{others}</ul></body></html>'
    )
