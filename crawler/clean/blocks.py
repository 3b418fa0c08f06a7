"""Block-level cleaning: remove noise elements from a body container, then linearise it into
lines at block boundaries, so that inline links keep their text inside their sentence."""

from __future__ import annotations

from itertools import islice

from lxml.etree import _Element

from crawler.clean.audit import Audit
from crawler.clean.patterns import (
    LINK_DENSE_MIN_LINKS,
    LINK_DENSE_TAGS,
    LINK_DENSITY_MAX,
    NOISE_CLASS_ID,
    NOISE_TAGS,
)
from crawler.clean.text import Line
from crawler.extract.density import contains, density
from crawler.extract.html import collapse, css, text_of

STORY_MIN_CHARS = 200  # a block with less text than this cannot hold a story worth sparing
# Elements that begin and end a line of the cleaned text (their text never runs on into a neighbour's)
LINE_BREAKING_TAGS = frozenset(
    (
        "p div li ul ol dl dt dd h1 h2 h3 h4 h5 h6 br tr table blockquote "
        "section article figure header main pre hr center"
    ).split()
)


class Story:
    """The block of the body that holds the story's text (its densest block of paragraphs), found
    once and only when a rule is about to drop a block long enough to hold it: no rule may drop
    that block or an ancestor of it (a gallery or "share" wrapper around a whole column)."""

    def __init__(self, root: _Element) -> None:
        self.root = root
        self._block: _Element | None = None
        self._measured = False

    def held_by(self, element: _Element, text: str) -> bool:
        if len(text) < STORY_MIN_CHARS:
            return False
        if not self._measured:
            self._block, self._measured = density(self.root).main.element, True
        return self._block is not None and contains(element, self._block)


def _drop(element: _Element, rule: str, audit: Audit, story: Story) -> bool:
    """Drop a block a rule matched, unless it holds the story: then it stays, and the audit says
    which rule would have taken how much; whether it was dropped."""
    text = text_of(element)
    if story.held_by(element, text):
        audit.spare(rule, text)
        return False
    audit.cut(rule, [text])
    element.drop_tree()
    return True


def remove_blocks(root: _Element, selectors: tuple[str, ...], rule: str, audit: Audit, story: Story) -> None:
    if not selectors:
        return
    for element in css(", ".join(selectors))(root):  # document order: an ancestor before its descendants
        if element is root or element.getparent() is None or _detached(element, root):
            continue
        _drop(element, rule, audit, story)


def _detached(element: _Element, root: _Element) -> bool:
    """True once an ancestor was dropped earlier in the same pass."""
    for ancestor in element.iterancestors():
        if ancestor is root:
            return False
    return True


def is_generic_noise(element: _Element) -> bool:
    if element.tag in NOISE_TAGS or element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    return bool(names.strip()) and bool(NOISE_CLASS_ID.search(names))


def remove_generic_noise(root: _Element, audit: Audit, story: Story) -> None:
    """Drop generic noise blocks in one walk, never descending into what was dropped (a spared
    block holding the story is walked into: the share bar inside it still goes)."""
    stack = [root]
    while stack:
        for child in list(stack.pop()):
            if not isinstance(child.tag, str):
                continue
            if not is_generic_noise(child) or not _drop(child, "generic_noise", audit, story):
                stack.append(child)


def remove_link_farms(root: _Element, audit: Audit) -> None:
    """Drop lists and blocks whose text is mostly links: related-article lists, tag clouds, menus.
    Text and link lengths are summed bottom-up once, not recounted for every nested block; a block
    that holds the body's main text is never dropped, however many links sit beside the story.
    A body with fewer links in all than a farm needs has none, and is not measured (most bodies)."""
    if sum(1 for _ in islice(root.iter("a"), LINK_DENSE_MIN_LINKS)) < LINK_DENSE_MIN_LINKS:
        return
    measured = density(root)
    totals, main = measured.totals, measured.main.element
    farms = [
        e
        for e in root.iter(*LINK_DENSE_TAGS)
        if e is not root
        and (c := totals.get(e)) is not None
        and c.links >= LINK_DENSE_MIN_LINKS
        and c.linked > LINK_DENSITY_MAX * c.chars
        and not contains(e, main)
    ]
    for element in farms:  # document order: a farm's ancestor comes, and is dropped, first
        if element.getparent() is not None and not _detached(element, root):
            audit.cut("link_density", [text_of(element)])
            element.drop_tree()


def linearise(root: _Element) -> list[Line]:
    """Lines of text split at block elements; a list item's line is marked as such."""
    lines: list[Line] = []
    buffer: list[str] = []
    item_depth = 0

    def flush() -> None:
        if not buffer:
            return
        text = collapse("".join(buffer))
        buffer.clear()
        if text:
            lines.append(Line(text, item=item_depth > 0))

    def walk(element: _Element) -> None:
        nonlocal item_depth
        tag = element.tag if isinstance(element.tag, str) else ""
        block = tag in LINE_BREAKING_TAGS
        if block:
            flush()
        if tag == "li":
            item_depth += 1
        if element.text and tag:
            buffer.append(element.text)
        for child in element:
            walk(child)
            if child.tail:
                buffer.append(child.tail)
        if block:
            flush()
        if tag == "li":
            item_depth -= 1

    walk(root)
    flush()
    return lines


def clean_blocks(root: _Element, noise_selectors: tuple[str, ...], audit: Audit) -> list[Line]:
    """Source noise first (it is the most precise), then generic noise and link farms."""
    story = Story(root)
    remove_blocks(root, noise_selectors, "source_noise", audit, story)
    remove_generic_noise(root, audit, story)
    remove_link_farms(root, audit)
    return linearise(root)
