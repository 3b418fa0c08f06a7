"""NetEase (163.com): news, dy (self-media) and mobile article pages.

Older pages keep the body in #endText and are GBK-encoded; current ones use .post_body.
Never .post_content / .post_main: they contain the "相关推荐 / 热点推荐" farm.
"""

import re

from crawler.extract.article import Selectors
from crawler.sources.base import SourceSpec, SourceSpider

MOBILE = re.compile(r"^https?://(?:c\.)?m\.163\.com/(?:(news|dy)/article|news/a)/(?P<id>[0-9A-Z]{16})\.html")


def desktop_url(url: str) -> str:
    """m.163.com and c.m.163.com pages are the same article as www.163.com's."""
    match = MOBILE.match(url)
    if not match:
        return url
    return f"https://www.163.com/{match.group(1) or 'news'}/article/{match.group('id')}.html"


SPEC = SourceSpec(
    name="netease",
    names=("网易", "网易新闻", "163.com"),
    domains=("163.com",),
    start_urls=(
        "https://news.163.com/special/00011K6L/rss_newstop.xml",
        "https://www.163.com/news/",
        "https://tech.163.com/",
    ),
    article_pattern=r"163\.com/(?:(?:dy|news)/article/|news/a/|\d{2}/\d{4}/\d{2}/)[0-9A-Z]{16}\.html",
    selectors=Selectors(
        title=("h1.post_title", ".post_main h1", "#epContentLeft h1", ".article-title", "h1"),
        body=(".post_body", "#endText", ".article-body", ".content .page"),
        time=(".post_info", ".post_time_source", ".article-info .time", "meta[property='article:published_time']"),
        author=(".post_author_name", ".ep-editor"),
        origin=(".post_info a", "#ne_article_source", ".article-info .source"),
    ),
    noise=(
        ".post_recommends", "#post_recommend", "#post_comment_area", ".post_side", "#epContentRight",
        ".post_crumb", ".post_top_share", ".post_next", ".post_author", ".ep-source", ".f_center",
        ".post_statement", ".post_btns", ".js-open-app", ".recommend-list",
    ),
    pagination=(".list_page a.next", ".pager a.next"),
    canonical=desktop_url,
)


class NeteaseSpider(SourceSpider):
    name = "netease"
    spec = SPEC
