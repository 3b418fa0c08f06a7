"""The spider every source shares: a source's spider is `SourceSpider.of(its spec)`
(crawler/sources/spec.py, what differs between sites). `parse` handles one
article (its first page, then its next pages when it has them), so `scrapy crawl <source> -a url=...`,
`crawler fetch URL` and an HTTP front need no extra arguments. Discovery starts from
`spec.start_urls` (or `-a start_urls=URL,URL`): listing pages, feeds, sitemaps and sitemap indexes
(gzipped or not), news sitemaps, JSON/JSONP lists or robots.txt, each told by what it is
(crawler/discovery/); listing pages' pagination is followed up to `max_depth`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Self
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.conditional import NotModified
from crawler.contracts import contract_methods
from crawler.discovery.documents import read_document, recognise
from crawler.discovery.entries import Entry, Listing
from crawler.discovery.sitemaps import unpacked
from crawler.extract.article import Extracted
from crawler.extract.charset import looks_binary, page_text
from crawler.extract.removal import redirected_away
from crawler.failures import Failed, NotJSON, NotListing, Problem, Reason, Skipped, TooLarge, describe_failure
from crawler.items import RawArticle
from crawler.pagework import page_work
from crawler.process import extract_page, header, page_of
from crawler.rechecks import due, recheck_requests
from crawler.runs import seeds_discovery
from crawler.signals import article_checked
from crawler.sources.spec import SourceSpec
from crawler.store.versions import Check
from crawler.urls import check_url

DEFAULT_MAX_DEPTH = 2  # listing pages followed through pagination, counted from a start URL
ABSOLUTE = ("http://", "https://")
MAX_HOPS = 3  # robots.txt -> sitemap index -> sitemap is two; more is a loop or a trap
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


class SourceSpider(scrapy.Spider):
    """Shared discovery and article parsing; a source's spider is `SourceSpider.of(its spec)`."""

    spec: ClassVar[SourceSpec]
    options: RunOptions  # the crawl's settings for it, read once (from_crawler)

    @classmethod
    def of(cls, spec: SourceSpec) -> type[SourceSpider]:
        """The spider of a source, made from its spec: Scrapy's `name` is the spec's."""
        title = "".join(part.capitalize() for part in spec.name.split("_"))
        members = {"name": spec.name, "spec": spec, "__module__": cls.__module__}
        return type(f"{title}Spider", (cls,), members | contract_methods(spec.name, cls.parse))

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.options = RunOptions.of(crawler.settings)
        return spider

    @classmethod
    def handles_request(cls, request: scrapy.Request) -> bool:
        """Whether the source owns the URL's host: how `scrapy fetch URL` and `scrapy shell` pick a
        spider (the domains are the spec's; `allowed_domains` is only set on an instance)."""
        return cls.spec.owns(urlsplit(request.url).hostname or "")

    def __init__(
        self,
        url: str | None = None,
        urls: list[str] | None = None,
        max_depth: int | str = DEFAULT_MAX_DEPTH,
        start_urls: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.allowed_domains = list(self.spec.domains)
        self.start_override = [check_url(u) for u in start_urls.split(",")] if start_urls else None
        self.urls = [check_url(u) for u in ([url] if url else []) + (urls or [])]
        self.max_depth = int(max_depth)
        self.failures: list[tuple[str, Problem]] = []

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.urls:
            yield scrapy.Request(
                url, callback=self.parse, errback=self.on_error, dont_filter=True, meta={"requested_url": url}
            )
        if not self.urls and not seeds_discovery(self.crawler):  # distributed: the round's seed starts it
            for request in self.discovery_requests():
                yield request

    def discovery_requests(self) -> list[scrapy.Request]:
        """The listing pages a discovery crawl starts from, and the stored articles due for a
        re-check (crawler/rechecks.py); in a distributed crawl, the worker that takes the round's
        seed entry calls this."""
        listings = [
            scrapy.Request(url, callback=self.parse_listing, errback=self.on_error, meta={"listing_depth": 0})
            for url in self.discovery_urls()
        ]
        rechecks = recheck_requests(due(self.crawler, self.name), self.parse, self.on_error)
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("recheck/due", len(rechecks))
        return listings + rechecks

    def discovery_urls(self) -> list[str]:
        """`-a start_urls=...`, else SOURCE_START_URLS[name], else the spec's own."""
        configured = self.options.start_urls.get(self.name)
        return self.start_override or [check_url(u) for u in configured or self.spec.start_urls]

    async def parse(self, response: Response, **kwargs: Any) -> AsyncIterator[RawArticle | scrapy.Request]:
        """One article page in, one RawArticle out (or a recorded failure); a multi-page article's
        first page goes on to its next page, and the article comes out of the last. The page is
        extracted by the crawl's page workers (crawler/pagework.py): the API's processes, off its reactor."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("monitor/article_pages")
        requested = response.meta.get("requested_url", response.url)
        away = redirected_away(
            response.meta.get("redirect_urls", [response.url])[0],
            response.url,
            self.spec.is_article(response.url),
        )
        if away:
            self.removed(requested, away, response)
            return
        try:
            page = await self.extracted(response)
        except Failed as exc:
            self.fail(requested, exc.problem)
            return
        if page.deleted_notice:
            self.removed(requested, "deleted_page", response, f"the page says {page.deleted_notice}")
            return
        back = response.meta.get("pages_back", 0)
        if page.earlier_page and back < self.options.max_pages:
            yield scrapy.Request(
                page.earlier_page,
                callback=self.parse,
                errback=self.on_error,
                dont_filter=True,
                meta={"requested_url": requested, "pages_back": back + 1},
            )
            return  # a later page: the article starts earlier, and is read from there
        article = page.article
        article.etag = header(response, b"ETag")
        article.capture = response.meta.get("capture")  # the WARC record of this page (WARC_CAPTURE)
        article.last_modified = header(response, b"Last-Modified")
        if page.fallback:
            self.crawler.stats.inc_value(f"extraction/fallback/{page.fallback}")
            self.logger.info("%s: %s", response.url, article.extracted_why)
        raw = RawArticle(article, [page.body_html], page.link_texts)
        for result in self.stitched(raw, page.next_page, [response.url], requested):
            yield result

    async def parse_page(self, response: Response) -> AsyncIterator[RawArticle | scrapy.Request]:
        """A later page of a multi-page article: its body joins the pages before it, in order."""
        raw, seen, requested = (
            response.meta["raw_article"],
            response.meta["pages_seen"],
            response.meta["requested_url"],
        )
        try:
            page = await self.extracted(response)
        except Failed as exc:
            yield self.without_rest(raw, len(seen) + 1, response.url, exc.problem)
            return
        raw.pages_html.append(page.body_html)
        raw.link_texts = raw.link_texts | page.link_texts
        article = raw.article
        article.images = list(dict.fromkeys([*article.images, *page.article.images]))
        article.pages += 1
        for result in self.stitched(raw, page.next_page, [*seen, response.url], requested):
            yield result

    def stitched(
        self, raw: RawArticle, following: str | None, seen: list[str], requested: str
    ) -> Iterator[RawArticle | scrapy.Request]:
        """The request for the article's next page (`following`), or the article when it has
        none, when the next page is one already read (a loop), or when ARTICLE_MAX_PAGES pages are
        read."""
        most = self.options.max_pages
        if following and following not in seen and raw.article.pages < most:
            yield scrapy.Request(
                following,
                callback=self.parse_page,
                errback=self.on_page_error,
                dont_filter=True,
                meta={"raw_article": raw, "pages_seen": seen, "requested_url": requested},
            )
            return
        if following and following not in seen:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("extraction/pages_capped")
            raw.article.extracted_why += f"; stopped at ARTICLE_MAX_PAGES ({most}) pages, more follow"
        yield raw

    def on_page_error(self, failure: Failure) -> Iterator[RawArticle]:
        """A later page that could not be fetched: the pages that came are the article."""
        request = failure.request  # type: ignore[attr-defined]
        page = len(request.meta["pages_seen"]) + 1
        yield self.without_rest(request.meta["raw_article"], page, request.url, describe_failure(failure))

    def without_rest(self, raw: RawArticle, page: int, url: str, problem: Problem) -> RawArticle:
        """The article as far as its pages came: a later page that failed (a 404, a page gone for
        good) never costs the pages before it. The article says which page is missing and why, the
        run counts it, and re-checks fetch the article again until the page comes."""
        why = f"page {page} of the article ({url}) failed: {problem.message}"
        raw.article.pages_missing = [page]
        raw.article.pages_missing_why = why
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("extraction/pages_missing")
        self.logger.warning("%s: %s; stored without it, re-checks try it again", raw.article.url, why)
        return raw

    async def extracted(self, response: Response) -> Extracted:
        """The page's article, extracted by the crawl's page workers (crawler/pagework.py)."""
        work = page_work(self.crawler)
        return await work.run(extract_page, self.spec, *page_of(response), self.options.min_body_chars)

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        """Any discovery document, told by what it is: a listing page (its pagination followed
        within `max_depth`), a feed, a sitemap or news sitemap, a sitemap index or robots.txt (the
        sitemaps they name read next), or a JSON/JSONP list. Article URLs go to `parse` unless
        their dates put them before DISCOVERY_MAX_AGE_HOURS."""
        try:
            listing = self.listing(response)
        except TooLarge as exc:
            self.fail(response.url, Problem(Reason.TOO_LARGE, str(exc)))
            return
        except NotJSON as exc:
            self.fail(response.url, Problem(Reason.NOT_JSON, str(exc)))
            return
        except NotListing as exc:
            self.fail(response.url, Problem(Reason.NOT_LISTING, str(exc)))
            return
        depth, hops = response.meta.get("listing_depth", 0), response.meta.get("discovery_hops", 0)
        cutoff = self.cutoff()
        stats = self.crawler.stats
        assert stats is not None
        for child in listing.follow if hops < MAX_HOPS else ():
            if cutoff and child.older_than(cutoff):
                stats.inc_value(f"discovery/{listing.kind}/too_old")
                continue
            yield response.follow(
                child.url,
                callback=self.parse_listing,
                errback=self.on_error,
                meta={"listing_depth": depth, "discovery_hops": hops + 1},
            )
        for entry in listing.entries:
            candidates = (
                u if u.startswith(ABSOLUTE) else urljoin(response.url, u)
                for u in (entry.url, *entry.alternates)
            )
            url = next((u for u in candidates if self.spec.is_article(u)), None)
            if url is None:
                continue
            stats.inc_value(f"discovery/{listing.kind}/found")
            if cutoff and entry.older_than(cutoff):
                stats.inc_value(f"discovery/{listing.kind}/too_old")
                continue
            modified = entry.modified.timestamp() if entry.modified else None
            yield scrapy.Request(
                url,
                callback=self.parse,
                errback=self.on_error,
                meta={"discovered_by": listing.kind, "listed_modified": modified},
            )
        if listing.kind == "listing" and depth < self.max_depth and isinstance(response, TextResponse):
            for selector in self.spec.pagination:
                for href in response.css(selector).xpath("@href").getall():
                    yield response.follow(
                        href,
                        callback=self.parse_listing,
                        errback=self.on_error,
                        meta={"listing_depth": depth + 1},
                    )

    def listing(self, response: Response) -> Listing:
        """What a discovery response lists; an HTML page's links, in page order, as a `listing`."""
        body = unpacked(response.body, response.meta.get("download_maxsize", self.options.download_maxsize))
        kind = recognise(body)
        if kind != "html":
            text = (
                page_text(body, (response.headers.get("Content-Type") or b"").decode("latin-1"))
                if kind == "json"
                else ""
            )
            return read_document(kind, body, text, response.url, self.spec.json_fields, self.spec.timezone)
        if looks_binary(body):
            raise NotListing("not a listing page, feed, sitemap, JSON list or robots.txt (binary content)")
        if not isinstance(response, TextResponse) or body is not response.body:
            response = HtmlResponse(response.url, body=body)
        hrefs = response.css("a::attr(href)").getall()
        return Listing(
            "listing",
            entries=[Entry(u) for u in dict.fromkeys(urljoin(response.url, h.strip()) for h in hrefs)],
        )

    def cutoff(self) -> datetime | None:
        """Entries dated before this are not requested; None when DISCOVERY_MAX_AGE_HOURS is 0."""
        hours = self.options.max_age_hours
        return datetime.now(UTC) - timedelta(hours=hours) if hours > 0 else None

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

    def removed(self, url: str, how: str, response: Response, why: str = "") -> None:
        """An article page that says the article is gone: a removal of the stored article, and for
        a page asked for by hand, a failure that says so."""
        self.check(Check(url, datetime.now(UTC), "removed", how, response.meta.get("capture")))
        if not response.meta.get("recheck"):
            where = why or f"it redirects to {response.url}"
            self.fail(url, Problem(Reason.REMOVED, f"the article is gone ({how}): {where}"))

    def check(self, check: Check) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"recheck/{check.outcome}")
        self.crawler.signals.send_catch_log(signal=article_checked, check=check)

    def fail(self, url: str, problem: Problem) -> None:
        self.failures.append((url, problem))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"fetch/failed/{problem.reason}")
        self.logger.warning("%s: %s", url, problem.message)
