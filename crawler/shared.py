"""A crawler that uses what its process holds already for every crawl it runs, instead of
opening its own: the API serves each fetch with a crawl of its own, and all of them write with
the process's one store client (crawler/store/extension.py), extract in its one pool of page
threads (crawler/pagework.py) and keep their pages in its one WARC writer (crawler/archive)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.crawler import Crawler

if TYPE_CHECKING:  # annotations only: the extensions that read these import this module
    from crawler.archive.capture import Capture
    from crawler.pagework import PageWork
    from crawler.store.ingest import Store


class SharedCrawler(Crawler):
    store: Store | None = None
    page_work: PageWork | None = None
    capture: Capture | None = None
