"""AIbase (aibase.com/zh): Chinese AI news pages that describe themselves in JSON-LD.

"跳转到主要内容", the newsletter call to action and the "相关文章" cards are noise.
"""

from crawler.extract.article import Layout, Selectors
from crawler.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="aibase",
    names=("AIbase",),
    domains=("aibase.com",),
    start_urls=("https://www.aibase.com/zh/news", "https://www.aibase.com/zh/sitemap.xml"),
    article_pattern=r"aibase\.com/(?:zh/)?news/\d+",
    # one story, one document: with or without www., a trailing slash, any parameters; /news/ID
    # (English) and /zh/news/ID (Chinese) are two articles
    article_id=r"^(?P<scheme>https?)://(?:[a-z0-9-]+\.)*aibase\.com/(?P<lang>(?:zh/)?)news/(?P<id>\d+)(?![\d])",
    canonical_url="{scheme}://www.aibase.com/{lang}news/{id}",
    layouts=(
        Layout(
            "2024",
            Selectors(
                title=("article h1", "h1"),
                body=("article .post-content", "article .news-content"),
                author=("article .author-name",),
            ),
        ),
    ),
    noise=(".skip-link", ".newsletter-cta", ".related-articles", ".post-tags"),
    pagination=("a[rel=next]",),
)
