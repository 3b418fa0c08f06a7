"""HTML parsing that never raises on broken markup, and small tree helpers shared by the stages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, _Element

from crawler.failures import NotHTML

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


# Every element an lxml.html element, chosen in C: lxml.html's own lookup is a Python call for each
# element a traversal touches (a tenth of a page's extraction time), and only gives <form>, <input>
# and friends their own classes, whose form helpers nothing here uses.
HTML_CLASSES = etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement,
    comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction,
    entity=lxml.html.HtmlEntity,
)


def parse_html(html: str) -> _Element:
    """A tree for any markup, however broken: NUL bytes and control characters are dropped first."""
    html = _CONTROL.sub("", html)
    if not html.strip():
        raise NotHTML("empty page")
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=False)
    parser.set_element_class_lookup(HTML_CLASSES)
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (ParserError, ValueError) as exc:
        raise NotHTML(f"unparseable page: {exc}") from None
    return root


def collapse(text: str) -> str:
    """Whitespace (newlines and full-width spaces too, as HTML renders them) folded to one space."""
    return " ".join(text.replace("\u200b", "").split())  # str.split knows U+3000 and U+00A0


CODE_TAGS = frozenset({"script", "style"})  # their text is code, never read
UNSEEN_TAGS = CODE_TAGS | {"template", "title"}  # nor is a template's, or a <title> misplaced in the body


def texts_within(element: _Element, skipped: frozenset[str] = CODE_TAGS) -> Iterator[str]:
    """The text nodes inside an element in document order, none inside a `skipped` element: for the
    default, what `.//text()[not(ancestor::script or ancestor::style)]` selects, read lazily (the
    XPath builds the whole set first, however few of its nodes a caller reads) and in half its time.
    """
    walker = etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        tag = node.tag
        if event == "start":
            if tag in skipped:
                walker.skip_subtree()
            elif isinstance(tag, str) and node.text:
                yield node.text
        elif node is not element and node.tail:
            yield node.tail


def texts_after(element: _Element) -> Iterator[str]:
    """The text nodes after an element's end in document order, none of a script's or a style's:
    what `following::text()[not(ancestor::script or ancestor::style)]` selects, read lazily."""
    node: _Element | None = element
    while node is not None:
        if node.tail:
            yield node.tail
        for sibling in node.itersiblings():
            yield from texts_within(sibling)
            if sibling.tail:
                yield sibling.tail
        node = node.getparent()


def text_of(element: _Element) -> str:
    """The text a reader sees in the page: not the source of a script or style, nor a <title> that
    broken markup left inside the body (the document's title is read as `title.text`)."""
    return collapse("".join(texts_within(element, UNSEEN_TAGS)))


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
