"""The crawl `crawler source add` makes of a site before there is a source for it: first the
probe — robots.txt and the sitemaps it names, the given pages and the feeds their
`<link rel=alternate>` names, any sitemap index — whose links teach the article URL shape
(crawler/learn/urls.py); then the sample — at most SOURCE_SAMPLE_PAGES of the article pages,
spread over what was found. It goes through the project's downloader (robots.txt obeyed, offsite
links never fetched, retries, size limits, DOWNLOAD_DELAY), stores nothing and records no run."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawler.discovery.jsonlists import JsonFields
from crawler.failures import NotJSON, NotListing, TooLarge, describe_failure
from crawler.learn.urls import ArticleUrls, learn_article_urls
from crawler.spiders.discovery import MAX_HOPS, listing_of

MAX_DOCUMENTS = 30  # discovery documents the probe reads at most: a sitemap index of thousands is sampled
FEEDS = "link[rel~=alternate][type*=rss]::attr(href), link[rel~=alternate][type*=atom]::attr(href)"
# a crawl that only reads: no store, no run record, no frontier, no WARC; every other component
# of the project's (its offsite, robots.txt, redirect and retry middlewares) as in any crawl
OFF: dict[str, tuple[str, ...]] = {
    "ITEM_PIPELINES": (
        "crawler.pipelines.CleanPipeline",
        "crawler.monitors.MonitorPipeline",
        "crawler.pipelines.ValidatePipeline",
        "crawler.pipelines.DedupPipeline",
        "crawler.pipelines.MongoPipeline",
    ),
    "EXTENSIONS": (
        "crawler.store.extension.StoreExtension",
        "crawler.runs.RunRecorder",
        "crawler.alerts.notifier.AlertNotifier",
        "crawler.frontier.scheduler.Leases",
        "crawler.frontier.rounds.RoundRecorder",
        "crawler.archive.index.CaptureIndex",
    ),
    "SPIDER_MIDDLEWARES": (
        "crawler.incremental.IncrementalMiddleware",
        "crawler.frontier.scheduler.LeaseMiddleware",
        "crawler.frontier.scheduler.RoundSeedMiddleware",
        "crawler.rechecks.RecheckMiddleware",
    ),
    "DOWNLOADER_MIDDLEWARES": (
        "crawler.conditional.ConditionalListingMiddleware",
        "crawler.frontier.politeness.SharedPolitenessMiddleware",
        "crawler.archive.capture.CaptureMiddleware",
    ),
}


@dataclass
class Probe:
    """What `crawler source add` asks of a site, and what the crawl found."""

    start_urls: list[str]
    domain: str  # the site's: its host and subdomains are crawled, nothing else
    sample_size: int
    timezone: str = "Asia/Shanghai"
    links: list[str] = field(default_factory=list)  # every URL the discovery documents list, in order
    documents: dict[str, str] = field(default_factory=dict)  # discovery documents read, and their kind
    articles: ArticleUrls | None = None
    pages: dict[str, tuple[bytes, str | None]] = field(default_factory=dict)  # sampled: body, Content-Type
    failed: dict[str, str] = field(default_factory=dict)  # URLs that gave nothing, and why

    def discovery_urls(self) -> list[str]:
        """What a crawl of the source starts from: the given pages, then the feeds and sitemaps
        found (in the order of their URLs, the same whichever answered first)."""
        read = sorted(url for url, kind in self.documents.items() if kind in ("feed", "sitemap"))
        return list(dict.fromkeys([*self.start_urls, *read]))


class ProbeSpider(scrapy.Spider):
    name = "probe"
    custom_settings = {"SCHEDULER": "scrapy.core.scheduler.Scheduler"}  # never a shared frontier

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        """The project's components less OFF: a component dict in custom_settings would replace
        the project's whole dict (and bring back Scrapy's robots.txt and retry middlewares)."""
        super().update_settings(settings)
        for name, off in OFF.items():
            settings.set(name, {**settings.getdict(name), **dict.fromkeys(off)}, priority="spider")

    def __init__(self, probe: Probe, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probe = probe
        self.allowed_domains = [probe.domain]
        self.sampling = False
        self.documents_asked = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.probe.start_urls:
            yield self.document(urljoin(url, "/robots.txt"), 0)
            yield self.document(url, 0)

    def document(self, url: str, hops: int) -> scrapy.Request:
        self.documents_asked += 1
        return scrapy.Request(url, callback=self.read, errback=self.failed, meta={"hops": hops})

    def read(self, response: Response) -> Iterable[scrapy.Request]:
        """A discovery document: its links kept, the documents it names read next."""
        max_size = self.settings.getint("DOWNLOAD_MAXSIZE")
        try:
            listing = listing_of(response, max_size, JsonFields(), self.probe.timezone)
        except (NotListing, NotJSON, TooLarge) as exc:
            self.probe.failed[response.url] = str(exc)
            return
        self.probe.documents[response.url] = listing.kind
        for entry in listing.entries:
            self.probe.links += [urljoin(response.url, u) for u in (entry.url, *entry.alternates)]
        hops = response.meta["hops"]
        follow = [entry.url for entry in listing.follow]
        if listing.kind == "listing" and isinstance(response, TextResponse):
            follow += response.css(FEEDS).getall()
        room = MAX_DOCUMENTS - self.documents_asked
        for url in spread(follow, max(room, 0)) if hops < MAX_HOPS else ():
            yield self.document(urljoin(response.url, url), hops + 1)

    def idle(self) -> None:
        """When the probe is done, the sample: the article pages spread over what was found."""
        if self.sampling:
            return
        self.sampling = True
        articles = learn_article_urls(self.probe.links, self.probe.domain)
        self.probe.articles = articles
        if articles is None:
            return
        # in URL order: the same sample whichever document answered first (dates in URLs spread it)
        found = sorted({u for u in self.probe.links if re.search(articles.pattern, u)})
        engine = self.crawler.engine
        assert engine is not None
        for url in spread(found, self.probe.sample_size):
            engine.crawl(scrapy.Request(url, callback=self.keep, errback=self.failed))
        raise DontCloseSpider

    def keep(self, response: Response) -> None:
        content_type = response.headers.get(b"Content-Type")
        self.probe.pages[response.url] = (
            response.body,
            content_type.decode("latin-1") if content_type else None,
        )

    def failed(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        self.probe.failed[url] = describe_failure(failure).message


def spread(urls: list[str], most: int) -> list[str]:
    """At most `most` of the URLs, evenly spread over the list (in URL order: each section of the
    site, older and newer), so that every template the site uses has its chance to be seen."""
    if len(urls) <= most:
        return urls
    if most <= 0:
        return []
    step = len(urls) / most
    return [urls[int(i * step)] for i in range(most)]


def site_domain(url: str) -> str:
    """The domain a site's source owns, from one of its URLs: its host less `www.` or `m.`."""
    host = (urlsplit(url).hostname or "").lower()
    return re.sub(r"^(?:www|m|wap)\.", "", host)
