"""NetEase (163.com): news and dy (self-media) article pages, in three templates.

2021 (.post_main): the body in .post_body. 2019 (#epContentLeft, often GBK): the body in #endText,
inside a .post_body that also holds the editor and share widgets. dy2019 (dy.163.com/v2): the body
in .article_box .content. Each has a real saved page among the fixtures. Mobile pages (m.163.com)
have none yet, so no layout: they take the generic path, counted as a fallback. Never
.post_content / .post_main as a body: they contain the "相关推荐 / 热点推荐" farm.

Discovery: the top-news RSS feed, the 要闻 channel's JSONP list (`data_callback([...])`, times as
MM/DD/YYYY) and the news and tech front pages.

An article is its 16-character docid, whatever the URL: www.163.com/news/article/ID.html,
www.163.com/dy/article/ID.html (the 2021 template serves every docid under its channel paths),
m.163.com and c.m.163.com's mobile forms and the older news.163.com/YY/MMDD/HH/ID.html. All are
stored under www.163.com/dy/article/ID.html.
"""

from crawler.discovery.jsonlists import JsonFields
from crawler.extract.article import Layout, Selectors
from crawler.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="netease",
    names=("网易", "网易新闻", "163.com"),
    domains=("163.com",),
    start_urls=(
        "https://news.163.com/special/00011K6L/rss_newstop.xml",
        # JSONP: the 要闻 channel list
        "https://news.163.com/special/cm_yaowen20200213/?callback=data_callback",
        "https://www.163.com/news/",
        "https://tech.163.com/",
    ),
    article_pattern=r"163\.com/(?:(?:dy|news)/article/|news/a/|\d{2}/\d{4}/\d{2}/)[0-9A-Z]{16}\.html",
    article_id=r"^https?://(?:[a-z0-9-]+\.)*163\.com/(?:[a-z]+/article|news/a|\d{2}/\d{4}/\d{2})/(?P<id>[0-9A-Z]{16})\.html",
    canonical_url="https://www.163.com/dy/article/{id}.html",
    json_fields=JsonFields(time_format="%m/%d/%Y %H:%M:%S"),  # channel lists' "time": "12/01/2026 10:21:03"
    layouts=(
        Layout(
            "2021",
            marker=".post_main",
            selectors=Selectors(
                title=("h1.post_title", ".post_main h1"),
                body=(".post_body",),
                time=(".post_info", "meta[property='article:published_time']"),
                author=(".post_author_name",),
                origin=(".post_info a",),
            ),
        ),
        Layout(
            "2019",
            marker="#epContentLeft",
            selectors=Selectors(
                title=("#epContentLeft h1",),
                body=("#endText",),
                time=(".post_time_source",),
                author=(".ep-editor",),
                origin=("#ne_article_source",),
            ),
        ),
        Layout(
            "dy2019",
            marker=".article_box",
            selectors=Selectors(
                title=(".article_title h2",),
                body=(".article_box .content",),
                time=(".article_title .time",),
            ),
        ),
    ),
    noise=(
        ".post_recommends",
        "#post_recommend",
        "#post_comment_area",
        ".post_side",
        "#epContentRight",
        ".post_crumb",
        ".post_top_share",
        ".post_next",
        ".post_author",
        ".ep-source",
        ".f_center",
        ".post_statement",
        ".post_btns",
        ".js-open-app",
        ".recommend-list",
    ),
    pagination=(".list_page a.next", ".pager a.next"),
)
