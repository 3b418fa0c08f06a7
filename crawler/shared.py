"""A crawler that uses what its process holds already for every crawl it runs, instead of
opening its own: the API serves each fetch with a crawl of its own, and all of them write with
the process's one store (crawler/store/extension.py), extract in its one pool of page workers
(crawler/pagework.py) and keep their pages in its one WARC writer (crawler/archive). Each
component asks `given(crawler, ItsType)` and makes its own when nothing was given, so this module
knows none of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, cast

from scrapy.crawler import Crawler

T = TypeVar("T")


class SharedCrawler(Crawler):
    def __init__(self, spidercls: Any, settings: Any, given: Iterable[object] = (), **kwargs: Any) -> None:
        super().__init__(spidercls, settings, **kwargs)
        self.given = {type(obj): obj for obj in given if obj is not None}


def given(crawler: Crawler, kind: type[T]) -> T | None:
    """What the crawler's process gave it of `kind` (a SharedCrawler's), else None."""
    found = crawler.given.get(kind) if isinstance(crawler, SharedCrawler) else None
    return cast("T | None", found)
