"""天天要聞 (daydaynews.cc) and mirrors of its template: Traditional Chinese re-posts.

Image captions ("… - 天天要聞") and the "科技分類資訊推薦" block are noise.
"""

from crawler.extract.article import Layout, Selectors
from crawler.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="daydaynews",
    names=("天天要聞", "天天要闻"),
    reposts=True,
    domains=("daydaynews.cc",),
    start_urls=("https://daydaynews.cc/zh-hant/technology/", "https://daydaynews.cc/zh-hant/"),
    article_pattern=r"daydaynews\.cc/(?:zh-han[st]/)?[a-z]+/\d+\.html",
    # one story, one document: any host of the site and any parameters; each script its own page
    article_id=(
        r"^(?P<scheme>https?)://(?:[a-z0-9-]+\.)*daydaynews\.cc/(?P<path>(?:zh-han[st]/)?[a-z]+)/(?P<id>\d+)\.html"
    ),
    canonical_url="{scheme}://daydaynews.cc/{path}/{id}.html",
    layouts=(
        Layout(
            "2024",
            Selectors(
                title=(".article-header h1", "h1.title", "h1"),
                body=(".article-content", ".content-body"),
                time=(".article-header .time", ".article-meta time", "time"),
                author=(".article-header .author",),
            ),
        ),
    ),
    noise=(".recommend-block", ".related-news", ".article-tags", ".img-caption", ".ad-box"),
    pagination=(".pagination a.next",),
)
