"""The bases of the item pipeline stages: what a stage is built with from the crawler. A module of
its own so that stages outside pipelines.py (monitors.py) need not import it."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from crawler.pagework import PageWork, page_work


class BodyFloorPipeline:
    """A stage that needs the stats and the shortest body that still counts as article text."""

    def __init__(self, stats: StatsCollector, min_body_chars: int) -> None:
        self.stats = stats
        self.min_body_chars = min_body_chars

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats, crawler.settings.getint("CLEAN_MIN_BODY_CHARS"))


class PageWorkPipeline:
    """A stage whose work is heavy (cleaning, the fingerprint): it runs in the crawl's page
    threads, and counts in the stats back on the reactor."""

    def __init__(self, stats: StatsCollector, work: PageWork, settings: BaseSettings) -> None:
        self.stats = stats
        self.work = work
        self.settings = settings

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats, page_work(crawler), crawler.settings)
