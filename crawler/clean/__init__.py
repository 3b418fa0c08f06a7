"""Cleaning every article passes, whatever produced it: block rules on the body's HTML, then text
rules on its lines. Plain functions, testable and benchmarkable without a crawl."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from itemadapter import ItemAdapter

from crawler.clean.audit import Audit
from crawler.clean.blocks import clean_blocks
from crawler.clean.text import clean_lines
from crawler.extract.html import NotHTML, parse_html
from crawler.extract.lang import detect_lang


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


def clean_article(article: Any, noise_selectors: tuple[str, ...] = ()) -> Audit:
    """Replace an item's raw `body_html` (and its later pages', each cleaned on its own) with clean
    `body`, lifted origin/original title and lang."""
    adapter = ItemAdapter(article)
    title = adapter.get("title") or ""
    links = adapter.get("link_texts") or frozenset()
    pages = [adapter.get("body_html") or "", *(adapter.get("more_pages") or [])]
    results = [clean_body(html, title, noise_selectors, links) for html in pages]
    audit = results[0].audit
    for later in results[1:]:
        audit.merge(later.audit)
    body = "\n".join(r.body for r in results if r.body)
    adapter["body"] = body
    adapter["body_html"] = None
    adapter["more_pages"] = []
    adapter["link_texts"] = frozenset()
    adapter["origin"] = adapter.get("origin") or next((r.origin for r in results if r.origin), None)
    adapter["original_title"] = next((r.original_title for r in results if r.original_title), None)
    adapter["lang"] = detect_lang(f"{title}\n{body}")
    adapter["clean_audit"] = audit.as_dict()
    return audit


def cleaned(article: Any, noise_selectors: tuple[str, ...] = ()) -> tuple[Any, Audit]:
    """`clean_article` as a page worker runs it: the article comes back with its audit (from a
    worker process, as a copy)."""
    audit = clean_article(article, noise_selectors)
    return article, audit
