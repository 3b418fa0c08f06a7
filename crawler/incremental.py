"""Incremental discovery: an article page already in the store is not fetched again, unless it is
recent enough that an edit may still come, or its listing (a sitemap's lastmod) says it changed
after its last fetch; each one found stored is counted for its discovery kind. The check reads the
store, so it holds across restarts and across machines, and a crawl interrupted half way resumes
without refetching what it stored.

It is a spider middleware over a listing's output, not a downloader middleware over each request:
one query answers for every link of a listing page, where a query per article page would block the
reactor once per article."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from crawler.failures import BadURL, StoreUnavailable
from crawler.store.extension import store_of
from crawler.store.repositories import Articles
from crawler.urls import normalise_url


class IncrementalMiddleware:
    """Spider middleware for discovery crawls; on-demand fetches (dont_filter) always fetch."""

    def __init__(self, crawler: Crawler, window: timedelta) -> None:
        self.crawler = crawler
        self.window = window
        self.articles = Articles(store_of(crawler))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        if not crawler.settings.getbool("INCREMENTAL_ENABLED"):
            raise NotConfigured
        return cls(crawler, timedelta(hours=crawler.settings.getfloat("INCREMENTAL_RECHECK_HOURS")))

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        yield from self.unstored(list(result))

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        for output in self.unstored([output async for output in result]):
            yield output

    def unstored(self, outputs: list[Any]) -> list[Any]:
        """The outputs minus article requests for pages stored before the re-check window, not
        changed since they were last fetched (as far as the listing's lastmod says) and whole."""
        article_urls = {id(o): url for o in outputs if (url := self.article_url(o))}
        if not article_urls:
            return outputs
        try:
            docs = self.articles.seen(list(article_urls.values()))
        except StoreUnavailable:
            return outputs  # the store cannot say: fetch, the pipeline will spool
        stats = self.crawler.stats
        assert stats is not None
        kept = []
        for output in outputs:
            doc = docs.get(article_urls.get(id(output), ""))
            if doc is None:
                kept.append(output)
                continue
            stats.inc_value(f"discovery/{output.meta.get('discovered_by', 'listing')}/stored")
            if (
                doc.get("pages_missing")
                or self.recent(doc)
                or changed_since(doc, output.meta.get("listed_modified"))
            ):
                stats.inc_value("incremental/rechecked")
                kept.append(output)
        stats.inc_value("incremental/skipped", len(outputs) - len(kept))
        return kept

    def article_url(self, output: Any) -> str | None:
        """The stored URL an article request would produce, or None for anything else."""
        spider: Any = self.crawler.spider  # a source's spider: its parse and its spec
        if not isinstance(output, Request) or output.dont_filter or output.callback != spider.parse:
            return None
        try:
            url = normalise_url(output.url)
        except BadURL:
            return None
        return spider.spec.canonical(url)

    def recent(self, doc: dict[str, Any]) -> bool:
        reference = doc.get("published_at") or doc.get("first_seen")
        return (
            reference is not None
            and reference.replace(tzinfo=reference.tzinfo or UTC) > datetime.now(UTC) - self.window
        )


def changed_since(doc: dict[str, Any], listed_modified: float | None) -> bool:
    """A listing's lastmod (a POSIX time) after the stored article was last fetched."""
    last = doc.get("last_seen")
    if listed_modified is None or last is None:
        return False
    return datetime.fromtimestamp(listed_modified, UTC) > last.replace(tzinfo=last.tzinfo or UTC)
