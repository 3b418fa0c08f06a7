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
from typing import NamedTuple

from lxml import etree
from lxml.etree import _Element

# Elements whose text is never read: scripts, styles and the like hold no story
SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "title", "head"})
# Paragraph-like elements: their unlinked text counts for the block they sit in
PARAGRAPH_TAGS = frozenset("p div section td pre blockquote font span center article".split())
# An element holding one of these is a container of blocks, not a paragraph of its own
CONTAINER_TAGS = frozenset(
    (
        "p div section td tr table pre blockquote ul ol li dl article main h1 h2 h3 h4 h5 h6 "
        "form center header footer nav aside"
    ).split()
)
# Blocks whose text is never the story, however long: reader comments and recommendation lists
NOT_STORY_CLASS_ID = re.compile(r"comment|reply|related|recommend|sidebar|footer", re.I)
PARAGRAPH_LINK_DENSITY_MAX = 0.5  # a paragraph more than half in links is a link list, not story text
TEXT_NODE_MIN_CHARS = 10  # a bare text node this long in a block is a <br>-separated paragraph
MAIN_NEVER = frozenset({"a", "body", "html"})  # never the main text block: a link, or the whole page


class Counts(NamedTuple):
    """Characters of an element's visible text, those inside links, the links, and whether any block
    element lies beneath it. A tuple, as one is built for every element of every page."""

    chars: int = 0
    linked: int = 0
    links: int = 0
    has_block: bool = False

    @property
    def unlinked(self) -> int:
        return self.chars - self.linked


def visible_chars(text: str | None) -> int:
    return len("".join(text.split())) if text else 0


@dataclass(frozen=True)
class MainText:
    """The block with the most paragraph text outside links, and how many characters that is."""

    element: _Element | None
    chars: int


@dataclass(frozen=True)
class Density:
    """Counts for every element under a root, each child counted once, and the main text block."""

    totals: dict[_Element, Counts]
    main: MainText


ZERO = Counts()


def density(root: _Element) -> Density:
    """One bottom-up pass. An element's counts sum its children's; its main-text score is the
    unlinked text of its paragraph children that hold no blocks themselves and are mostly not
    links, plus its own bare text nodes (paragraphs separated by <br>). Wrappers score nothing for
    the blocks inside them, so the innermost block of paragraphs wins."""
    totals: dict[_Element, Counts] = {}
    excluded = _not_story(root)
    best, best_chars = None, 0
    for element in reversed(list(root.iter(etree.Element))):
        tag = element.tag
        if tag in SKIPPED_TAGS:
            continue
        text = element.text
        chars = len("".join(text.split())) if text else 0
        score = chars if chars >= TEXT_NODE_MIN_CHARS else 0
        linked, links, has_block = 0, 0, False
        for child in element:
            c_chars, c_linked, c_links, c_block = totals.get(child, ZERO)  # unpacked: read in C
            tail = child.tail
            if tail:
                tail_chars = len("".join(tail.split()))
                chars += tail_chars
                if tail_chars >= TEXT_NODE_MIN_CHARS:
                    score += tail_chars
            chars += c_chars
            linked += c_linked
            links += c_links
            child_tag = child.tag
            if c_block:
                has_block = True
            else:
                has_block = has_block or child_tag in CONTAINER_TAGS
                if child_tag in PARAGRAPH_TAGS and c_linked <= PARAGRAPH_LINK_DENSITY_MAX * c_chars:
                    score += c_chars - c_linked
        if tag == "a":
            linked, links = chars, links + 1
        totals[element] = Counts(chars, linked, links, has_block)
        if score > best_chars and chars and tag not in MAIN_NEVER and element not in excluded:
            best, best_chars = element, score
    return Density(totals, MainText(best, best_chars))


def _not_story(root: _Element) -> set[_Element]:
    """Elements inside a comment or recommendation block: only elements with a class or an id are
    tested, and each match brings its whole subtree."""
    excluded: set[_Element] = set()
    for element in root.xpath("descendant-or-self::*[@class or @id]"):
        if element not in excluded and NOT_STORY_CLASS_ID.search(
            f"{element.get('class') or ''} {element.get('id') or ''}"
        ):
            excluded.update(element.iter())
    return excluded


# A run of text up to a full stop, read in one linear pass; it is a sentence when it closes with
# "。" or is a Latin run closed by "." (headlines of a news list and menu items seldom close so)
CLAUSE = re.compile(r"[^。！？!?.\n]+[。！？!?.]")
SENTENCE_MIN_CHARS = {"。": 6, ".": 25}


def prose_chars(text: str) -> int:
    """Characters of `text` that lie in sentences: what tells a story from a list of headlines
    that holds as much text, where link density fails (ranked lists of headlines whose links hold
    only part of each line, a "加载更多" list drawn beside a short story)."""
    total = 0
    for match in CLAUSE.finditer(text):
        clause = match.group()
        least = SENTENCE_MIN_CHARS.get(clause[-1])
        if least is not None and (chars := visible_chars(clause)) >= least:
            total += chars
    return total


def contains(ancestor: _Element, element: _Element | None) -> bool:
    """True when `element` is `ancestor` or lies inside it."""
    while element is not None:
        if element is ancestor:
            return True
        element = element.getparent()
    return False
