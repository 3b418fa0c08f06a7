"""A sampled page as learning reads it: the article the generic path gives (the reference every
learned selector is checked against), the element of the page that holds that text, and the
stable names (ids and classes, never positions) around it. Texts are compared as characters, as
the benchmarks score them (bench/extract.py)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from lxml.html import HtmlElement

from crawler.clean import clean_article
from crawler.extract.charset import page_text
from crawler.extract.html import parse_html, text_of
from crawler.failures import Failed
from crawler.items import Article
from crawler.pipelines import unfit
from crawler.process import extract_page, raw_article
from crawler.sources.spec import SourceSpec

COVERED = 0.9  # share of the generic text an element holds to be its container
LINE_MIN_CHARS = 8  # shorter lines (a date, a name) prove nothing about where the text is
CONTAINER_TAGS = ("div", "article", "section", "main", "td", "body")
NEAR = 4  # stable ancestors of the container that make its template
_SPACE = re.compile(r"\s+")
_NAME = re.compile(r"-?[_a-zA-Z][_a-zA-Z0-9-]*")
_DIGITS = re.compile(r"\d{3,}")
_PARTS = re.compile(r"[-_]")


@dataclass(frozen=True)
class Sampled:
    """One sampled article page, read by the generic path."""

    url: str
    body: bytes
    content_type: str | None
    root: HtmlElement
    article: Article  # the generic path's, cleaned
    text: str  # its body, normalised
    container: HtmlElement | None  # the smallest block holding that body
    near: tuple[str, ...]  # stable names of the container and its ancestors, nearest first
    names: frozenset[str]  # every stable name in the page


def normalised(text: str) -> str:
    """Text as characters are compared: NFKC (full-width and half-width alike), no white space."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def char_f1(got: str, truth: str) -> float:
    """Bag-of-characters F1 of two normalised texts."""
    a, b = Counter(got), Counter(truth)
    common = sum((a & b).values())
    if not common:
        return 1.0 if not got and not truth else 0.0
    precision, recall = common / len(got), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def stable(name: str) -> bool:
    """An id or class a person wrote: no run of digits, no part a build made (`css-1q2w3e`,
    `main_content-LcrEruCc`, `topic-3bY8Hw-9`: letters and digits mixed, or capitals inside)."""
    if not _NAME.fullmatch(name) or _DIGITS.search(name):
        return False
    return not any(_hashed(part) for part in _PARTS.split(name)[1:])


def _hashed(part: str) -> bool:
    mixed = any(c.isdigit() for c in part) and any(c.isalpha() for c in part)
    capitals = sum(c.isupper() for c in part)
    return (len(part) >= 4 and mixed) or (len(part) >= 5 and capitals >= 2 and not part.isupper())


def names_of(element: HtmlElement) -> list[str]:
    """The element's stable names as CSS selectors: `#id` first, then `.class` each."""
    own = element.get("id", "").strip()
    found = [f"#{own}"] if own and stable(own) else []
    return found + [f".{c}" for c in element.get("class", "").split() if stable(c)]


def sample(url: str, body: bytes, content_type: str | None, generic: SourceSpec, min_chars: int) -> Sampled:
    """The page as learning reads it. Raises Failed when the generic path finds no article."""
    page = extract_page(generic, url, body, content_type, True, min_chars)
    article, _ = clean_article(raw_article(page))
    if problem := unfit(article, min_chars):  # what a crawl would not store teaches nothing
        raise Failed(problem.reason, problem.message)
    root = parse_html(page_text(body, content_type))  # extract_page read it: it is HTML
    text = normalised(article.body)
    container = container_of(root, article.body)
    return Sampled(
        url,
        body,
        content_type,
        root,
        article,
        text,
        container,
        near=tuple(_near(container)) if container is not None else (),
        names=frozenset(n for element in _elements(root) for n in names_of(element)),
    )


def container_of(root: HtmlElement, body: str) -> HtmlElement | None:
    """The smallest block of the page holding COVERED of the text's lines."""
    lines = [line for line in map(normalised, body.split("\n")) if len(line) >= LINE_MIN_CHARS]
    total = sum(map(len, lines))
    if not total:
        return None
    best: tuple[int, HtmlElement] | None = None
    for element in root.iter(*CONTAINER_TAGS):
        text = normalised(text_of(element))
        if best is not None and len(text) >= best[0]:
            continue
        if sum(len(line) for line in lines if line in text) >= COVERED * total:
            best = (len(text), element)
    return best[1] if best else None


def _near(container: HtmlElement) -> Iterator[str]:
    """Stable names of the container, then of its NEAR nearest named ancestors."""
    yield from names_of(container)
    named = 0
    for ancestor in container.iterancestors():
        names = names_of(ancestor)
        if names:
            yield from names
            named += 1
            if named == NEAR:
                return


def _elements(root: HtmlElement) -> Iterator[HtmlElement]:
    return (e for e in root.iter() if isinstance(e.tag, str))
