"""The source spec (what differs between sites) and the spider machinery every source shares.

A source module declares a SourceSpec and a tiny SourceSpider subclass; `parse` handles exactly
one article page, so `scrapy crawl <source> -a url=...`, `crawler fetch URL` and an HTTP front
need no extra arguments. Discovery starts from `spec.start_urls` (or `-a start_urls=URL,URL`: listing pages, RSS feeds or
sitemaps) and follows pagination up to `max_depth`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, TextResponse, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawler.conditional import NotModified
from crawler.default_settings import CLEAN_MIN_BODY_CHARS
from crawler.extract.article import Layout, extract_article
from crawler.extract.charset import looks_binary, page_text
from crawler.extract.html import NotHTML
from crawler.failures import Failed, Problem, Reason
from crawler.items import Article
from crawler.urls import BadURL, check_url

FEED_LINK = re.compile(r"<(?:link|loc)>\s*(?:<!\[CDATA\[)?\s*(https?://[^<\s\]]+)", re.I)
# IgnoreRequest messages of Scrapy's own middlewares that mean "skipped on purpose", not a failure
SKIPPED = ("Filtered offsite request", "Forbidden by robots.txt")
DEFAULT_MAX_DEPTH = 2  # listing pages followed through pagination, counted from a start URL


@dataclass(frozen=True)
class SourceSpec:
    """Everything that makes one news site different from another."""

    name: str
    domains: tuple[str, ...]
    article_pattern: str  # regex searched in the absolute URL of an article page
    layouts: tuple[Layout, ...]  # the site's templates, newest first; empty: the generic path only
    start_urls: tuple[str, ...] = ()
    noise: tuple[str, ...] = ()  # CSS selectors of this site's own noise blocks
    pagination: tuple[str, ...] = ()  # CSS selectors of "next page" links on listing pages
    timezone: str = "Asia/Shanghai"
    names: tuple[str, ...] = ()  # how other sites name this publisher in "来源：X" lines
    reposts: bool = False  # a site that re-posts other outlets' stories: never their original on a tie
    # one article, one URL: the outlet's article id in any of its URLs (a regex with an `id` group),
    # and the URL every form of it is stored under (`{id}` in it)
    article_id: str = ""
    canonical_url: str = ""
    article_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    article_id_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"source name {self.name!r} must be a lower-case identifier")
        object.__setattr__(self, "article_re", re.compile(self.article_pattern))
        object.__setattr__(self, "article_id_re", re.compile(self.article_id) if self.article_id else None)
        if bool(self.article_id) != ("{id}" in self.canonical_url):
            raise ValueError(f"source {self.name!r}: article_id and a canonical_url with {{id}} go together")
        names = [layout.name for layout in self.layouts]
        if len(set(names)) != len(names):
            raise ValueError(f"source {self.name!r}: layout names must be unique, got {names}")

    def is_article(self, url: str) -> bool:
        return bool(self.article_re.search(url))

    def canonical(self, url: str) -> str:
        """The URL the article at `url` is stored under: the same for its mobile, desktop and
        channel URLs, so they are one document and never an original and its mirror."""
        match = self.article_id_re.search(url) if self.article_id_re else None
        return self.canonical_url.format(id=match.group("id")) if match else url

    def owns(self, host: str) -> bool:
        host = host.lower()
        return any(host == d or host.endswith("." + d) for d in self.domains)


class FetchFailed(Failed):
    """A page that was fetched but holds nothing to extract; the message says why."""


class SourceSpider(scrapy.Spider):
    """Shared discovery and article parsing; subclasses only set `name` and `spec`."""

    spec: ClassVar[SourceSpec]

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
        if not self.urls:
            for request in self.discovery_requests():
                yield request

    def discovery_requests(self) -> list[scrapy.Request]:
        """The listing pages a discovery crawl starts from; in a distributed crawl, the worker that
        takes the round's seed entry calls this."""
        return [
            scrapy.Request(url, callback=self.parse_listing, errback=self.on_error, meta={"listing_depth": 0})
            for url in self.discovery_urls()
        ]

    def discovery_urls(self) -> list[str]:
        """`-a start_urls=...`, else SOURCE_START_URLS[name], else the spec's own."""
        configured = self.settings.getdict("SOURCE_START_URLS").get(self.name)
        return self.start_override or [check_url(u) for u in configured or self.spec.start_urls]

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Article]:
        """One article page in, one Article out (or a recorded failure)."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("monitor/article_pages")
        try:
            article = self.extract(response)
        except FetchFailed as exc:
            self.fail(response.meta.get("requested_url", response.url), exc.problem)
            return
        if article.extraction_fallback:
            self.crawler.stats.inc_value(f"extraction/fallback/{article.extraction_fallback}")
            self.logger.info("%s: %s", response.url, article.extracted_why)
        yield article

    def extract(self, response: Response) -> Article:
        if not isinstance(response, HtmlResponse) or isinstance(response, XmlResponse):
            kind = response.headers.get("Content-Type", b"unknown").decode("latin-1")
            raise FetchFailed(Reason.NOT_HTML, f"not an HTML page (Content-Type: {kind})")
        if not response.body.strip():
            raise FetchFailed(Reason.EMPTY_PAGE, "empty page")
        if looks_binary(response.body):
            raise FetchFailed(Reason.NOT_HTML, "not an HTML page (binary content served as text/html)")
        try:
            text = page_text(response.body, response.headers.get("Content-Type", b"").decode("latin-1"))
            settings = getattr(self, "settings", None)  # a spider built without a crawler (process_page)
            min_chars = settings.getint("CLEAN_MIN_BODY_CHARS") if settings else CLEAN_MIN_BODY_CHARS
            article = extract_article(text, response.url, self.name, self.spec.layouts, self.spec.timezone, min_chars)
        except NotHTML as exc:
            raise FetchFailed(Reason.NOT_HTML, str(exc)) from None
        article.url = self.spec.canonical(article.url)
        return article

    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        """Article links go to `parse`; pagination links come back here, within `max_depth`."""
        depth = response.meta.get("listing_depth", 0)
        for url in self.links(response):
            if self.spec.is_article(url):
                yield response.follow(url, callback=self.parse, errback=self.on_error)
        if depth < self.max_depth and isinstance(response, HtmlResponse):
            for selector in self.spec.pagination:
                for href in response.css(selector).xpath("@href").getall():
                    yield response.follow(
                        href, callback=self.parse_listing, errback=self.on_error, meta={"listing_depth": depth + 1}
                    )

    def links(self, response: Response) -> list[str]:
        """Absolute links of a listing page, an RSS/Atom feed or a sitemap, in page order."""
        if isinstance(response, HtmlResponse) and not isinstance(response, XmlResponse):
            hrefs = response.css("a::attr(href)").getall()
            return list(dict.fromkeys(urljoin(response.url, h.strip()) for h in hrefs))
        if isinstance(response, TextResponse):
            return list(dict.fromkeys(m.group(1) for m in FEED_LINK.finditer(response.text)))
        return []

    def on_error(self, failure: Failure) -> None:
        if failure.check(NotModified):  # skipped on purpose, and counted, by a middleware
            return
        if failure.check(IgnoreRequest) and str(failure.value).startswith(SKIPPED):
            return  # offsite or robots.txt: Scrapy counts these, and the run record reports them
        request = getattr(failure, "request", None)
        url = request.meta.get("requested_url", request.url) if request is not None else "?"
        if request is not None and request.callback == self.parse:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("monitor/article_pages")  # expected, though it never came
        self.fail(url, describe_failure(failure))

    def fail(self, url: str, problem: Problem) -> None:
        self.failures.append((url, problem))
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"fetch/failed/{problem.reason}")
        self.logger.warning("%s: %s", url, problem.message)


def describe_failure(failure: Failure) -> Problem:
    """Its reason, and one line a user can act on, for any download failure Scrapy (old or new) reports."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return Problem(Reason.HTTP_ERROR, f"HTTP {exc.response.status}")
    name = type(exc).__name__
    if isinstance(exc, DNSLookupError) or name == "CannotResolveHostError":
        request = getattr(failure, "request", None)
        host = f" for {urlsplit(request.url).hostname}" if request is not None else ""
        return Problem(Reason.DNS_FAILED, f"DNS lookup failed{host}")
    if isinstance(exc, (TimeoutError, TCPTimedOutError)) or name == "DownloadTimeoutError":
        return Problem(Reason.TIMED_OUT, f"timed out ({exc})")
    if isinstance(exc, ConnectionRefusedError) or name == "DownloadConnectionRefusedError":
        return Problem(Reason.CONNECTION_REFUSED, "connection refused")
    if name in ("ResponseNeverReceived", "ConnectionLost", "ConnectionDone", "ResponseFailed"):
        return Problem(Reason.CONNECTION_CLOSED, "connection closed before a response")
    if name == "DownloadFailedError":  # Scrapy >= 2.14 wraps the transport's own error in it
        return Problem(Reason.DOWNLOAD_FAILED, f"download failed ({exc})")
    if isinstance(exc, BadURL):
        return Problem(Reason.BAD_URL, str(exc))
    if isinstance(exc, Failed):  # the API's guard, refusing a target
        return exc.problem
    if name == "DownloadCancelledError" or "DOWNLOAD_MAXSIZE" in str(exc):  # sent, or inflated, past the cap
        return Problem(Reason.TOO_LARGE,
                       "response too large: past the download size limit (counted after decompression), not read further")
    if str(exc) == "max redirections reached":
        return Problem(Reason.TOO_MANY_REDIRECTS, "too many redirects (a loop, or a chain longer than REDIRECT_MAX_TIMES)")
    return Problem(Reason.DOWNLOAD_FAILED, f"{name}: {exc}".strip())
