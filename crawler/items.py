"""The Article item: the contract between the pipelines, the store and its readers, every field
a stored one; and RawArticle, what a spider yields for cleaning.

Each field's `doc` metadata is its meaning and exact format; docs/schema.md's table is checked
against these names by tests/test_docs.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


def _f(doc: str, default: Any = None, **kw: Any) -> Any:
    meta = {"doc": doc}
    if "default_factory" in kw:
        return field(default_factory=kw["default_factory"], metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Article:
    url: str = _f("Normalised URL: scheme and host lower-cased, no fragment, no utm_*/tracking parameters.")
    source: str = _f("Key of the source module that parsed the page (`netease`, ..., `generic`).")
    site: str = _f("Host name the page was served from, lower-cased (`www.163.com`).")
    title: str = _f("Headline, whitespace-collapsed.", default="")
    body: str = _f("Clean story text; paragraphs separated by a single newline.", default="")
    extracted_by: str = _f(
        "What found the body: the source's layout (`netease/2019`) or `generic`.", default="generic"
    )
    extracted_why: str = _f(
        "Why that path: the layout's body block, or why the layout was set aside (`netease/2021: its body "
        "block holds 59 of the page's 2310 main-text characters; trafilatura`).",
        default="",
    )
    published_at: datetime | None = _f(
        "Publication time, timezone-aware; a day-only time is 00:00 of that day (see published_precision); "
        "null if the page gives none."
    )
    published_raw: str | None = _f("The text or attribute value published_at was read from.")
    published_precision: str | None = _f(
        "How precise published_at is: `second`, `minute`, `hour` (`3小时前`) or `day`; null with "
        "published_at."
    )
    published_ignored: str | None = _f(
        "Times the page states that cannot be its publication time, each with why (`0001-01-01T00:00:00 "
        "(before 1990)`: before 1990, or after the fetch plus a day); null when none."
    )
    timezone: str | None = _f("Time zone published_at is expressed in (IANA name or `+08:00` style offset).")
    author: str | None = _f(
        "Author or editor named by the page: names of people or desks only (`author_raw` keeps the value "
        "as stated); null when the page names none."
    )
    author_raw: str | None = _f(
        "The author value as the page states it, before `author` kept its names of people or desks (an "
        "email, a user id, a URL, software credits or the site's own name dropped); null when none."
    )
    origin: str | None = _f("Original publisher a mirror or re-post names (`来源：中时` gives `中时`).")
    original_title: str | None = _f("Title the page says the story originally had (`(原标题:…)`).")
    lang: str = _f("`zh-Hans`, `zh-Hant`, or another BCP 47 tag / `und` for non-Chinese text.", default="und")
    images: list[str] = _f("Absolute URLs of images inside the body.", default_factory=list)
    fetched_at: datetime | None = _f("When the page was fetched (UTC).")
    pages: int = _f(
        "How many pages the article was served on: their bodies are stitched into `body`, in order.",
        default=1,
    )
    pages_missing: list[int] = _f(
        "Pages of the article that did not come (`[3]`: page 3, and any after it, which only page 3 could "
        "name): the pages that came are stored; a re-check fetches the article again, without validators, "
        "until they come, and the article then gets a new version with them. Empty when whole.",
        default_factory=list,
    )
    pages_missing_why: str | None = _f(
        "Why the first missing page did not come (`page 3 of the article (URL) failed: HTTP 404`); null "
        "when whole."
    )
    capture: dict[str, Any] | None = _f(
        "Where the response this article was made of is kept (WARC_CAPTURE): {file: a WARC file in "
        "WARC_DIR, offset, length: its response record's bytes in it}; null when not captured."
    )
    page_captures: list[dict[str, Any] | None] = _f(
        "Where the responses of the article's later pages are kept, as `capture`, in order (page 2 "
        "first); an entry is null for a page not captured. Empty for a one-page article, and on "
        "articles stored before later pages were linked.",
        default_factory=list,
    )
    etag: str | None = _f(
        "The page's ETag header when it was fetched: a re-check sends it back (If-None-Match)."
    )
    last_modified: str | None = _f(
        "The page's Last-Modified header when it was fetched: a re-check sends it back (If-Modified-Since)."
    )
    clean_audit: dict[str, Any] = _f(
        "What cleaning removed: {blocks_removed, chars_removed, rules: {rule: {blocks, chars, cut}}}.",
        default_factory=dict,
    )
    dedup: dict[str, Any] = _f(
        "Near-duplicate evidence: {units: [int64 simhash per sentence unit], lengths: [int], body_key: SHA-1 "
        "of the normalised body, keys: [int64 band keys, indexed]}.",
        default_factory=dict,
    )


@dataclass
class RawArticle:
    """What a source's spider yields: the article as extracted, and what cleaning needs of its
    pages that is never stored. CleanPipeline turns it into the clean `Article` every later
    pipeline, the store and the item_scraped signal see."""

    article: Article
    pages_html: list[str] = field(default_factory=list)  # each page's body container, in order
    # comparison keys of the pages' link texts: cleaning tells a link list from the story's short lines
    link_texts: frozenset[str] = frozenset()


STORED_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Article))
