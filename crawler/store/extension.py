"""One store client per crawl: a Scrapy extension that every component of the crawl asks for its
connection (`store_of(crawler)`), as the frontier's components ask for `Leases`. It is closed
once the engine has stopped, after the run record and the alerts (spider_closed) are written.

A process that holds its own store already (the API: one client for every fetch it serves)
builds its crawlers as `SharedCrawler`s carrying it; their extension hands that one out and leaves
it open."""

from __future__ import annotations

from scrapy import signals
from scrapy.crawler import Crawler

from crawler.shared import given
from crawler.store.client import StoreClient
from crawler.store.ingest import Store


class StoreExtension:
    def __init__(self, client: StoreClient, owned: bool) -> None:
        self.client = client
        self.owned = owned

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoreExtension:
        store = given(crawler, Store)
        extension = cls(store.client if store else StoreClient(crawler.settings), owned=store is None)
        if extension.owned:
            crawler.signals.connect(extension.client.close, signal=signals.engine_stopped)
        return extension


def store_of(crawler: Crawler) -> StoreClient:
    """The crawl's store client (StoreExtension in EXTENSIONS)."""
    extension = crawler.get_extension(StoreExtension)
    assert extension is not None, "StoreExtension is not in EXTENSIONS"
    return extension.client
