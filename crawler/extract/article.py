"""Extraction: from one page's HTML to an Article whose body is still the raw body container.

Per-source selectors come first; what they do not give comes from the page's own metadata
(JSON-LD, <meta>), then from visible text, and a page no selector fits goes to trafilatura.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml.etree import _Element

from crawler.extract.dates import find_datetime
from crawler.extract.html import NotHTML, collapse, css, parse_html, select_first, text_of
from crawler.extract.meta import (
    AUTHOR_META,
    TIME_META,
    TITLE_META,
    json_ld_articles,
    json_ld_author,
    meta_content,
)
from crawler.items import Article
from crawler.urls import normalise_url, site_of

TITLE_SEPARATORS = re.compile(r"\s*(?:[|_–—]|\s-\s)\s*")
ORIGIN_PREFIX = re.compile(r"^.*?(?:来源|來源|稿源)\s*[:：]\s*")
SWALLOWED_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
TIME_ATTRIBUTES = ("datetime", "content", "data-time", "title")
AUTHOR_LABEL = re.compile(r"^(?:责任编辑|責任編輯|作者|编辑|編輯|记者|記者|文)\s*[:：|]\s*|_[A-Z]{1,4}\d+$")
DATELINE_CHARS = 600  # a dateline in visible text sits near the top; dates further down belong to farms


@dataclass(frozen=True)
class Selectors:
    """CSS selectors of one layout, each tried in order; empty means "use the generic rules"."""

    title: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    time: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    origin: tuple[str, ...] = ()


GENERIC = Selectors()


def extract_article(html: str, url: str, source: str, selectors: Selectors, tz: str) -> Article:
    """The article's fields with `body_html` set to its body container (cleaned later)."""
    root = parse_html(html)
    ld = next(json_ld_articles(root), {})
    title = _title(root, selectors, ld)
    container = select_first(root, selectors.body) if selectors.body else None
    body_html = lxml.html.tostring(container, encoding="unicode") if container is not None else _generic_body(root, url)
    published_at, raw = _published(root, container, selectors, ld, tz)
    return Article(
        url=normalise_url(url),
        source=source,
        site=site_of(url),
        title=title,
        body_html=body_html,
        published_at=published_at,
        published_raw=raw,
        timezone=_tz_name(published_at, tz),
        author=_author(root, selectors, ld),
        origin=_origin(root, selectors),
        images=_images(container, url) if container is not None else [],
    )


def _generic_body(root: _Element, url: str) -> str:
    """trafilatura's choice, from our tree (already decoded right and freed of control bytes),
    minus any <title> broken markup left in the body: its text is raw markup, never the story."""
    tree = deepcopy(root)
    for misplaced in tree.xpath("//body//title"):
        misplaced.drop_tree()
    return trafilatura.extract(tree, url=url, output_format="html", include_comments=False) or ""


def _title(root: _Element, selectors: Selectors, ld: dict) -> str:
    element = select_first(root, selectors.title) if selectors.title else None
    if element is not None and text_of(element):
        return text_of(element)
    candidate = meta_content(root, TITLE_META) or (ld.get("headline") if isinstance(ld.get("headline"), str) else None)
    if candidate:
        return collapse(candidate)
    h1 = root.find(".//h1")
    if h1 is not None and text_of(h1):
        return text_of(h1)
    title = root.find(".//title")
    if title is None:
        return ""
    parts = [p for p in TITLE_SEPARATORS.split(_document_title(title)) if p]
    return max(parts, key=len) if parts else ""


def _document_title(title: _Element) -> str:
    """The <title>'s text. An unclosed <title> takes the rest of the page, markup and all, as its
    text (HTML's rule for it): that text is read as HTML once more, so no markup becomes a title."""
    text = collapse(title.text or "")
    if not SWALLOWED_TAG.search(text):
        return text
    try:
        text = text_of(parse_html(f"<div>{text}</div>"))
    except NotHTML:
        return ""
    return collapse(SWALLOWED_TAG.sub(" ", text))  # a second <title> in it swallowed markup again


def _published(
    root: _Element, container: _Element | None, selectors: Selectors, ld: dict, tz: str
) -> tuple[datetime | None, str | None]:
    for text in _time_candidates(root, container, selectors, ld):
        found = find_datetime(text, tz)
        if found:
            return found
    return None, None


def _time_candidates(root: _Element, container: _Element | None, selectors: Selectors, ld: dict) -> Iterator[str]:
    """Where a publication time may be written, most trustworthy first; lazily, as most pages
    answer from the first."""
    for selector in selectors.time:
        for element in css(selector)(root):
            yield from (element.get(a) or "" for a in TIME_ATTRIBUTES)
            yield text_of(element)
    yield meta_content(root, TIME_META) or ""
    published = ld.get("datePublished")
    yield published if isinstance(published, str) else ""
    yield from (t.get("datetime") or "" for t in root.iter("time"))
    if container is not None:
        yield text_of(container)[:DATELINE_CHARS]
    body = root.find("body")
    if body is not None:
        yield text_of(body)[:DATELINE_CHARS]


def _tz_name(value: datetime | None, default: str) -> str | None:
    if value is None:
        return None
    name = value.tzname() or ""
    return default if getattr(value.tzinfo, "key", None) == default else (name.replace("UTC", "") or "+00:00")


def _author(root: _Element, selectors: Selectors, ld: dict) -> str | None:
    element = select_first(root, selectors.author) if selectors.author else None
    found = text_of(element) if element is not None else ""
    found = found or meta_content(root, AUTHOR_META) or json_ld_author(ld) or ""
    return AUTHOR_LABEL.sub("", found).strip() or None


def _origin(root: _Element, selectors: Selectors) -> str | None:
    element = select_first(root, selectors.origin) if selectors.origin else None
    if element is None:
        return None
    return ORIGIN_PREFIX.sub("", text_of(element)).strip() or None


def _images(container: _Element, base: str) -> list[str]:
    urls: list[str] = []
    for img in container.iter("img"):
        src = img.get("data-src") or img.get("src") or ""
        if src and not src.startswith("data:"):
            absolute = urljoin(base, src.strip())
            if absolute not in urls:
                urls.append(absolute)
    return urls
