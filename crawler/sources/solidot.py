"""solidot.org (奇客): short technology stories with their source links; has an RSS feed."""

from crawler.extract.article import Layout, Selectors
from crawler.sources.base import SourceSpec

SPEC = SourceSpec(
    name="solidot",
    names=("solidot", "奇客"),
    domains=("solidot.org",),
    start_urls=("https://www.solidot.org/index.rss",),
    article_pattern=r"solidot\.org/story\?sid=\d+",
    layouts=(
        Layout(
            "2024",
            Selectors(
                title=(".bg_htit h2", ".bg_htit"),
                body=(".p_mainnew",),
                time=(".talk_time",),
                author=(".talk_time a[href^='/~']",),
            ),
        ),
    ),
    noise=(".talk_time", ".p_mainnew .share"),
)
