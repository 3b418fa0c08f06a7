"""The next (and the first) page of a multi-page article ("下一页", "第2页", `ID_2.html`, `?page=2`, common on
Chinese portals): a link whose text says "next" or names the following page number, to a URL that
is the same article's following page. "下一篇" (the next story) and a listing's pager never match:
their URLs are not pages of this article."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml.etree import _Element

NEXT_TEXTS = frozenset({"下一页", "下页", "下一頁", "下頁", "后一页", "後一頁", "next", "nextpage"})
PREVIOUS_TEXTS = frozenset(
    {"上一页", "上页", "上一頁", "上頁", "前一页", "前一頁", "prev", "previous", "previouspage"}
)
PAGE_PARAMS = frozenset({"page", "p", "pn", "pg", "pageno", "page_no", "pagenum", "pageindex", "curpage"})
PATH_PAGE = re.compile(r"(?P<stem>.+?)[_-](?P<n>\d{1,3})(?P<ext>\.s?html?)$", re.I)
NUMBERED = re.compile(r"第?\s*(?P<n>\d{1,3})\s*页?")
DECORATION = re.compile(r"[\s>»›<«‹\[\]【】()（）]+")
MAX_LINK_TEXT = 24  # characters: a pager link's text is short; longer links are headlines


def page_of(url: str) -> tuple[str, int]:
    """The URL of an article's first page and which page `url` is of it (1 when it names none)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    for index, (key, value) in enumerate(query):
        if key.lower() in PAGE_PARAMS and value.isdigit():
            rest = urlencode(query[:index] + query[index + 1 :])
            return urlunsplit(parts._replace(query=rest, fragment="")), int(value)
    match = PATH_PAGE.fullmatch(parts.path)
    if match:
        path = match.group("stem") + match.group("ext")
        return urlunsplit(parts._replace(path=path, fragment="")), int(match.group("n"))
    return urlunsplit(parts._replace(fragment="")), 1


@dataclass(frozen=True)
class Neighbours:
    """Pages of the same article a page links to: the next one, and the earliest earlier one
    (the first, when its pager links there), so a later page asked for leads back to the start."""

    next: str | None = None
    earlier: str | None = None


def neighbours(root: _Element, url: str) -> Neighbours:
    """The page after `url` of the same article and the earliest before it, as absolute URLs. A
    URL that only looks paged (`/a/123-4.html`) is taken as the first page when its next page says so."""
    first, number = page_of(url)
    here = urlunsplit(urlsplit(url)._replace(fragment=""))
    following: str | None = None
    earliest: tuple[int, str] | None = None
    for anchor in root.iter("a"):
        href = anchor.get("href")
        text = anchor.text_content() if href else ""
        if not href or not text or len(text) > MAX_LINK_TEXT:
            continue
        label = DECORATION.sub("", text).lower()
        numbered = NUMBERED.fullmatch(label)
        if label not in NEXT_TEXTS and label not in PREVIOUS_TEXTS and not numbered:
            continue
        target = urljoin(url, href.strip())
        base, n = page_of(target)
        if numbered and int(numbered.group("n")) != n:
            continue
        if (
            following is None
            and label not in PREVIOUS_TEXTS
            and ((base == first and n == number + 1) or (base == here != first and n == 2))
        ):
            following = target
        elif (
            base == first and n < number and label not in NEXT_TEXTS and (earliest is None or n < earliest[0])
        ):
            earliest = (n, target)
    return Neighbours(following, earliest[1] if earliest else None)
