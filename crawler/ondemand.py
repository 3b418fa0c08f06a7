"""On-demand fetch of given URLs through the same spiders and pipelines as a crawl.

Each URL goes to the spider whose source owns its host (else the generic one), passed as the
spider's `urls` argument, so the spider requests exactly those URLs with the article callback
and never its discovery pages, whatever else runs in the process. `crawler fetch` and the API
both fetch through `OnDemand`, and both turn what came back into an `Outcome` the same way.
An on-demand fetch is not a run of its source: no run record is written for it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import CrawlerRunner
from scrapy.http import Response
from scrapy.settings import Settings
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.defer import Deferred, DeferredList

from crawler.archive.capture import Capture
from crawler.failures import NO_ARTICLE, BadURL, Problem, Reason, StoreUnavailable
from crawler.pagework import PageWork
from crawler.shared import SharedCrawler
from crawler.signals import articles_spooled, articles_unsaved
from crawler.spiders import RegistrySpiderLoader
from crawler.store.ingest import Store
from crawler.store.jsonout import article_json
from crawler.store.repositories import Articles
from crawler.urls import check_url


@dataclass
class Outcome:
    url: str
    article: dict[str, Any] | None = None
    problem: Problem | None = None


def fetch_settings(settings: Settings, store: bool) -> Settings:
    """Settings for fetching a few pages now: over project values, under `-s` from the command line."""
    settings = settings.copy()
    overrides = {
        "DOWNLOAD_TIMEOUT": settings.getfloat("FETCH_TIMEOUT"),
        "RETRY_TIMES": 1,
        "AUTOTHROTTLE_ENABLED": False,  # one page per site: nothing to adapt to
        "DOWNLOAD_DELAY": 0,
        "MONGO_OUTAGE_LIMIT": 0,  # someone is waiting: with the store down, spool at once and say so
    }
    for name, value in overrides.items():
        settings.set(name, value, priority="spider")
    settings.set(
        "EXTENSIONS", {**settings.getdict("EXTENSIONS"), "crawler.runs.RunRecorder": None}, priority="cmdline"
    )
    if not store:
        pipelines = dict(settings.getdict("ITEM_PIPELINES"))
        pipelines.pop("crawler.pipelines.MongoPipeline", None)
        settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    return settings


@dataclass
class Fetched:
    """What the crawls of one on-demand fetch gave back, by the URL asked for."""

    items: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, Problem] = field(default_factory=dict)
    crawlers: list[SharedCrawler] = field(default_factory=list)
    not_stored: dict[str, Problem] = field(default_factory=dict)  # by the article's URL: why not
    timed_out: Problem | None = None  # set when the fetch's time ran out, for the URLs it left
    settled: set[str] = field(default_factory=set)  # the URLs answered (either way) before it ran out

    def watch(self, crawler: SharedCrawler) -> None:
        crawler.signals.connect(self.scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.spooled, signal=articles_spooled)
        crawler.signals.connect(self.unsaved, signal=articles_unsaved)
        self.crawlers.append(crawler)

    def spooled(self, spooled: list[tuple[str, str]], path: str) -> None:
        for url, why in spooled:
            self.not_stored[url] = Problem(
                Reason.NOT_STORED, f"not stored ({why}): the article waits in {path}"
            )

    def unsaved(self, unsaved: list[tuple[str, str]]) -> None:
        for url, why in unsaved:
            self.not_stored[url] = Problem(Reason.NOT_STORED, f"neither stored nor spooled ({why})")

    def scraped(self, item: Any, response: Response) -> None:
        self.items[response.meta.get("requested_url", response.url)] = item

    def dropped(self, item: Any, response: Response, exception: Exception) -> None:
        problem = getattr(exception, "problem", None) or Problem(Reason.NO_ARTICLE, str(exception))
        self.problems[response.meta.get("requested_url", response.url)] = problem

    def collect_failures(self) -> None:
        for crawler in self.crawlers:
            for url, problem in getattr(crawler.spider, "failures", []):
                self.problems[url] = problem


class OnDemand:
    """Fetches URLs now, on a process's crawler runner, into its store (None: print only),
    extracting in the process's page workers when it holds them (else each crawl has its own)."""

    def __init__(
        self,
        runner: CrawlerRunner,
        settings: Settings,
        store: Store | None,
        work: PageWork | None = None,
        capture: Capture | None = None,
    ) -> None:
        self.runner = runner
        self.settings = fetch_settings(settings, store is not None)
        self.store = store
        self.work = work
        self.capture = capture
        self.spiders = RegistrySpiderLoader(settings)  # the sources this deployment has

    def crawl(self, urls: list[str]) -> tuple[Fetched, Deferred[Any]]:
        """Start the crawls; the Deferred fires when they are all done."""
        fetched = Fetched()
        groups: dict[type[Spider], list[str]] = defaultdict(list)
        for url in urls:
            try:
                groups[self.spiders.for_url(check_url(url))].append(url)
            except BadURL as exc:
                fetched.problems[url] = Problem(Reason.BAD_URL, str(exc))
        runs = []
        for spider_cls, group in groups.items():
            crawler = SharedCrawler(spider_cls, self.settings, given=(self.store, self.work, self.capture))
            fetched.watch(crawler)
            runs.append(self.runner.crawl(crawler, urls=group))
        return fetched, DeferredList(runs, consumeErrors=True)

    def stop(self, fetched: Fetched) -> None:
        """Stop the fetch's crawls that are still fetching; one whose pages are all in goes on to
        store what it has (its articles are counted: they are stored, spooled or said)."""
        for crawler in fetched.crawlers:
            engine = crawler.engine
            if crawler.crawling and engine is not None and not engine.spider_is_idle():
                deferred_from_coro(crawler.stop_async())

    def limit(self, fetched: Fetched, seconds: float, why: str) -> None:
        """The fetch's whole budget, retries and later pages included: once `seconds` have passed
        its crawls stop, and each URL with no answer yet has timed out (`why`). For a process
        whose reactor stops with its crawls (`crawler fetch`)."""
        from twisted.internet import reactor  # the one installed by now

        def over_time() -> None:
            fetched.collect_failures()
            fetched.settled = set(fetched.items) | set(fetched.problems)
            fetched.timed_out = Problem(Reason.TIMED_OUT, why)
            self.stop(fetched)  # what fails from here on failed for the lack of time

        reactor.callLater(seconds, over_time)

    def outcomes(self, urls: list[str], fetched: Fetched) -> list[Outcome]:
        """One Outcome per URL, in the order given: the stored article as the store has it (with
        version, first_seen, ...), or the article as extracted when not storing, or why not.
        Reads the store: call it off the reactor thread."""
        fetched.collect_failures()
        stored = self.read_back([item.url for item in fetched.items.values()]) if self.store else {}
        outcomes = []
        for url in urls:
            item = fetched.items.get(url)
            if url in fetched.problems or item is None:
                problem = fetched.problems.get(url, NO_ARTICLE)
                if fetched.timed_out and url not in fetched.settled:
                    problem = fetched.timed_out
                outcomes.append(Outcome(url, problem=problem))
            elif self.store is None:
                outcomes.append(Outcome(url, article=article_json(item)))
            elif item.url in stored:
                outcomes.append(Outcome(url, article=stored[item.url]))
            else:
                outcomes.append(Outcome(url, problem=fetched.not_stored.get(item.url, UNREAD)))
        return outcomes

    def read_back(self, urls: list[str]) -> dict[str, dict[str, Any]]:
        assert self.store is not None
        if not urls:
            return {}
        try:
            return Articles(self.store.client).as_json(urls)
        except StoreUnavailable:  # an unreachable store means "not stored", said per URL
            return {}


# written, as far as the pipeline knows, but the store did not answer when it was read back
UNREAD = Problem(Reason.NOT_STORED, "the store did not answer when the article was read back: fetch it again")
