"""Pages of posts: a blog's front page or a forum thread holds several posts in blocks of one kind
(`td.post-body` repeated down the page), each in a record of its own that dates it, and a general
extractor keeps them all, menus between. The page's story is its first post: a thread's opening
post, a blog's latest entry. A story split into sections of one kind (`div.group` of a news
site) is not posts: its sections carry no date of their own."""

from __future__ import annotations

from collections.abc import Mapping

from lxml.etree import _Element

from crawler.extract.dates import find_datetime
from crawler.extract.density import Counts, contains

POST_MIN_CHARS = 100  # a block of the kind with less text is a caption or a stub, not a post
POST_KEY_CHARS = 12  # characters of a post's opening that say a picked text holds that post


def posts_like(main: _Element, totals: Mapping[_Element, Counts]) -> list[_Element]:
    """The blocks of the main text block's kind (its tag and class) holding a post's worth of text,
    in document order, when there are several and no two share a parent (paragraphs of one story
    share theirs); else an empty list."""
    kind = main.get("class")
    if not kind:
        return []
    blocks = [
        element
        for element in main.getroottree().iter(main.tag)
        if element.get("class") == kind and totals.get(element, Counts()).unlinked >= POST_MIN_CHARS
    ]
    parents = {id(element.getparent()) for element in blocks}
    nested = any(contains(a, b) for a in blocks for b in blocks if a is not b)
    if len(blocks) < 2 or len(parents) < len(blocks) or nested:
        return []
    return blocks if all(_dated(record, post) for post, record in _records(blocks)[:2]) else []


def _records(posts: list[_Element]) -> list[tuple[_Element, _Element]]:
    """Each post with its record: its ancestor just below the nearest one all posts share."""
    lineages = [[post, *post.iterancestors()][::-1] for post in posts]
    depth = 0
    while all(len(line) > depth + 1 for line in lineages) and _shared(lineages, depth):
        depth += 1
    return [(post, line[depth]) for post, line in zip(posts, lineages, strict=True)]


def _shared(lineages: list[list[_Element]], depth: int) -> bool:
    return len({id(line[depth]) for line in lineages}) == 1


def _dated(record: _Element, post: _Element) -> bool:
    """True when the record says, outside its post, when the post was written."""
    outside = [
        text for node in record.iter() if not contains(post, node) for text in (node.text, node.tail) if text
    ]
    return find_datetime(" ".join(outside), "UTC") is not None


def opening(element: _Element) -> str:
    """The first characters of a block's text, without white space: a key to find it by."""
    return "".join("".join(element.itertext()).split())[:POST_KEY_CHARS]
