"""bannedbook.org (禁闻网): WordPress articles re-posting other outlets' stories.

Keyword links inside paragraphs keep their text; "来源：中时" (p.src-info) names the original publisher.
"""

from crawler.extract.article import Layout, Selectors
from crawler.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="bannedbook",
    names=("禁闻网", "bannedbook"),
    reposts=True,
    domains=("bannedbook.org",),
    start_urls=("https://www.bannedbook.org/bnews/feed", "https://www.bannedbook.org/bnews/itnews/"),
    article_pattern=r"bannedbook\.org/bnews/[a-z]+/\d{8}/\d+\.html",
    # one story, one document: with or without www., the mobile host, an ?amp parameter
    article_id=(
        r"^(?P<scheme>https?)://(?:[a-z0-9-]+\.)*bannedbook\.org/bnews/(?P<path>[a-z]+/\d{8})/(?P<id>\d+)\.html"
    ),
    canonical_url="{scheme}://www.bannedbook.org/bnews/{path}/{id}.html",
    layouts=(
        Layout(
            "2024",
            Selectors(
                title=(".post h2", "h2.post-title", "h2"),
                body=(".entry",),
                time=(".postmeta", ".post-info", "time"),
                author=(".postmeta .author",),
                origin=("p.src-info",),
            ),
        ),
    ),
    noise=(
        "p.notice",
        ".op-related-articles",
        "ul.texttj",
        ".banner-ads",
        "a[name=sharetosocial]",
        "#taboola-mid-1",
        "p.src-info",
        "#conimg",
    ),
    pagination=(".pagination a.next", "a.nextpostslink", ".nav-previous a"),
)
