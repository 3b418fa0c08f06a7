"""A stored page through the real spider's extraction and the cleaning step, without a crawl:
for fixtures, benchmarks and tests (`process_page`), and for `crawler extract` and re-extraction
(`offline_article`: every step a crawl's pipelines take before the store, as plain calls). Bytes
go through Scrapy's own decoding, as in a crawl."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings

from crawler.clean import clean_article, cleaned
from crawler.dedup.fingerprint import fingerprint
from crawler.dedup.index import as_document
from crawler.default_settings import CLEAN_MIN_BODY_CHARS
from crawler.extract.article import Extracted, extract_article
from crawler.extract.charset import looks_binary, page_text
from crawler.extract.html import css, parse_html
from crawler.failures import BadURL, Failed, FetchFailed, NotHTML, Reason
from crawler.items import Article, RawArticle
from crawler.pipelines import unfit
from crawler.sources import BUILT_IN, Registry
from crawler.sources.spec import SourceSpec
from crawler.urls import check_url

OFFLINE_HOST = "https://offline.invalid/"  # a saved page that names no URL of its own (RFC 2606)
OWN_URL = ("link[rel=canonical]", "meta[property='og:url']")


def process_page(
    body: bytes,
    url: str,
    source: str,
    content_type: str = "text/html",
    min_chars: int = CLEAN_MIN_BODY_CHARS,
    sources: Registry = BUILT_IN,
) -> Article:
    """The page's article as the source's spider extracts it, cleaned: no spider, no crawl."""
    spec = sources.spec_for(source)
    response = HtmlResponse(url=url, body=body, headers={"Content-Type": content_type})
    article, _ = clean_article(raw_article(extract_page(spec, *page_of(response), min_chars)), spec.noise)
    return article


def offline_article(pages: Sequence[OfflinePage], spec: SourceSpec, settings: BaseSettings) -> Article:
    """The article a crawl's spider and pipelines make of an article's pages, in order, before
    the store: extracted, joined, cleaned, checked and fingerprinted; `Failed` says why the pages
    give none."""
    min_chars = settings.getint("CLEAN_MIN_BODY_CHARS")
    first, *later = pages
    raw = raw_article(_offline_page(spec, first, min_chars))
    for page in later:
        joined(raw, _offline_page(spec, page, min_chars), page.capture)
    article, _, _ = cleaned(raw, spec.noise, settings.getint("TITLE_MAX_CHARS"))
    problem = unfit(article, min_chars)
    if problem is not None:
        raise Failed(problem.reason, problem.message)
    article.dedup = as_document(fingerprint(article.body))
    return article


@dataclass(frozen=True)
class OfflinePage:
    """A page as kept: its bytes, URL and Content-Type, and where it is kept (`capture`)."""

    body: bytes
    url: str
    content_type: str | None
    capture: dict[str, Any] | None = None


def _offline_page(spec: SourceSpec, page: OfflinePage, min_chars: int) -> Extracted:
    """One kept page's extraction, its bytes decoded as Scrapy decodes a response."""
    headers = {b"Content-Type": page.content_type.encode("latin-1")} if page.content_type else {}
    kind = responsetypes.from_args(headers=headers, url=page.url, body=page.body)
    return extract_page(spec, *page_of(kind(url=page.url, body=page.body, headers=headers)), min_chars)


def page_of(response: Response) -> tuple[str, bytes, str | None, bool]:
    """What extraction needs of a response, and nothing that cannot go to another process."""
    html = isinstance(response, HtmlResponse) and not isinstance(response, XmlResponse)
    return response.url, response.body, header(response, b"Content-Type"), html


def extract_page(
    spec: SourceSpec, url: str, body: bytes, content_type: str | None, html: bool, min_chars: int
) -> Extracted:
    """One page's article by the source's layouts (else the generic path): a plain function of
    plain values, so that it runs in a page worker, thread or process (crawler/pagework.py)."""
    if not html:
        raise FetchFailed(Reason.NOT_HTML, f"not an HTML page (Content-Type: {content_type or 'unknown'})")
    if not body.strip():
        raise FetchFailed(Reason.EMPTY_PAGE, "empty page")
    if looks_binary(body, content_type):
        raise FetchFailed(Reason.NOT_HTML, "not an HTML page (binary content served as text/html)")
    try:
        page = extract_article(
            page_text(body, content_type),
            url,
            spec.name,
            spec.layouts,
            spec.timezone,
            min_chars,
            spec.deleted_notices,
            outlet_names=spec.names,
        )
    except NotHTML as exc:
        raise FetchFailed(Reason.NOT_HTML, str(exc)) from None
    page.article.url = spec.canonical(page.article.url)
    return spec.after_extract(page) if spec.after_extract else page


def raw_article(page: Extracted) -> RawArticle:
    """A one-page article as cleaning takes it."""
    return RawArticle(page.article, [page.body_html], page.link_texts)


def joined(raw: RawArticle, page: Extracted, capture: dict[str, Any] | None) -> None:
    """A later page of the article joins the pages before it: its body block after theirs, its
    link texts and images with theirs, and where its response is kept (`capture`) after theirs."""
    raw.pages_html.append(page.body_html)
    raw.link_texts = raw.link_texts | page.link_texts
    article = raw.article
    article.images = list(dict.fromkeys([*article.images, *page.article.images]))
    article.pages += 1
    article.page_captures = [*article.page_captures, capture]


def header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def saved_page_url(body: bytes, name: str) -> str:
    """The URL a saved page names for itself (its canonical link, og:url), else one under
    offline.invalid after its file name."""
    try:
        root = parse_html(page_text(body, None))  # a GBK page as a crawl reads it
    except NotHTML:
        root = None
    for selector in OWN_URL if root is not None else ():
        for element in css(selector)(root):
            try:
                return check_url((element.get("href") or element.get("content") or "").strip())
            except BadURL:
                continue
    return OFFLINE_HOST + PurePath(name).name
