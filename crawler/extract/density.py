"""Where a page's own text is: characters in and out of links, counted bottom-up in one pass, and
the block that holds the most paragraph text that is not links.

Extraction uses it to judge a source's selector (a block holding a small share of the page's main
text is a placeholder or a sign-off, not the story) and trafilatura's choice (a list of headlines);
cleaning uses it so that a link-density rule never drops the block that holds the story.
Counts are characters without white space: Chinese text has no words to count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from lxml.etree import _Element

# Elements whose text is never read: scripts, styles and the like hold no story
SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "title", "head"})
# Paragraph-like elements: their unlinked text counts for the block they sit in
PARAGRAPH_TAGS = frozenset({"p", "div", "section", "td", "pre", "blockquote", "font", "span", "center", "article"})
BLOCK_TAGS = frozenset(
    {"p", "div", "section", "td", "tr", "table", "pre", "blockquote", "ul", "ol", "li", "dl", "article", "main",
     "h1", "h2", "h3", "h4", "h5", "h6", "form", "center", "header", "footer", "nav", "aside"}
)
# Blocks whose text is never the story, however long: reader comments and recommendation lists
NOT_STORY_CLASS_ID = re.compile(r"comment|reply|related|recommend|sidebar|footer", re.I)
PARAGRAPH_LINK_DENSITY_MAX = 0.5  # a paragraph more than half in links is a link list, not story text
TEXT_NODE_MIN_CHARS = 10  # a bare text node this long in a block is a <br>-separated paragraph


@dataclass(frozen=True)
class Counts:
    """Characters of an element's visible text, those inside links, the links, and whether any block
    element lies beneath it."""

    chars: int = 0
    linked: int = 0
    links: int = 0
    has_block: bool = False

    @property
    def unlinked(self) -> int:
        return self.chars - self.linked


def visible_chars(text: str | None) -> int:
    return len("".join(text.split())) if text else 0


def link_counts(root: _Element) -> dict[_Element, Counts]:
    """Counts for every element under `root`, each child counted once (bottom-up)."""
    raw: dict[_Element, tuple[int, int, int, bool]] = {}
    zero = (0, 0, 0, False)
    for element in reversed(list(root.iter(etree.Element))):
        tag = element.tag
        if tag in SKIPPED_TAGS:
            continue
        text = element.text
        chars, linked, links, has_block = len("".join(text.split())) if text else 0, 0, 0, False
        for child in element:
            c, lk, n, b = raw.get(child, zero)
            tail = child.tail
            chars += c + (len("".join(tail.split())) if tail else 0)
            linked += lk
            links += n
            has_block = has_block or b or child.tag in BLOCK_TAGS
        if tag == "a":
            linked, links = chars, links + 1
        raw[element] = (chars, linked, links, has_block)
    return {element: Counts(*values) for element, values in raw.items()}


@dataclass(frozen=True)
class MainText:
    """The block with the most paragraph text outside links, and how many characters that is."""

    element: _Element | None
    chars: int


def main_text(root: _Element, totals: dict[_Element, Counts] | None = None) -> MainText:
    """A block's score is the unlinked text of its paragraph children that hold no blocks themselves
    and are mostly not links, plus its own bare text nodes (paragraphs separated by <br>). Wrappers
    score nothing for the blocks inside them, so the innermost block of paragraphs wins."""
    totals = totals if totals is not None else link_counts(root)
    excluded = _not_story(root)
    best, best_chars = None, 0
    for element, counted in totals.items():
        if element.tag in ("a", "body", "html") or not counted.chars or element in excluded:
            continue
        score = sum(visible_chars(t) for t in (element.text, *(c.tail for c in element)) if visible_chars(t) >= TEXT_NODE_MIN_CHARS)
        for child in element:
            child_counts = totals.get(child)
            if (
                child_counts is not None
                and child.tag in PARAGRAPH_TAGS
                and not child_counts.has_block
                and child_counts.linked <= PARAGRAPH_LINK_DENSITY_MAX * child_counts.chars
            ):
                score += child_counts.unlinked
        if score > best_chars:
            best, best_chars = element, score
    return MainText(best, best_chars)


def _not_story(root: _Element) -> set[_Element]:
    """Elements inside a comment or recommendation block, found top-down in one pass."""
    excluded: set[_Element] = set()
    for element in root.iter():
        parent = element.getparent()
        if parent is not None and parent in excluded:
            excluded.add(element)
        elif isinstance(element.tag, str):
            names = f"{element.get('class') or ''} {element.get('id') or ''}"
            if names.strip() and NOT_STORY_CLASS_ID.search(names):
                excluded.add(element)
    return excluded


def contains(ancestor: _Element, element: _Element | None) -> bool:
    """True when `element` is `ancestor` or lies inside it."""
    while element is not None:
        if element is ancestor:
            return True
        element = element.getparent()
    return False
