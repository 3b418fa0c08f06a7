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
    if spared := audit.spared_why():
        adapter["extracted_why"] = "; ".join(filter(None, [adapter.get("extracted_why"), spared]))
    return audit


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


def cleaned(article: Any, noise_selectors: tuple[str, ...], title_max: int) -> tuple[Any, Audit, bool]:
    """`clean_article` and `cut_title` as a page worker runs them: the article comes back (from a
    worker process, as a copy) with its audit and whether its title was cut."""
    audit = clean_article(article, noise_selectors)
    return article, audit, cut_title(article, title_max)
