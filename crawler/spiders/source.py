"""The spider every source shares: a source's spider is `SourceSpider.of(its spec)`
(crawler/sources/spec.py, what differs between sites), assembled from its parts: its article
pages (articles.py) and its discovery (discovery.py), over what they share (base.py). `parse`
handles one article, so `scrapy crawl <source> -a url=...`, `crawler fetch URL` and an HTTP front
need no extra arguments; with no URL, the spider starts from its discovery requests (a distributed
round holds them back: frontier/scheduler.RoundSeedMiddleware).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler

from crawler.contracts import contract_methods
from crawler.sources.spec import SourceSpec
from crawler.spiders.articles import ArticlePages
from crawler.spiders.base import RunOptions
from crawler.spiders.discovery import DEFAULT_MAX_DEPTH, Discovery
from crawler.urls import check_url


class SourceSpider(ArticlePages, Discovery):
    """Shared discovery and article parsing; a source's spider is `SourceSpider.of(its spec)`."""

    @classmethod
    def of(cls, spec: SourceSpec) -> type[SourceSpider]:
        """The spider of a source, made from its spec: Scrapy's `name` is the spec's."""
        title = "".join(part.capitalize() for part in spec.name.split("_"))
        members = {"name": spec.name, "spec": spec, "__module__": cls.__module__}
        return type(f"{title}Spider", (cls,), members | contract_methods(spec.name, cls.parse))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.options = RunOptions.of(crawler.settings)
        return spider

    @classmethod
    def handles_request(cls, request: scrapy.Request) -> bool:
        """Whether the source owns the URL's host: how `scrapy fetch URL` and `scrapy shell` pick a
        spider (the domains are the spec's; `allowed_domains` is only set on an instance)."""
        return cls.spec.owns(urlsplit(request.url).hostname or "")

    def __init__(
        self,
        url: str | None = None,
        urls: list[str] | None = None,
        max_depth: int | str = DEFAULT_MAX_DEPTH,
        start_urls: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.start_override = [check_url(u) for u in start_urls.split(",")] if start_urls else None
        # a source keeps to its domains; the generic one, started from given URLs, to their sites
        given = sorted({urlsplit(u).hostname or "" for u in self.start_override or []} - {""})
        self.allowed_domains = list(self.spec.domains) or given
        self.urls = [check_url(u) for u in ([url] if url else []) + (urls or [])]
        self.max_depth = int(max_depth)
        self.failures = []

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(
                url, callback=self.parse, errback=self.on_error, dont_filter=True, meta={"requested_url": url}
            )
        if not self.urls:  # a distributed round holds these back: its seed starts it (RoundSeedMiddleware)
            for request in self.discovery_requests():
                yield request
