"""HTML parsing that never raises on broken markup, and small tree helpers shared by the stages."""

from __future__ import annotations

import re
from functools import lru_cache

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, _Element

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


class NotHTML(ValueError):
    """The document has no HTML element tree to read (empty, or not markup at all)."""


def parse_html(html: str) -> _Element:
    """A tree for any markup, however broken: NUL bytes and control characters are dropped first."""
    html = _CONTROL.sub("", html)
    if not html.strip():
        raise NotHTML("empty page")
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (ParserError, ValueError) as exc:
        raise NotHTML(f"unparseable page: {exc}") from None
    return root


def collapse(text: str) -> str:
    """Whitespace (newlines and full-width spaces too, as HTML renders them) folded to one space."""
    return " ".join(text.replace("\u200b", "").split())  # str.split knows U+3000 and U+00A0


_VISIBLE_TEXT = etree.XPath(
    "descendant-or-self::text()[not(ancestor::script or ancestor::style or ancestor::template or ancestor::title)]"
)


def text_of(element: _Element) -> str:
    """The text a reader sees in the page: not the source of a script or style, nor a <title> that
    broken markup left inside the body (the document's title is read as `title.text`)."""
    return collapse("".join(_VISIBLE_TEXT(element)))


@lru_cache(maxsize=1024)
def css(selector: str) -> CSSSelector:
    """A compiled selector: compiling CSS to XPath costs more than running it, so do it once."""
    return CSSSelector(selector, translator="html")


def select_first(root: _Element, selectors: tuple[str, ...]) -> _Element | None:
    """The first element matched by the first selector that matches anything."""
    for selector in selectors:
        found = css(selector)(root)
        if found:
            return found[0]
    return None
