"""The article pages of a source's spider: one page in, one RawArticle out (or a recorded failure
or removal); a multi-page article's first page goes on to its next pages, stitched in order, and a
later page asked for leads back to the first."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from crawler.extract.article import Extracted
from crawler.extract.removal import redirected_away
from crawler.failures import Failed, Problem, Reason, describe_failure
from crawler.items import RawArticle
from crawler.pagework import page_work
from crawler.process import extract_page, header, joined, page_of, raw_article
from crawler.spiders.base import SpiderBase
from crawler.store.versions import Check


class ArticlePages(SpiderBase):
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
        raw = raw_article(page)
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
        joined(raw, page, response.meta.get("capture"))  # its WARC record too (WARC_CAPTURE)
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

    def removed(self, url: str, how: str, response: Response, why: str = "") -> None:
        """An article page that says the article is gone: a removal of the stored article, and for
        a page asked for by hand, a failure that says so."""
        self.check(Check(url, datetime.now(UTC), "removed", how, response.meta.get("capture")))
        if not response.meta.get("recheck"):
            where = why or f"it redirects to {response.url}"
            self.fail(url, Problem(Reason.REMOVED, f"the article is gone ({how}): {where}"))
