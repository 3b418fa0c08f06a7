"""solidot.org (奇客): short technology stories with their source links; has an RSS feed."""

from crawler.extract.article import Layout, Selectors
from crawler.sources.spec import SourceSpec

SPEC = SourceSpec(
    name="solidot",
    names=("solidot", "奇客"),
    domains=("solidot.org",),
    start_urls=("https://www.solidot.org/index.rss",),
    article_pattern=r"solidot\.org/story\?(?:[^#]*&)?sid=\d+",
    # one story, one document: solidot.org, m.solidot.org and any other parameters beside the sid;
    # the scheme is kept (a story read over http is stored, and re-checked, over http)
    article_id=r"^(?P<scheme>https?)://(?:[a-z0-9-]+\.)*solidot\.org/story\?(?:[^#]*&)?sid=(?P<id>\d+)",
    canonical_url="{scheme}://www.solidot.org/story?sid={id}",
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
