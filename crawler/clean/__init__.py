"""Cleaning every article passes, whatever produced it: block rules on the body's HTML, then text
rules on its lines. Plain functions, testable and benchmarkable without a crawl."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itemadapter import ItemAdapter

from crawler.clean.audit import Audit
from crawler.clean.blocks import clean_blocks
from crawler.clean.text import clean_lines
from crawler.extract.html import parse_html
from crawler.extract.lang import detect_lang
from crawler.failures import NotHTML
from crawler.items import Article, RawArticle


@dataclass
class CleanBody:
    body: str
    origin: str | None
    original_title: str | None
    audit: Audit


def clean_body(
    body_html: str,
    title: str = "",
    noise_selectors: tuple[str, ...] = (),
    link_texts: frozenset[str] = frozenset(),
) -> CleanBody:
    """The story text of a body container: paragraphs joined by newlines, plus what was lifted out."""
    audit = Audit()
    try:
        root = parse_html(body_html).find("body")
    except NotHTML:
        root = None
    if root is None:
        return CleanBody("", None, None, audit)
    lines = clean_blocks(root, noise_selectors, audit)
    text = clean_lines(lines, title, link_texts)
    audit.merge(text.audit)
    return CleanBody("\n".join(text.lines), text.origin, text.original_title, audit)


def clean_article(raw: RawArticle, noise_selectors: tuple[str, ...] = ()) -> tuple[Article, Audit]:
    """The article with clean `body` made of its pages' body containers (each page cleaned on its
    own: a page's closing farm must not cut the pages after it), lifted origin/original title and
    lang."""
    article = raw.article
    title = article.title or ""
    results = [clean_body(html, title, noise_selectors, raw.link_texts) for html in raw.pages_html or [""]]
    audit = results[0].audit
    for later in results[1:]:
        audit.merge(later.audit)
    body = "\n".join(r.body for r in results if r.body)
    article.body = body
    article.origin = article.origin or next((r.origin for r in results if r.origin), None)
    article.original_title = next((r.original_title for r in results if r.original_title), None)
    article.lang = detect_lang(f"{title}\n{body}")
    article.clean_audit = audit.as_dict()
    if spared := audit.spared_why():
        article.extracted_why = "; ".join(filter(None, [article.extracted_why, spared]))
    return article, audit


def cut_title(article: Any, most: int) -> bool:
    """A title past `most` characters (a page that stuffed its <title>) is cut there, and
    `extracted_why` says from how many; whether it was."""
    adapter = ItemAdapter(article)
    title = adapter.get("title") or ""
    if len(title) <= most:
        return False
    adapter["title"] = title[:most]
    cut = f"title cut from {len(title)} to {most} characters"
    adapter["extracted_why"] = "; ".join(filter(None, [adapter.get("extracted_why"), cut]))
    return True


def cleaned(raw: RawArticle, noise_selectors: tuple[str, ...], title_max: int) -> tuple[Article, Audit, bool]:
    """`clean_article` and `cut_title` as a page worker runs them: the clean article comes back
    (from a worker process, as a copy) with its audit and whether its title was cut."""
    article, audit = clean_article(raw, noise_selectors)
    return article, audit, cut_title(article, title_max)
