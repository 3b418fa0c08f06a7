"""A crawler process keeps its start-up objects out of full garbage collections, once."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.gcfreeze import FreezeStartupObjects


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """This test process as a fresh crawler process is: nothing frozen, before and after."""
    gc.unfreeze()
    yield
    gc.unfreeze()


class Cycle:
    def __init__(self) -> None:
        self.me = self


def start_crawl() -> FreezeStartupObjects:
    """A crawl's start as the extension sees it; the extension is returned, held as Scrapy's
    extension manager holds it (signal handlers are weak references)."""
    crawler = get_crawler(settings_dict={"GC_FREEZE_AT_START": True, "EXTENSIONS_BASE": {}})
    extension = FreezeStartupObjects.from_crawler(crawler)
    crawler.signals.send_catch_log(signals.engine_started)
    return extension


def test_the_first_crawl_freezes_the_start_up_objects_and_collects_their_garbage_first(unfrozen) -> None:
    garbage = Cycle()
    gone = weakref.ref(garbage)
    del garbage  # a cycle: only the collector frees it
    start_crawl()
    assert gc.get_freeze_count() > 10_000  # the modules, classes and functions of the imports
    assert gone() is None  # collected, not frozen with the rest


def test_a_later_crawl_of_the_same_process_freezes_nothing_more(unfrozen) -> None:
    start_crawl()
    frozen = gc.get_freeze_count()
    running = [Cycle() for _ in range(100)]  # objects of a crawl that runs beside the next one
    gone = [weakref.ref(each) for each in running]
    start_crawl()
    # frozen objects the first crawl dropped since are freed, so the count may fall; it never grows
    assert gc.get_freeze_count() <= frozen
    del running
    gc.collect()
    assert [ref for ref in gone if ref() is not None] == []  # still collectable: not frozen


def test_it_is_off_with_the_setting() -> None:
    with pytest.raises(NotConfigured):
        FreezeStartupObjects.from_crawler(get_crawler(settings_dict={"GC_FREEZE_AT_START": False}))
