"""On-demand fetch of given URLs through the same spiders and pipelines as a crawl.

Each URL goes to the spider whose source owns its host (else the generic one), with the article
callback, so a single page is handled exactly as in a recurring crawl.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pymongo.errors import PyMongoError
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.http import Response
from scrapy.settings import Settings

from crawler.sources import spider_for_url
from crawler.sources.base import SourceSpider
from crawler.store.client import collection, store_client
from crawler.store.jsonout import article_json
from crawler.urls import BadURL, check_url

NO_ARTICLE = "no article extracted (the page was skipped or redirected off its site)"


@dataclass
class Outcome:
    url: str
    article: dict[str, Any] | None = None
    error: str | None = None


def fetch_settings(settings: Settings, store: bool) -> Settings:
    """Settings for fetching a few pages now: over project values, under `-s` from the command line."""
    settings = settings.copy()
    overrides = {
        "DOWNLOAD_TIMEOUT": settings.getfloat("FETCH_TIMEOUT"),
        "LOG_LEVEL": "WARNING",
        "RETRY_TIMES": 1,
        "AUTOTHROTTLE_ENABLED": False,  # one page per site: nothing to adapt to
        "DOWNLOAD_DELAY": 0,
        "MONGO_OUTAGE_LIMIT": 0,  # someone is waiting: with the store down, spool at once and say so
    }
    for name, value in overrides.items():
        settings.set(name, value, priority="spider")
    if not store:
        pipelines = dict(settings.getdict("ITEM_PIPELINES"))
        pipelines.pop("crawler.pipelines.MongoPipeline", None)
        settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    return settings


def fetch(urls: list[str], settings: Settings, store: bool = True) -> list[Outcome]:
    """Fetch, extract, clean (and store) every URL; one Outcome per URL, in the order given."""
    outcomes = [Outcome(url) for url in urls]
    by_url = {o.url: o for o in outcomes}
    groups: dict[type[SourceSpider], list[str]] = defaultdict(list)
    for outcome in outcomes:
        try:
            groups[spider_for_url(check_url(outcome.url))].append(outcome.url)
        except BadURL as exc:
            outcome.error = str(exc)
    if not groups:
        return outcomes
    settings = fetch_settings(settings, store)
    items: dict[str, Any] = {}

    def scraped(item: Any, response: Response) -> None:
        items[response.meta.get("requested_url", response.url)] = item

    def dropped(item: Any, response: Response, exception: Exception) -> None:
        requested = response.meta.get("requested_url", response.url)
        if requested in by_url:
            by_url[requested].error = str(exception)

    process = CrawlerProcess(settings)
    crawlers: list[Crawler] = []
    for spider_cls, group in groups.items():
        crawler = process.create_crawler(spider_cls)
        crawler.signals.connect(scraped, signal=signals.item_scraped)
        crawler.signals.connect(dropped, signal=signals.item_dropped)
        process.crawl(crawler, urls=group)
        crawlers.append(crawler)
    process.start()
    for crawler in crawlers:
        for url, reason in getattr(crawler.spider, "failures", []):
            if url in by_url:
                by_url[url].error = reason
    stored = read_back(settings, [items[u].url for u in items]) if store else {}
    for outcome in outcomes:
        if outcome.error or outcome.url not in items:
            outcome.error = outcome.error or NO_ARTICLE
            continue
        item = items[outcome.url]
        if not store:
            outcome.article = article_json(item)
        elif item.url in stored:
            outcome.article = stored[item.url]
        else:
            outcome.error = not_stored(settings)
    return outcomes


def not_stored(settings: Settings) -> str:
    return f"not stored: the store was unavailable, the article waits in {settings.get('SPOOL_PATH')}"


def read_back(settings: Settings, urls: list[str]) -> dict[str, dict[str, Any]]:
    """The stored documents as JSON, as the store has them (with version, first_seen, ...):
    the one form `crawler fetch` and the HTTP front both print."""
    if not urls:
        return {}
    with store_client(settings) as client:
        try:
            return {d["url"]: article_json(d) for d in collection(client, settings).find({"url": {"$in": urls}})}
        except PyMongoError:  # an unreachable store means "not stored", said per URL
            return {}
