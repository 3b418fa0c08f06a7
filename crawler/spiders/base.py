"""What every part of a source's spider shares: its spec, the run's options (read once), and how a
page that gave no article is recorded (`fail`, `check`, `on_error`). The parts (articles.py,
discovery.py) build on it; source.py assembles them into the spider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

import scrapy
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.failures import NotModified, Problem, Skipped, describe_failure
from crawler.signals import article_checked
from crawler.sources.spec import SourceSpec
from crawler.store.versions import Check

GONE = {404: "http_404", 410: "http_410"}  # an article page answering these is removed


@dataclass(frozen=True)
class RunOptions:
    """What a crawl's settings tell its spider, read once when the spider is made."""

    max_pages: int  # ARTICLE_MAX_PAGES
    min_body_chars: int  # CLEAN_MIN_BODY_CHARS
    max_age_hours: float  # DISCOVERY_MAX_AGE_HOURS
    download_maxsize: int  # DOWNLOAD_MAXSIZE
    start_urls: dict[str, list[str]]  # SOURCE_START_URLS

    @classmethod
    def of(cls, settings: BaseSettings) -> RunOptions:
        return cls(
            max_pages=settings.getint("ARTICLE_MAX_PAGES"),
            min_body_chars=settings.getint("CLEAN_MIN_BODY_CHARS"),
            max_age_hours=settings.getfloat("DISCOVERY_MAX_AGE_HOURS"),
            download_maxsize=settings.getint("DOWNLOAD_MAXSIZE"),
            start_urls=settings.getdict("SOURCE_START_URLS"),
        )


class SpiderBase(scrapy.Spider):
    spec: ClassVar[SourceSpec]
    options: RunOptions  # the crawl's settings for it, read once (from_crawler)
    failures: list[tuple[str, Problem]]  # the pages that gave no article, and why

    def on_error(self, failure: Failure) -> None:
        if failure.check(NotModified):  # skipped on purpose, and counted, by a middleware
            return
        request = getattr(failure, "request", None)
        if failure.check(Skipped) and not (request is not None and request.meta.get("requested_url")):
            return  # offsite or robots.txt in discovery: Scrapy counts these, the run record reports them
        url = request.meta.get("requested_url", request.url) if request is not None else "?"
        article = request is not None and request.callback == self.parse
        status = failure.value.response.status if failure.check(HttpError) else None
        if article and status == 304:  # a re-check's validators matched: the stored text stands
            self.check(Check(url, datetime.now(UTC), "not_modified"))
            return
        if article and status in GONE:
            evidence = failure.value.response.meta.get("capture")  # the 404's own record
            self.check(Check(url, datetime.now(UTC), "removed", GONE[status], evidence))
            if request is not None and request.meta.get("recheck"):
                return  # the article a round re-checked is gone: recorded, and not a failure of the round
        if article:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("monitor/article_pages")  # expected, though it never came
        self.fail(url, describe_failure(failure))

    def check(self, check: Check) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"recheck/{check.outcome}")
        self.crawler.signals.send_catch_log(signal=article_checked, check=check)

    def fail(self, url: str, problem: Problem) -> None:
        self.failures.append((url, problem))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"fetch/failed/{problem.reason}")
        self.logger.warning("%s: %s", url, problem.message)
