"""Keep what a crawler process starts with out of Python's full garbage collections.

The cyclic collector walks every object it tracks at each full collection, and most of a crawler's
objects are there from the start: the modules, classes and functions of the project, Scrapy,
Twisted, lxml, the store's client and numpy, which live as long as the process. `gc.freeze()` moves them to
the permanent generation, where no collection looks again: in `bench/crawl.py --sizes 3000` with
pipelines the crawler spends 1.4-1.9 s in the collector, 0.8 s frozen (its `GC s` column; compare
`-s GC_FREEZE_AT_START=False`).

Once per process, when its first crawl has started (the pipelines' imports are done by then): what
is frozen is never collected as cyclic garbage, so freezing at every crawl's start would, in
`crawler schedule` or `crawler api`, pin the objects of the crawls running beside it. Once, it pins
at most what the first crawls had at their start.

A process that serves (the API) freezes at its start instead (`freeze_loaded`), once every
component a crawl uses is imported: its first fetch then pays neither the imports nor the full
collection, which held its reactor for half a second.
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

# the settings that name a crawl's components, by their import paths
COMPONENT_SETTINGS = ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES")
SINGLE_COMPONENTS = ("DOWNLOADER", "SCHEDULER", "SCHEDULER_PRIORITY_QUEUE", "DUPEFILTER_CLASS", "STATS_CLASS")


class FreezeStartupObjects:
    """Freezes the process's objects once its first crawl's engine has started; GC_FREEZE_AT_START."""

    def __init__(self, crawler: Crawler) -> None:
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FreezeStartupObjects:
        if not crawler.settings.getbool("GC_FREEZE_AT_START"):
            raise NotConfigured
        return cls(crawler)

    def engine_started(self) -> None:
        if gc.get_freeze_count() == 0:  # this process's first crawl: nothing frozen yet
            gc.collect()  # garbage of the start-up is collected, not frozen
            gc.freeze()


def freeze_loaded(settings: BaseSettings) -> None:
    """Import every component a crawl with these settings builds, then collect and freeze."""
    paths = [settings[name] for name in SINGLE_COMPONENTS]
    for name in COMPONENT_SETTINGS:
        paths += [path for path, order in settings.getwithbase(name).items() if order is not None]
    paths += [path for path in settings.getwithbase("DOWNLOAD_HANDLERS").values() if path]
    for path in paths:
        load_object(path)
    if settings.getbool("GC_FREEZE_AT_START"):
        gc.collect()
        gc.freeze()
